"""Answers that say all the question asks, on real documents: a question asking two
things gets both; a table item whose amount its group row carries is quoted with that
row; a plan named by its decision's number ("Kế hoạch 986") is that decision's.

The store holds three real public documents (eval/corpus/real, sources in SOURCES.md),
read by the real parser and embedded by the packaged model. The questions are written
for these tests, not taken from the question sets in eval/.
"""

from __future__ import annotations

import pytest

from assistant.question import asks_of
from assistant.services import AssistantService
from tests.conftest import grounded, real_store

DOCS = (
    "qd-986-ubnd-tuyen-quang-2024-ke-hoach-thoi-gian-nam-hoc.md",     # a school year's calendar, item by item
    "qd-1056-ct-tuyen-quang-2010-muc-tro-giup-bao-tro-xa-hoi.txt",    # allowance tables grouped by amount
    "qd-16-2010-ubnd-lai-chau-boi-thuong-ho-tro-tai-dinh-cu.md",      # rates in tables whose header gives the unit
)


@pytest.fixture(scope="module")
def store(tmp_path_factory, embeddings) -> AssistantService:
    return real_store(tmp_path_factory.mktemp("whole-answers"), embeddings, DOCS)



@pytest.mark.parametrize("question", [
    "Ở Tuyên Quang năm học 2024-2025 khai giảng ngày nào và xét công nhận tốt nghiệp trung học cơ sở trước ngày nào?",
    "o tuyen quang nam hoc 2024-2025 khai giang ngay nao va xet cong nhan tot nghiep trung hoc co so truoc ngay nao",
])
def test_a_question_asking_two_things_is_answered_for_each(store, question):
    answer = store.ask(question)
    grounded(answer)
    # two items of the plan, each with its own date
    assert "05/9/2024" in answer.answer and "30/6/2025" in answer.answer
    assert {c.section_id for c in answer.citations} >= {"Điều 1.2", "Điều 1.4"}


def test_a_question_asking_one_thing_gets_no_second_quote_for_it(store):
    answer = store.ask("Năm học 2024-2025 ở Tuyên Quang khai giảng vào ngày nào?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 1.2"
    assert "30/6/2025" not in answer.answer


def test_a_table_item_is_quoted_with_the_group_row_that_carries_its_amount(store):
    # "| I | Đối tượng được hưởng mức 180.000đ/tháng: | 180.000 |" above "| 5 | … Người đơn thân … |  |"
    answer = store.ask("Người đơn thân thuộc hộ nghèo đang nuôi con nhỏ dưới 16 tuổi ở Tuyên Quang "
                       "được trợ cấp xã hội hàng tháng bao nhiêu?")
    grounded(answer)
    assert "180.000" in answer.answer
    assert "Người đơn thân" in answer.answer
    assert all(c.section_id == "Biểu số 1" for c in answer.citations)
    # each row shown under the table's column names, not as raw "| … |" cells
    assert "Mức trợ giúp áp dụng (đồng/tháng): “180.000”" in answer.answer
    assert "| STT |" not in answer.answer


def test_a_table_rows_unit_is_in_its_header_and_a_classifier_is_no_topic(store):
    # "| STT | Loại mồ mả | Mức bồi thường (đồng/mộ) |" over "| b | Mộ đắp đất trên ba (03) năm | 1500.000,0 |";
    # "một ngôi mộ": "ngôi" counts graves, it is not what the question is about
    answer = store.ask("Tại Lai Châu, di chuyển một ngôi mộ đắp đất trên ba năm chưa cải táng thì được bồi thường bao nhiêu?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 1.5.1"
    assert "Loại mồ mả: “Mộ đắp đất trên ba (03) năm”; Mức bồi thường (đồng/mộ): “1500.000,0”" in answer.answer


def test_a_measure_is_asked_in_its_name_and_written_in_its_symbol(store):
    # "bao nhiêu mét vuông" is answered in "m2"; "mét vuông" is the unit, not an unknown topic
    answer = store.ask("Ở Lai Châu, suất tái định cư tối thiểu đối với nhà ở đô thị là bao nhiêu mét vuông?")
    grounded(answer)
    assert "60,0 m2" in answer.answer


def test_a_plan_named_by_the_number_of_the_decision_issuing_it(store):
    answer = store.ask("Theo Kế hoạch 986 của tỉnh Tuyên Quang, khai giảng năm học mới vào ngày nào?")
    grounded(answer)
    assert "05/9/2024" in answer.answer


def test_the_asks_of_a_question():
    assert asks_of("Học kỳ I bắt đầu từ ngày nào và phải kết thúc trước ngày nào?") == [
        "Học kỳ I bắt đầu từ ngày nào", "phải kết thúc trước ngày nào"]
    # words that ask nothing themselves go with the ask after them
    assert asks_of("Khi có thiên tai, dịch bệnh, ai cho học sinh nghỉ học, còn kéo dài năm học thì ai quyết định?") == [
        "Khi có thiên tai, dịch bệnh, ai cho học sinh nghỉ học", "kéo dài năm học thì ai quyết định"]
    # one ask, however many commas
    assert asks_of("Theo Quyết định 986, năm học 2024-2025 khai giảng ngày nào?") == []
    assert asks_of("Tỉnh có bao nhiêu xã, phường, thị trấn?") == []

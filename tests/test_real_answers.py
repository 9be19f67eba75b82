"""Answers on real documents: who does a task, by when and for how long, the items a
line opens, a table row under its columns, and the facts of the language that keep a
figure from answering for another body, the other side of a qualifier, another
condition or the text an amendment replaced.

The store holds real public documents (eval/corpus/real, sources in SOURCES.md), read by
the real parser and embedded by the packaged model. The questions are not those of the
question sets in eval/.
"""

from __future__ import annotations

import pytest

from assistant.services import AssistantService
from tests.conftest import grounded, real_store

DOCS = (
    "qd-435-ubnd-kon-tum-2020-chuong-trinh-hanh-dong-quan-he-lao-dong.txt",   # tasks with "- Cơ quan thực hiện:"
    "kh-ubnd-lam-dong-2026-phong-chong-ma-tuy.doc",                           # tasks under a body's heading
    "nd-74-2025-cp-sua-doi-nd-70-bhyt-quan-doi.txt",                          # "gồm:" and "cụ thể:" lists
    "qd-59-btnmt-2024-chuong-trinh-hanh-dong.txt",                            # targets by qualifier
    "qd-844-ttg-2026-ke-hoach-bhyt.pdf",                                      # a task table in the appendix
)


@pytest.fixture(scope="module")
def real(tmp_path_factory, embeddings) -> AssistantService:
    return real_store(tmp_path_factory.mktemp("real-answers"), embeddings, DOCS)



def test_the_body_that_does_a_task_is_quoted_from_the_items_own_field(real):
    answer = real.ask("Ở Kon Tum, cơ quan nào chủ trì xây dựng cơ sở dữ liệu, bộ tiêu chí đánh giá quan hệ lao động tại các doanh nghiệp?")
    grounded(answer)
    assert "Cơ quan thực hiện: Sở Lao động - Thương binh và Xã hội chủ trì" in answer.answer
    assert answer.citations[0].section_id == "Chương trình.II.2.4"
    assert any(c.quote.lstrip("- ").startswith("Cơ quan thực hiện:") for c in answer.citations[1:])


def test_a_tasks_deadline_is_quoted_from_its_time_field(real):
    answer = real.ask("Kon Tum phải hình thành cơ chế tham vấn ba bên về quan hệ lao động trong thời hạn nào?")
    grounded(answer)
    assert "quý III/2020" in answer.answer
    assert answer.citations[0].section_id == "Chương trình.II.2.6"


def test_a_task_under_a_bodys_heading_is_that_bodys(real):
    answer = real.ask("Theo kế hoạch phòng, chống ma túy năm 2026 của Lâm Đồng, cơ quan nào đẩy mạnh tuyên truyền, "
                      "giáo dục phòng, chống ma túy trong các cơ sở giáo dục?")
    grounded(answer)
    assert "Sở Giáo dục và Đào tạo" in answer.answer


def test_the_items_a_line_opens_are_quoted_with_it(real):
    answer = real.ask("Người tham gia bảo hiểm y tế thuộc Bộ Quốc phòng quản lý gồm những đối tượng nào?")
    grounded(answer)
    assert "Sĩ quan quân đội nhân dân, quân nhân chuyên nghiệp đang tại ngũ" in answer.answer
    assert "Hạ sĩ quan, binh sĩ quân đội nhân dân đang tại ngũ" in answer.answer


def test_a_task_table_row_is_quoted_cell_by_cell_under_its_columns(real):
    answer = real.ask("Theo phụ lục của Quyết định 844/QĐ-TTg, cơ quan nào chủ trì đưa các chỉ tiêu bao phủ bảo hiểm y tế "
                      "vào nghị quyết, kế hoạch phát triển kinh tế - xã hội của địa phương?")
    grounded(answer)
    assert "Cơ quan chủ trì: “Ủy ban nhân dân các cấp”" in answer.answer
    assert answer.citations[0].section_id == "Phụ lục"
    # the column names are quoted too, so a reader can check them
    assert any("Cơ quan chủ trì" in c.quote for c in answer.citations)


def test_a_figure_for_one_side_of_a_qualifier_does_not_answer_the_other(real):
    town = real.ask("Năm 2024 ngành tài nguyên và môi trường phấn đấu thu gom, xử lý bao nhiêu phần trăm chất thải rắn sinh hoạt đô thị?")
    grounded(town)
    assert "95%" in town.answer
    country = real.ask("Năm 2024 ngành tài nguyên và môi trường phấn đấu thu gom, xử lý bao nhiêu phần trăm chất thải rắn sinh hoạt nông thôn?")
    assert not country.found, country.answer


def test_a_figure_does_not_answer_for_a_body_its_passage_does_not_name(real):
    answer = real.ask("Tổng cục Khí tượng Thủy văn phấn đấu thu gom, xử lý bao nhiêu phần trăm chất thải rắn sinh hoạt đô thị năm 2024?")
    assert not answer.found, answer.answer


def test_how_long_is_answered_by_a_length_of_time_not_a_date(real):
    answer = real.ask("Sau khi nhận đủ hồ sơ, Bảo hiểm xã hội Quân đội có bao lâu để cấp thẻ bảo hiểm y tế "
                      "và chuyển về đơn vị?")
    grounded(answer)
    assert "05 ngày làm việc" in answer.citations[0].quote


def test_the_text_an_amendment_replaced_is_not_in_the_amending_decree(real):
    asked = "bao nhiêu phần trăm số tiền đóng bảo hiểm y tế của quân nhân được chuyển Bảo hiểm xã hội Việt Nam?"
    now = real.ask(asked[0].upper() + asked[1:])
    grounded(now)
    assert "08%" in now.citations[0].quote
    before = real.ask("Trước khi được sửa đổi, Nghị định 70 quy định " + asked)
    assert not before.found, before.answer


def test_an_acronym_typed_without_diacritics_finds_the_words_it_stands_for(real):
    answer = real.ask("tong so thu BHYT cua quan nhan phai danh toi thieu bao nhieu phan tram cho quy du phong")
    grounded(answer)
    assert "tối thiểu 04%" in answer.citations[0].quote


def test_a_condition_on_a_quantity_must_be_the_passages(real):
    asked = ("Quân nhân khám ngoại trú tại cơ sở khám bệnh, chữa bệnh cấp cơ bản đạt {} được quỹ bảo hiểm y tế "
             "thanh toán bao nhiêu phần trăm chi phí?")
    stated = real.ask(asked.format("từ 50 điểm đến dưới 70 điểm"))
    grounded(stated)
    assert "từ 50 điểm đến dưới 70 điểm" in stated.citations[0].quote
    # no case of the decree is "từ 90 điểm trở lên": the 50-70 case does not answer it
    other = real.ask(asked.format("từ 90 điểm trở lên"))
    assert not other.found, other.answer


def test_when_a_document_takes_effect_is_its_own_article(real):
    # the date of the effect article, though the question shares no topic word with it
    answer = real.ask("Nghị định số 74 về bảo hiểm y tế trong quân đội có hiệu lực vào ngày nào?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 4.1"
    assert "có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2025" in answer.citations[0].quote
    # what ends when it takes effect: the circular its article names, its line breaks mended
    ended = real.ask("Khi Nghị định 74/2025/NĐ-CP có hiệu lực thì thông tư liên tịch nào hết hiệu lực?")
    grounded(ended)
    assert "85/2016/TTLT-BQP-BYT-BTC" in ended.citations[0].quote and "hết hiệu lực" in ended.citations[0].quote


def test_who_executes_a_decision_is_its_closing_article_typed_either_way(real):
    for question in ("Ai chịu trách nhiệm thi hành Quyết định 435/QĐ-UBND của tỉnh Kon Tum?",
                     "ai chiu trach nhiem thi hanh quyet dinh 435 cua kon tum"):
        answer = real.ask(question)
        grounded(answer)
        assert answer.citations[0].section_id == "Điều 2"
        assert answer.citations[0].quote.startswith("Giám đốc Sở Lao động - Thương binh và Xã hội")
        assert answer.citations[0].quote.rstrip("./").endswith("chịu trách nhiệm thi hành Quyết định này")


@pytest.mark.parametrize("question", [
    # the decision states who executes it, not when it takes effect: no other sentence answers
    "Quyết định 435/QĐ-UBND của Kon Tum có hiệu lực từ khi nào?",
    # another year's decision, another province's
    "Nghị định 74/2023/NĐ-CP có hiệu lực từ ngày nào?",
    "Quyết định 435 của tỉnh Gia Lai có hiệu lực từ khi nào?",
    # a plan that states no effect date
    "Kế hoạch phòng chống ma túy năm 2026 của Lâm Đồng có hiệu lực từ khi nào?",
])
def test_an_effect_date_the_document_does_not_state_is_refused(real, question):
    answer = real.ask(question)
    assert not answer.found, answer.answer
    assert not answer.citations

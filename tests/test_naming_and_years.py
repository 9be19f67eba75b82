"""What names a document is not what is asked of it, and a number no copy prints names
no other document.

The store holds three real public resolutions of 2017 (eval/corpus/real, sources in
SOURCES.md): Đồng Tháp's NQ 110 on adjusting the 2017 investment capital plan (its
gazette copy prints no number line), Đồng Tháp's NQ 124 on urban development, and Hà
Giang's NQ 95 on the questioning at its council's fifth session (term 2016 - 2021).
The questions are written for these tests.
"""

from __future__ import annotations

import pytest

from assistant.document_names import TitleIndex
from assistant.extractive import _ATTACHED_TITLE
from assistant.services import AssistantService
from tests.conftest import grounded, real_store

NQ110 = "nq-110-2017-hdnd-dong-thap-dieu-chinh-von-dau-tu-phat-trien"
NQ95 = "nq-95-2017-hdnd-ha-giang-chat-van-ky-hop-thu-nam"
DOCS = (f"{NQ110}.md", "nq-124-2017-hdnd-dong-thap-chuong-trinh-phat-trien-do-thi.md", f"{NQ95}.md")


@pytest.fixture(scope="module")
def store(tmp_path_factory, embeddings) -> AssistantService:
    return real_store(tmp_path_factory.mktemp("naming"), embeddings, DOCS)


def test_a_figure_pointing_to_its_table_is_no_attachment_title():
    assert not _ATTACHED_TITLE.search("c) Giữ nguyên kế hoạch vốn của 34 dự án, với giá trị 526,380 tỷ đồng (Kèm theo biểu số 1.3).")
    assert _ATTACHED_TITLE.search("(Kèm theo Nghị quyết số 124/2017/NQ-HĐND ngày 14 tháng 7 năm 2017)")
    assert _ATTACHED_TITLE.search("(Ban hành kèm theo Quyết định số 142/2008/QĐ-TTg)")


def test_an_unnumbered_document_is_named_by_its_title_words_in_any_order():
    index = TitleIndex({"a": "Nghị quyết về việc thông qua phương án điều chỉnh kế hoạch vốn đầu tư phát triển năm 2017",
                        "b": "Nghị quyết về chương trình phát triển đô thị tỉnh Đồng Tháp"})
    asked = "Nghị quyết 110/2017 của HĐND tỉnh về điều chỉnh kế hoạch vốn đầu tư phát triển giảm bao nhiêu?"
    assert index.unnumbered(asked, "nghị quyết", {"a", "b"}) == ("a",)
    # a kind the title is not, or too few of its words, names nothing
    assert index.unnumbered(asked, "quyết định", {"a", "b"}) == ()
    assert index.unnumbered("Nghị quyết 110/2017 giao vốn bao nhiêu?", "nghị quyết", {"a", "b"}) == ()


def test_a_figure_in_a_table_pointer_sentence_is_answered(store):
    answer = store.ask("Năm 2017 Đồng Tháp tăng kế hoạch vốn ngân sách tập trung cho mấy dự án?")
    grounded(answer)
    assert answer.citations[0].doc_id == NQ110 and answer.citations[0].section_id == "Điều 1.2.1.b)"
    assert "02 dự án" in answer.answer


def test_a_resolution_named_by_a_number_its_copy_does_not_print(store):
    # NQ 110's copy lost its number line: its title's words say which resolution it is
    answer = store.ask("Nghị quyết 110/2017/NQ-HĐND về phương án điều chỉnh kế hoạch vốn đầu tư phát triển "
                       "năm 2017 do tỉnh quản lý: vốn xổ số kiến thiết giữ nguyên cho bao nhiêu dự án?")
    grounded(answer)
    assert answer.citations[0].doc_id == NQ110 and "91 dự án" in answer.answer
    # another number with no title of an indexed resolution is another document: refused
    assert not store.ask("Nghị quyết 57/2017/NQ-HĐND tỉnh Đồng Tháp giữ nguyên vốn cho bao nhiêu dự án?").found


def test_a_sessions_term_is_not_the_year_of_the_figure(store):
    # "nhiệm kỳ 2016 - 2021" says which council; the figure is for another year
    answer = store.ask("Theo Nghị quyết về chất vấn tại kỳ họp thứ Năm HĐND tỉnh Hà Giang khóa XVII nhiệm kỳ "
                       "2016 - 2021, số kinh phí còn thiếu để làm dự án ổn định dân cư thôn Cán Chỉ Dền là bao nhiêu?")
    grounded(answer)
    assert answer.citations[0].doc_id == NQ95 and "9,4 tỷ đồng" in answer.answer

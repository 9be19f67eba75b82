"""Real documents as their copies come: letters spaced out by a PDF's text layer,
Markdown escapes and bold labels of a converter, an appendix that opens with its table,
a plan attached to a decision, a decree that names the one it amends.

The store holds five real public documents (eval/corpus/real, sources in SOURCES.md),
read by the real parser and embedded by the packaged model. The questions are written
for these tests, not taken from the question sets in eval/.
"""

from __future__ import annotations

import pytest

from assistant.intent import counted_word, read_intent
from assistant.services import AssistantService
from ingest.loaders import load_path
from ingest.metadata import extract_metadata
from ingest.normalize import mend_split_letters
from ingest.sections import parse_report
from tests.conftest import ROOT, grounded, real_store

REAL = ROOT / "eval" / "corpus" / "real"
DOCS = (
    "qd-3210-ubnd-tphcm-2014-ke-hoach-ho-tro-nha-o-nguoi-co-cong.md",    # spaced-out letters; a plan attached
    "nd-87-2013-cp-che-do-gia-dinh-ha-si-quan-chien-si-cong-an.md",      # "phục vụ có thời hạn"
    "nd-55-2023-cp-sua-doi-nd-75-muc-huong-tro-cap-nguoi-co-cong.md",    # amends a decree not indexed
    "qd-64-2024-ubnd-ha-noi-dinh-muc-dao-tao-so-cap-37-nghe.md",         # "Quyết định có hiệu lực ..."
    "qd-01-2025-ubnd-ha-noi-don-gia-xay-dung-boi-thuong.md",             # an appendix that opens with a table
)


@pytest.fixture(scope="module")
def store(tmp_path_factory, embeddings) -> AssistantService:
    return real_store(tmp_path_factory.mktemp("real-layouts"), embeddings, DOCS)


def parsed(name: str):
    return parse_report(load_path(REAL / name, 50 * 1024 * 1024))


# ----- reading the text ---------------------------------------------------------------
def test_letters_a_text_layer_spaced_out_are_joined_back_into_words():
    assert mend_split_letters("ỦY B AN NHÂN D Â N T HÀNH P HỐ HỒ C H Í M I NH") == \
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH"
    assert mend_split_letters("T hành phố Hồ Chí M inh, ngày 28 tháng 6 năm 2014") == \
        "Thành phố Hồ Chí Minh, ngày 28 tháng 6 năm 2014"
    # words that are words, and the labels of points, stay as they are
    for line in ("thương binh loại A, loại B và C", "theo các điểm a, b và c khoản 2", "tại điểm c ở trên",
                 "Ngu y ễn Hữu Tín"):
        assert mend_split_letters(line) == line


def test_the_mended_letterhead_gives_the_decision_its_number_issuer_and_place():
    meta = extract_metadata(parsed(DOCS[0]))
    assert meta.number == "3210/QĐ-UBND"
    assert meta.issuer == "ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH"
    assert meta.place == "Hồ Chí Minh" and meta.level == "tỉnh"


def test_a_resolution_whose_letterhead_was_lost_takes_its_number_from_its_attachment():
    # the letterhead is an empty placeholder; the attached programme says whose it is
    meta = extract_metadata(parsed("nq-124-2017-hdnd-dong-thap-chuong-trinh-phat-trien-do-thi.md"))
    assert (meta.kind, meta.number, meta.date) == ("nghị quyết", "124/2017/NQ-HĐND", "2017-07-14")
    # "Nghị quyết số: 89/2025/UBTVQH15" on its own line, in a gazette's layout
    assert extract_metadata(parsed("nq-89-2025-ubtvqh15-muc-chi-to-chuc-hoat-dong-bhxh-bhtn.txt")).number == \
        "89/2025/UBTVQH15"
    # a document citing others in its legal bases does not take their numbers
    assert not extract_metadata(parsed("nq-38-2017-hdnd-tra-vinh-kinh-phi-xay-dung-vbqppl.md")).number


def test_a_resolution_says_which_council_passed_it_and_when_in_its_last_words():
    # letterhead and signature are empty placeholders; "Nghị quyết này đã được Hội đồng
    # nhân dân tỉnh Trà Vinh khóa IX, kỳ họp thứ 4 thông qua ngày 13/7/2017 …"
    meta = extract_metadata(parsed("nq-38-2017-hdnd-tra-vinh-kinh-phi-xay-dung-vbqppl.md"))
    assert (meta.issuer, meta.place, meta.level, meta.date) == \
        ("HỘI ĐỒNG NHÂN DÂN TỈNH TRÀ VINH", "Trà Vinh", "tỉnh", "2017-07-13")
    # the National Assembly's committee prints its date only there
    assert extract_metadata(parsed("nq-89-2025-ubtvqh15-muc-chi-to-chuc-hoat-dong-bhxh-bhtn.txt")).date == "2025-07-10"


def test_markdown_escapes_and_bold_labels_with_a_space_inside_are_read_as_numbering():
    # "**1. **Thông qua ..." and "1\\. Thành phố Hà Nội." (a converter's Markdown)
    ids = {s.section_id for s in parsed("nq-60-tw-2025-hoi-nghi-trung-uong-11-sap-xep-don-vi-hanh-chinh.md").sections}
    assert {str(n) for n in range(1, 13)} <= ids
    assert {"Danh sách.I.1", "Danh sách.I.11", "Danh sách.II.1", "Danh sách.II.23"} <= ids


def test_an_appendix_that_opens_with_its_table_holds_the_table_itself():
    report = parsed(DOCS[4])
    table = next(s for s in report.sections if "Nhà tạm vách cột" in s.text)
    assert table.section_id == "Phụ lục II"
    assert "Kèm theo" not in table.text                       # the title block stays the appendix's preamble
    assert "Kèm theo" in next(s for s in report.sections if s.section_id == "Phụ lục II.preamble").text


def test_a_fixed_term_is_no_deadline_and_an_amount_for_each_counts_nothing():
    intent = read_intent("Thân nhân chiến sĩ phục vụ có thời hạn trong Công an được trợ cấp bao nhiêu?")
    assert not intent.date and not intent.future and intent.number
    assert read_intent("Thời hạn nộp báo cáo là ngày nào?").date
    assert counted_word("Mức trợ cấp là bao nhiêu một suất?") == ""


# ----- answering ----------------------------------------------------------------------
def test_a_plan_attached_to_a_decision_is_the_plan_of_the_decisions_year(store):
    # the plan's own text names no year; its decision is of 28/6/2014, of Hồ Chí Minh City
    answer = store.ask("Kế hoạch năm 2014 của Thành phố Hồ Chí Minh về nhà ở cho người có công giao Sở Xây dựng "
                       "thiết kế tối thiểu bao nhiêu mẫu nhà ở điển hình?")
    grounded(answer)
    assert answer.citations[0].section_id.startswith("Kế hoạch.")
    assert "03 mẫu" in answer.answer


def test_naming_the_decree_does_not_make_its_title_the_answer(store):
    answer = store.ask("Nghị định 87/2013/NĐ-CP quy định trợ cấp bao nhiêu một suất khi thân nhân của hạ sĩ quan, "
                       "chiến sĩ công an từ trần?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 3.1.c)"
    assert "1.000.000 đồng/suất" in answer.answer
    assert "preamble" not in {c.section_id for c in answer.citations}


def test_a_term_of_service_in_the_question_asks_for_no_date(store):
    answer = store.ask("Vợ của chiến sĩ đang phục vụ có thời hạn trong Công an nhân dân điều trị tại bệnh viện "
                       "từ bảy ngày trở lên được trợ cấp bao nhiêu theo Nghị định 87/2013?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 3.1.b)"
    assert "500.000" in answer.answer


def test_an_amending_decree_named_with_the_one_it_amends_says_when_it_takes_effect(store):
    answer = store.ask("Nghị định 55/2023/NĐ-CP sửa đổi Nghị định 75/2021/NĐ-CP có hiệu lực từ ngày nào?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 2.1"
    assert "05 tháng 9 năm 2023" in answer.answer
    # asked of the amended decree alone, which is not indexed, the reports do not say
    assert not store.ask("Nghị định 75/2021/NĐ-CP có hiệu lực từ ngày nào?").found


def test_an_effect_article_that_names_its_kind_without_nay_answers(store):
    answer = store.ask("Quyết định 64/2024/QĐ-UBND của Hà Nội có hiệu lực kể từ ngày nào?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 3"
    assert "07 tháng 11 năm 2024" in answer.answer

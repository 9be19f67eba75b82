"""The section parser (ingest/sections.py) on the three bundled reports and on small
reports written here: section ids (CONTRACT.md "Section ids"), preamble/closing,
page-break mending, headings vs references and lists, and the text invariants that
quotes and chunks rely on. Also the `sections --json` CLI command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest

from ingest.normalize import clean_text
from ingest.sections import ParsedReport, parse_report
from tests.conftest import ALL_SAMPLES, DONG_LAM, HOA_SON, ROOT
from tests.conftest import SAMPLE as BINH_PHUOC


@lru_cache(maxsize=None)
def raw(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def parsed(path: Path) -> ParsedReport:
    return parse_report(raw(path))


def ids(report: ParsedReport) -> list[str]:
    return [s.section_id for s in report.sections]


def section(report: ParsedReport, section_id: str):
    sec = report.get(section_id)
    assert sec is not None, f"no section {section_id!r}; have {ids(report)}"
    return sec


# ---------------------------------------------------------------------------
# Expected trees, read off the documents by hand.

BINH_PHUOC_IDS = [
    "preamble",
    "A",
    "A.I",
    "A.I.1", "A.I.2", "A.I.3", "A.I.4",
    "A.I.4.(1)", "A.I.4.(2)", "A.I.4.(3)", "A.I.4.(4)", "A.I.4.(5)",
    "A.I.4.(6)", "A.I.4.(7)", "A.I.4.(8)", "A.I.4.(9)",
    "A.I.5",
    "A.II", "A.II.1", "A.II.2",
    "B", "B.1", "B.2", "B.3", "B.4", "B.5", "B.6", "B.7", "B.8", "B.9",
    "closing",
]

DONG_LAM_IDS = [
    "preamble",
    "I",
    "I.1", "I.1.a)", "I.1.b)", "I.1.c)", "I.1.d)",
    "I.2", "I.2.1", "I.2.2",
    "I.3", "I.3.a)", "I.3.b)", "I.3.c)", "I.3.d)",
    "I.4",
    "II",
    "III", "III.1", "III.2", "III.3", "III.4", "III.5",
    "closing",
]

P1 = "PHẦN THỨ NHẤT"
P2 = "PHẦN THỨ HAI"
HOA_SON_IDS = [
    "preamble",
    P1,
    P1 + ".Chương I",
    P1 + ".Chương I.Điều 1",
    P1 + ".Chương I.Điều 2",
    P1 + ".Chương I.Điều 2.1",
    P1 + ".Chương I.Điều 2.2",
    P1 + ".Chương I.Điều 3",
    P1 + ".Chương I.Điều 3.1",
    P1 + ".Chương I.Điều 3.1.a)",
    P1 + ".Chương I.Điều 3.1.b)",
    P1 + ".Chương I.Điều 3.1.c)",
    P1 + ".Chương I.Điều 3.2",
    P1 + ".Chương I.Điều 3.3",
    P1 + ".Chương I.Điều 4",
    P1 + ".Chương II",
    P1 + ".Chương II.Điều 5",
    P1 + ".Chương II.Điều 6",
    P2,
    P2 + ".Chương III",
    P2 + ".Chương III.Điều 7",
    P2 + ".Chương III.Điều 8",
    P2 + ".Chương III.Điều 8.1",
    P2 + ".Chương III.Điều 8.1.a)",
    P2 + ".Chương III.Điều 8.1.b)",
    P2 + ".Chương III.Điều 8.2",
    P2 + ".Chương III.Điều 8.3",
    P2 + ".Chương IV",
    P2 + ".Chương IV.Điều 9",
    P2 + ".Chương IV.Điều 10",
    P2 + ".Chương IV.Điều 10.1",
    P2 + ".Chương IV.Điều 10.1.a)",
    P2 + ".Chương IV.Điều 10.1.b)",
    P2 + ".Chương IV.Điều 10.2",
    P2 + ".Chương IV.Điều 10.2.a)",
    P2 + ".Chương IV.Điều 10.2.b)",
    P2 + ".Chương IV.Điều 10.2.c)",
    P2 + ".Chương IV.Điều 11",
    P2 + ".Chương IV.Điều 12",
    P2 + ".Chương IV.Điều 12.1",
    P2 + ".Chương IV.Điều 12.2",
    P2 + ".Chương IV.Điều 12.2.a)",
    P2 + ".Chương IV.Điều 12.2.b)",
    P2 + ".Chương IV.Điều 12.2.c)",
    P2 + ".Chương IV.Điều 13",
    P2 + ".Chương V",
    P2 + ".Chương V.Điều 14",
    P2 + ".Chương V.Điều 15",
    P2 + ".Chương V.Điều 15.1",
    P2 + ".Chương V.Điều 15.2",
    P2 + ".Chương V.Điều 15.3",
    P2 + ".Chương V.Điều 15.4",
    "closing",
]

EXPECTED = {BINH_PHUOC: BINH_PHUOC_IDS, DONG_LAM: DONG_LAM_IDS, HOA_SON: HOA_SON_IDS}


def _split_id(section_id: str) -> list[str]:
    return section_id.split(".")


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_sample_section_ids_exact_and_in_order(path):
    assert ids(parsed(path)) == EXPECTED[path]


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_sample_levels_and_parents_follow_the_ids(path):
    report = parsed(path)
    known = set(ids(report))
    for sec in report.sections:
        if sec.section_id in ("preamble", "closing"):
            assert sec.level == 0
            assert sec.kind == sec.section_id
            continue
        parts = _split_id(sec.section_id)
        assert sec.level == len(parts), sec.section_id
        expected_parent = ".".join(parts[:-1]) or None
        assert sec.parent_id == expected_parent, sec.section_id
        if expected_parent:
            assert expected_parent in known
        # the section path has one entry per level, the last naming this section
        assert len(sec.path) == sec.level
        assert sec.path[-1].startswith(sec.label)


# ---------------------------------------------------------------------------
# Preamble and closing


def test_binh_phuoc_preamble_has_date_kind_title_and_no_heading():
    report = parsed(BINH_PHUOC)
    pre = section(report, "preamble")
    assert report.sections[0] is pre and pre.start == 0
    assert pre.text.startswith("Bình Phước, ngày 14 tháng 6 năm 2024")
    assert "BÁO CÁO" in pre.text
    assert "Tình hình công tác 6 tháng đầu năm và Chương trình công tác 6 tháng cuối năm 2024" in pre.text
    assert "Căn cứ Chương trình kỳ họp thứ mười lăm" in pre.text
    assert "A. TÌNH HÌNH" not in pre.text
    assert "Kết quả chủ yếu" not in pre.text


def test_binh_phuoc_closing_starts_at_recipients_and_holds_signature():
    report = parsed(BINH_PHUOC)
    closing = section(report, "closing")
    assert report.sections[-1] is closing
    assert closing.text.startswith("Nơi nhận")
    assert closing.heading.startswith("Nơi nhận")
    for piece in ("- Văn phòng Chính phủ;", "- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"):
        assert piece in closing.text
    assert closing.text.rstrip().endswith("Trần Tuệ Hiền")
    assert closing.end == len(report.text)
    # the last body section keeps its closing sentence and nothing of the closing block
    last = section(report, "B.9")
    assert last.text.rstrip().endswith("UBND tỉnh báo cáo HĐND tỉnh xem xét./.")
    assert "Nơi nhận" not in last.text
    assert "Trần Tuệ Hiền" not in last.text
    # and no body section carries recipients or the signer
    for sec in report.body:
        assert "Văn phòng Chính phủ;" not in sec.text
        assert "Trần Tuệ Hiền" not in sec.text


@pytest.mark.parametrize(
    "path, date_line, title, first_heading, signer, last_body, last_sentence",
    [
        (
            DONG_LAM, "Đông Lâm, ngày 12 tháng 12 năm 2023",
            "Kết quả thực hiện nhiệm vụ phát triển kinh tế - xã hội năm 2023 và phương hướng, nhiệm vụ năm 2024",
            "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ NĂM 2023", "Lương Đình Thạch",
            "III.5", "UBND huyện Đông Lâm báo cáo HĐND huyện xem xét./.",
        ),
        (
            HOA_SON, "Hòa Sơn, ngày 05 tháng 3 năm 2025",
            "Chuyển đổi số tỉnh Hòa Sơn giai đoạn 2025-2027",
            "PHẦN THỨ NHẤT", "Đinh Quang Vĩnh",
            P2 + ".Chương V.Điều 15.4", "báo cáo UBND tỉnh xem xét, giải quyết./.",
        ),
    ],
    ids=["dong-lam", "hoa-son"],
)
def test_other_samples_preamble_and_closing(path, date_line, title, first_heading, signer, last_body, last_sentence):
    report = parsed(path)
    pre, closing = report.sections[0], report.sections[-1]
    assert pre.section_id == "preamble" and closing.section_id == "closing"
    assert pre.text.startswith("ỦY BAN NHÂN DÂN")
    assert date_line in pre.text
    assert title in pre.text
    assert "Số:" in pre.text
    assert first_heading not in pre.text
    assert closing.text.startswith("Nơi nhận:")
    assert closing.text.rstrip().endswith(signer)
    assert "- Lưu: VT" in closing.text
    body_last = section(report, last_body)
    assert body_last.text.rstrip().endswith(last_sentence)
    assert "Nơi nhận" not in body_last.text and signer not in body_last.text


# ---------------------------------------------------------------------------
# Page breaks mended, content stays in its section


@pytest.mark.parametrize(
    "path, section_id, phrase",
    [
        (BINH_PHUOC, "A.I.4.(2)", "6 tháng đầu năm, UBND tỉnh quyết liệt"),
        (BINH_PHUOC, "A.I.4.(5)", "của Tỉnh ủy về xây dựng và phát triển văn hóa, con người Bình Phước đến năm 2030, định hướng đến năm 2045."),
        (BINH_PHUOC, "A.I.5", "điều hành của UBND tỉnh, Chủ tịch UBND tỉnh và hoạt động quản lý"),
        (BINH_PHUOC, "B.7", "Chương trình công tác năm 2024 của Tỉnh ủy, UBND tỉnh. Chấn chỉnh"),
        (BINH_PHUOC, "B", "chủ động, nỗ lực"),
        (DONG_LAM, "I.2.2", "UBND huyện đã thành lập 03 tổ công tác"),
        (DONG_LAM, "III.3", "và đưa vào phục vụ Nhân dân trước Tết Nguyên đán Ất Tỵ 2025."),
        (HOA_SON, P1 + ".Chương I.Điều 3.2", "chưa được kết nối, đồng bộ"),
        (HOA_SON, P2 + ".Chương IV.Điều 11", "sau đó nhân rộng ra toàn tỉnh trong năm 2026"),
    ],
)
def test_page_broken_paragraph_is_one_paragraph_in_its_section(path, section_id, phrase):
    report = parsed(path)
    sec = section(report, section_id)
    assert phrase in sec.text
    # one paragraph: the phrase lies inside a single block of the section
    assert any(phrase in block for block in sec.text.split("\n\n"))
    # and in no other section
    assert [s.section_id for s in report.sections if phrase in s.text] == [section_id]


def test_b7_heading_line_cut_by_page_break_is_mended_into_b7():
    report = parsed(BINH_PHUOC)
    b7 = section(report, "B.7")
    assert b7.text.startswith("7. Thực hiện nghiêm Quy chế làm việc và Chương trình công tác năm 2024 của Tỉnh ủy, UBND tỉnh.")
    assert "Chỉ số PCI của tỉnh năm 2024." in b7.text
    assert "của Tỉnh ủy, UBND tỉnh. Chấn chỉnh" not in section(report, "B.6").text


def test_b_own_text_is_its_introduction_only():
    b = section(parsed(BINH_PHUOC), "B")
    assert b.text.startswith("B. CHƯƠNG TRÌNH CÔNG TÁC 6 THÁNG CUỐI NĂM 2024")
    assert "tiếp tục đổi mới, chủ động, nỗ lực phấn đấu hơn nữa" in b.text
    assert b.text.rstrip().endswith("chú trọng các nhiệm vụ sau:")
    assert "1. Tập trung quyết liệt" not in b.text


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_no_block_starts_in_lower_case_after_mending(path):
    """Every lower-case line in the samples continues a paragraph cut by a page break."""
    report = parsed(path)
    blocks = report.text.split("\n\n")
    starts_lower = [
        b[:40] for b in blocks if b[:1].isalpha() and b[:1].islower() and not re.match(r"[a-zđ]\) ", b)
    ]
    assert starts_lower == []


# ---------------------------------------------------------------------------
# References, numbered sentences and lists never become headings


def test_references_inside_paragraphs_stay_in_their_paragraph():
    report = parsed(BINH_PHUOC)
    cases = {
        "A.I.4.(2)": "Nghị quyết số 02/NQ-HĐND ngày 13/5/2024",
        "A.I.4.(1)": "đứng thứ 02 vùng Đông Nam Bộ và đứng thứ 18 so với cả nước",
        "A.I.4": "(*Tỉ lệ thất nghiệp khu vực thành thị; Tỉ lệ dân số nông thôn",
        "A.I.1": "Nghị quyết số 21/NQ-HĐND ngày 08/12/2023",
        "B.4": "Chương trình hành động số 17-CTr/TU ngày 30/9/2021",
    }
    for section_id, phrase in cases.items():
        assert phrase in section(report, section_id).text, section_id
    assert ids(report) == BINH_PHUOC_IDS


REFERENCE_BREAKS = [
    (
        "(1) Tốc độ tăng trưởng kinh tế (GRDP) 6 tháng đầu năm của tỉnh ước tăng 7,76% so với cùng kỳ năm 2023, đứng thứ",
        "02 vùng Đông Nam Bộ và đứng thứ 18 so với cả nước.",
    ),
    (
        "(1) Cao tốc đoạn qua địa bàn tỉnh đã được HĐND tỉnh quyết định chủ trương đầu tư tại Nghị quyết số",
        "02/NQ-HĐND ngày 13/5/2024; dự kiến khởi công vào cuối năm 2024.",
    ),
    (
        "(1) Trong 22 chỉ tiêu chủ yếu Nghị quyết HĐND tỉnh đề ra năm 2024, đến nay đã có 4 chỉ tiêu đạt kế hoạch",
        "(*Tỉ lệ thất nghiệp khu vực thành thị; Số bác sĩ/vạn dân*), các chỉ tiêu còn lại đều có khả năng đạt.",
    ),
]


def _reference_report(first: str, second: str) -> str:
    return f"BÁO CÁO\n\nI. Kết quả\n\n{first}\n\n{second}\n\n(2) Nội dung tiếp theo của báo cáo.\n"


@pytest.mark.parametrize("first, second", REFERENCE_BREAKS, ids=["dung-thu-02", "02-NQ-HDND", "ti-le"])
def test_reference_at_start_of_a_page_is_not_a_heading(first, second):
    report = parse_report(_reference_report(first, second))
    assert ids(report) == ["preamble", "I", "I.(1)", "I.(2)"]
    assert second in section(report, "I.(1)").text


@pytest.mark.parametrize("first, second", REFERENCE_BREAKS, ids=["dung-thu-02", "02-NQ-HDND", "ti-le"])
def test_page_break_before_a_reference_is_mended(first, second):
    report = parse_report(_reference_report(first, second))
    assert f"{first} {second}" in section(report, "I.(1)").text


def test_bullets_are_list_items_inside_their_section():
    report = parsed(DONG_LAM)
    farm = section(report, "I.1.a)")
    assert "- Hỗ trợ cơ giới hóa cho 46 máy cấy" in farm.text
    assert "+ Vùng lúa chất lượng cao 1.250 ha" in farm.text
    assert "+ Vùng bưởi đặc sản 320 ha" in farm.text
    assert "+ 05 đơn tố cáo, đã giải quyết xong 05/05 đơn;" in section(report, "I.4").text
    assert "- Tỷ lệ giải ngân vốn đầu tư công chỉ đạt 90,1%" in section(report, "II").text
    assert "• Nhận thức và vai trò của người đứng đầu" in section(parsed(HOA_SON), P1 + ".Chương II.Điều 6").text
    assert "- Năng suất, sản lượng một số cây trồng" in section(parsed(BINH_PHUOC), "A.II.2").text
    for path in ALL_SAMPLES:
        for sec in parsed(path).sections:
            assert not sec.heading.startswith(("-", "+", "•")), (path.name, sec.section_id)


def test_numbered_bullets_do_not_open_sections():
    text = (
        "BÁO CÁO\n\n"
        "I. Nhiệm vụ\n\n"
        "1. Kinh tế\n\n"
        "- 2. Tăng thu ngân sách;\n"
        "+ 3. Giảm chi thường xuyên;\n"
        "- a) Cải cách thủ tục.\n\n"
        "2. Xã hội\n\n"
        "Giảm nghèo bền vững.\n"
    )
    report = parse_report(text)
    assert ids(report) == ["preamble", "I", "I.1", "I.2"]
    assert "- 2. Tăng thu ngân sách;" in section(report, "I.1").text


# ---------------------------------------------------------------------------
# Label styles


def test_decimal_label_sits_under_its_number():
    report = parsed(DONG_LAM)
    sub = section(report, "I.2.1")
    assert sub.heading == "2.1. Thu, chi ngân sách"
    assert sub.parent_id == "I.2" and sub.level == 3
    assert section(report, "I.2.2").heading == "2.2. Đầu tư xây dựng cơ bản"
    # the parent's own text is only its heading: its body sits in 2.1 and 2.2
    assert section(report, "I.2").text == "2. Tài chính, ngân sách và đầu tư phát triển"
    assert "Tổng thu ngân sách nhà nước trên địa bàn ước đạt 412,6 tỷ đồng" in sub.text


def test_lettered_labels_keep_their_bracket():
    report = parsed(DONG_LAM)
    assert section(report, "I.1.a)").heading == "a) Sản xuất nông nghiệp"
    assert section(report, "I.3.d)").heading == "d) Văn hóa, thông tin, thể thao"
    assert section(report, "I.1.a)").label == "a)"
    # the table under "1. Về kinh tế" stays in I.1, before a)
    econ = section(report, "I.1")
    assert "| 1 | Tổng giá trị sản xuất (giá so sánh 2010) | tỷ đồng | 12.800 | 12.850 | 100,4 |" in econ.text
    assert "| 6 | Giải ngân vốn đầu tư công | tỷ đồng | 268 | 241,5 | 90,1 |" in econ.text


def test_vietnamese_letter_order_with_d_stroke():
    text = (
        "BÁO CÁO\n\nI. Nhiệm vụ\n\n1. Thu ngân sách\n\n"
        "a) Thuế.\n\nb) Phí.\n\nc) Lệ phí.\n\nd) Khác.\n\nđ) Đất đai.\n\ne) Tài sản công.\n\n"
        "2. Chi ngân sách\n"
    )
    assert ids(parse_report(text)) == [
        "preamble", "I", "I.1", "I.1.a)", "I.1.b)", "I.1.c)", "I.1.d)", "I.1.đ)", "I.1.e)", "I.2",
    ]


def test_upper_case_part_e_after_d_stroke():
    parts = ["A", "B", "C", "D", "Đ", "E"]
    text = "BÁO CÁO\n\n" + "".join(f"{p}. Phần {p}\n\nNội dung phần {p}.\n\n" for p in parts)
    assert ids(parse_report(text)) == ["preamble", *parts]


def test_dieu_numbering_continues_across_chuong_and_phan():
    report = parsed(HOA_SON)
    dieu = [s for s in report.sections if s.label.startswith("Điều ")]
    assert [s.label for s in dieu] == [f"Điều {n}" for n in range(1, 16)]
    assert [s.level for s in dieu] == [3] * 15
    parents = {s.label: s.parent_id for s in dieu}
    assert parents["Điều 4"] == P1 + ".Chương I"
    assert parents["Điều 5"] == P1 + ".Chương II"
    assert parents["Điều 7"] == P2 + ".Chương III"
    assert parents["Điều 9"] == P2 + ".Chương IV"
    assert parents["Điều 14"] == P2 + ".Chương V"
    # a Part printed on its own line is named by the next line in the heading path
    d1 = section(report, P1 + ".Chương I.Điều 1")
    assert d1.path[0] == "PHẦN THỨ NHẤT ĐÁNH GIÁ KẾT QUẢ CHUYỂN ĐỔI SỐ NĂM 2024"
    assert d1.path[1] == "Chương I. KẾT QUẢ ĐẠT ĐƯỢC"
    assert section(report, P1).text.startswith("PHẦN THỨ NHẤT\n\nĐÁNH GIÁ KẾT QUẢ CHUYỂN ĐỔI SỐ NĂM 2024\n\n2024 là năm thứ ba")


def test_programme_part_is_flagged():
    report = parsed(BINH_PHUOC)
    assert all(s.programme for s in report.sections if s.section_id == "B" or s.section_id.startswith("B."))
    assert not any(s.programme for s in report.sections if s.section_id.startswith("A"))
    dong_lam = parsed(DONG_LAM)
    assert section(dong_lam, "III.2").programme and not section(dong_lam, "I.2.1").programme


# ---------------------------------------------------------------------------
# Headings and text invariants


def _raw_lines(path: Path) -> list[str]:
    return [line.strip() for line in raw(path).splitlines() if line.strip()]


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_heading_is_first_line_as_printed_and_text_starts_with_it(path):
    report = parsed(path)
    lines = _raw_lines(path)
    for sec in report.body:
        first_block = sec.text.split("\n\n", 1)[0]
        # the section's text begins with its heading line ("…" marks a shortened heading)
        shown = sec.heading[:-1] if sec.heading.endswith("…") else sec.heading
        assert sec.text.startswith(shown), sec.section_id
        assert sec.heading.startswith(sec.label), sec.section_id
        printed = next(line for line in lines if first_block.startswith(line))
        if printed == first_block and len(printed) <= 200:
            assert sec.heading == printed, sec.section_id
        else:
            # a long numbered paragraph is shown by its first sentence(s), as printed
            assert first_block.startswith(shown), sec.section_id
            assert len(sec.heading) <= 301, sec.section_id


def test_specific_headings_as_printed():
    bp = parsed(BINH_PHUOC)
    assert section(bp, "A").heading == "A. TÌNH HÌNH CÔNG TÁC 6 THÁNG ĐẦU NĂM 2024"
    assert section(bp, "A.I").heading == "I. Kết quả chủ yếu"
    assert section(bp, "A.II.2").heading == "2. Tồn tại, hạn chế"
    assert section(bp, "A.I.4.(1)").heading.startswith("(1) Tốc độ tăng trưởng kinh tế (GRDP)")
    hs = parsed(HOA_SON)
    assert section(hs, P1).heading == "PHẦN THỨ NHẤT"
    assert section(hs, P2 + ".Chương III").heading == "Chương III. MỤC TIÊU VÀ CHỈ TIÊU"
    assert section(hs, P2 + ".Chương IV.Điều 10.2.c)").heading == "c) Nâng cấp Trung tâm dữ liệu tỉnh đạt dung lượng lưu trữ 1 PB vào năm 2027."


def assert_text_invariants(report: ParsedReport, source: str) -> None:
    """Each section's text is its slice of the normalised text; sections are in order,
    do not overlap, and together hold every word of the source."""
    previous_end = 0
    for sec in report.sections:
        assert sec.text, sec.section_id
        assert report.text[sec.start : sec.end] == sec.text, sec.section_id
        assert sec.start >= previous_end, f"{sec.section_id} overlaps the section before it"
        assert report.text[previous_end : sec.start].strip() == "", f"text lost before {sec.section_id}"
        previous_end = sec.end
    assert report.text[previous_end:].strip() == ""
    assert "\n\n".join(s.text for s in report.sections) == report.text
    # normalisation keeps every word (page-break mending only changes the whitespace)
    assert report.text.split() == clean_text(source).split()
    section_ids = ids(report)
    assert len(section_ids) == len(set(section_ids)), "duplicate section ids"


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_sample_text_invariants(path):
    assert_text_invariants(parsed(path), raw(path))


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_no_heading_text_in_another_section(path):
    report = parsed(path)
    heading_blocks = {s.text.split("\n\n", 1)[0]: s.section_id for s in report.body}
    for sec in report.sections:
        blocks = sec.text.split("\n\n")
        for block in blocks[1:] if sec.kind != "preamble" else blocks:
            assert block not in heading_blocks, f"heading of {heading_blocks[block]} inside {sec.section_id}"


# ---------------------------------------------------------------------------
# Same report, other encodings of the text


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_crlf_and_nfd_give_the_same_tree(path):
    base = parsed(path)
    for variant in (raw(path).replace("\n", "\r\n"), unicodedata.normalize("NFD", raw(path)), raw(path).replace("\n", "\r")):
        other = parse_report(variant)
        assert ids(other) == ids(base)
        assert [s.text for s in other.sections] == [s.text for s in base.sections]
        assert other.text == base.text


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_single_newline_layout_gives_the_same_ids(path):
    """PDF text layers and some editors separate paragraphs with one newline only."""
    squeezed = re.sub(r"\n\s*\n", "\n", raw(path))
    assert ids(parse_report(squeezed)) == ids(parsed(path))


def test_single_newline_layout_keeps_headings():
    squeezed = parse_report(re.sub(r"\n\s*\n", "\n", raw(BINH_PHUOC)))
    for sec in parsed(BINH_PHUOC).body:
        assert squeezed.get(sec.section_id).heading == sec.heading, sec.section_id


# ---------------------------------------------------------------------------
# Small reports in other layouts


def test_decimal_only_layout():
    text = (
        "ỦY BAN NHÂN DÂN\nXÃ AN BÌNH\n\nBÁO CÁO\nTổng kết công tác năm 2024\n\n"
        "1. Kinh tế\nNội dung kinh tế chung của xã.\n"
        "1.1. Nông nghiệp\nSản lượng lúa đạt 5.200 tấn.\n"
        "1.1.1. Trồng trọt\nDiện tích lúa 820 ha.\n"
        "1.1.2. Chăn nuôi\nĐàn lợn 4.300 con.\n"
        "1.2. Công nghiệp\nGiá trị sản xuất 46 tỷ đồng.\n"
        "2. Xã hội\nTỷ lệ hộ nghèo còn 1,8%.\n"
        "2.1. Giáo dục\nCó 3/4 trường đạt chuẩn.\n"
        "2.2. Y tế\nTrạm y tế đạt chuẩn quốc gia.\n"
    )
    report = parse_report(text)
    assert ids(report) == ["preamble", "1", "1.1", "1.1.1", "1.1.2", "1.2", "2", "2.1", "2.2"]
    assert [s.level for s in report.body] == [1, 2, 3, 3, 2, 1, 2, 2]
    assert section(report, "1.1.2").heading == "1.1.2. Chăn nuôi"
    assert section(report, "1.1.2").text == "1.1.2. Chăn nuôi\n\nĐàn lợn 4.300 con."
    assert section(report, "preamble").text == "ỦY BAN NHÂN DÂN\n\nXÃ AN BÌNH\n\nBÁO CÁO\n\nTổng kết công tác năm 2024"
    assert_text_invariants(report, text)


def test_muc_dieu_layout():
    text = (
        "QUY CHẾ\nLàm việc của Ủy ban nhân dân xã\n\n"
        "Mục 1. QUY ĐỊNH CHUNG\n\n"
        "Điều 1. Phạm vi điều chỉnh\n\nQuy chế này quy định nguyên tắc làm việc.\n\n"
        "Điều 2. Đối tượng áp dụng\n\nThành viên Ủy ban nhân dân xã.\n\n"
        "Mục 2. TRÁCH NHIỆM\n\n"
        "Điều 3. Trách nhiệm của Chủ tịch\n\n1. Lãnh đạo chung.\n\n2. Phân công công việc.\n\n"
        "Điều 4. Hiệu lực thi hành\n\nQuy chế có hiệu lực từ ngày ký.\n"
    )
    report = parse_report(text)
    assert ids(report) == [
        "preamble", "Mục 1", "Mục 1.Điều 1", "Mục 1.Điều 2",
        "Mục 2", "Mục 2.Điều 3", "Mục 2.Điều 3.1", "Mục 2.Điều 3.2", "Mục 2.Điều 4",
    ]
    assert section(report, "Mục 2.Điều 4").text.endswith("Quy chế có hiệu lực từ ngày ký.")
    assert_text_invariants(report, text)


LONG_PARAGRAPHS = [
    "Trong năm 2024, tình hình kinh tế - xã hội của xã tiếp tục ổn định và phát triển; tổng giá trị sản xuất "
    "ước đạt 320 tỷ đồng, tăng 7,2% so với năm 2023, thu nhập bình quân đầu người đạt 52 triệu đồng/năm.",
    "Thu ngân sách trên địa bàn đạt 12,5 tỷ đồng, bằng 104% dự toán huyện giao; chi ngân sách đảm bảo đúng "
    "dự toán, ưu tiên cho giáo dục, y tế và an sinh xã hội; không để phát sinh nợ đọng xây dựng cơ bản mới.",
    "Năm 2025, xã tập trung hoàn thành xây dựng nông thôn mới nâng cao và cải cách hành chính.",
]


def test_report_without_headings_is_indexed_by_paragraphs():
    text = (
        "An Bình, ngày 20 tháng 12 năm 2024\n\nBÁO CÁO\n\nTình hình thực hiện nhiệm vụ năm 2024\n\n"
        + "\n\n".join(LONG_PARAGRAPHS)
        + "\n\nNơi nhận:\n- UBND huyện;\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Văn An\n"
    )
    report = parse_report(text)
    assert ids(report) == ["preamble", "p1", "p2", "p3", "closing"]
    for n, paragraph in enumerate(LONG_PARAGRAPHS, start=1):
        sec = section(report, f"p{n}")
        assert sec.text == paragraph
        assert sec.kind == "paragraph" and sec.level == 1
    assert section(report, "preamble").text.startswith("An Bình, ngày 20 tháng 12 năm 2024")
    assert "Tình hình thực hiện nhiệm vụ năm 2024" in section(report, "preamble").text
    assert section(report, "closing").text.rstrip().endswith("Nguyễn Văn An")
    assert_text_invariants(report, text)


def test_report_without_headings_short_first_paragraph_is_p1():
    paragraphs = [
        "Trong năm 2024, thu ngân sách trên địa bàn xã đạt 12,5 tỷ đồng, bằng 104% dự toán huyện giao.",
        "Tỷ lệ hộ nghèo giảm còn 1,8%; 100% thôn đạt danh hiệu thôn văn hóa.",
    ]
    text = "An Bình, ngày 20 tháng 12 năm 2024\n\nBÁO CÁO\n\nKết quả năm 2024\n\n" + "\n\n".join(paragraphs) + "\n"
    report = parse_report(text)
    assert ids(report) == ["preamble", "p1", "p2"]
    assert section(report, "p1").text == paragraphs[0]


def test_hard_wrapped_pdf_like_text():
    text = (
        "ỦY BAN NHÂN DÂN\nXÃ AN BÌNH\nAn Bình, ngày 20 tháng 12 năm 2024\nBÁO CÁO\n"
        "Kết quả thực hiện nhiệm vụ năm 2024\n"
        "I. KẾT QUẢ ĐẠT ĐƯỢC\n"
        "1. Kinh tế\n"
        "Năm 2024, tổng giá trị sản xuất trên địa bàn xã ước đạt 320 tỷ đồng, tăng\n"
        "7,2% so với năm 2023; thu nhập bình quân đầu người đạt 52 triệu đồng/năm,\n"
        "tăng 3,5 triệu đồng so với năm trước. Diện tích gieo trồng cây hằng năm\n"
        "đạt 1.250 ha, bằng 101% kế hoạch.\n"
        "2. Xã hội\n"
        "Tỷ lệ hộ nghèo giảm còn 2,1%; tỷ lệ người dân tham gia bảo hiểm y tế đạt\n"
        "93,5%. Trường Tiểu học An Bình được công nhận đạt chuẩn quốc gia mức độ 2\n"
        "vào tháng 9/2024.\n"
        "II. NHIỆM VỤ NĂM 2025\n"
        "1. Phấn đấu thu ngân sách đạt 15 tỷ đồng.\n"
        "2. Hoàn thành xây dựng nông thôn mới nâng cao.\n"
        "Nơi nhận:\n- UBND huyện;\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Văn An\n"
    )
    report = parse_report(text)
    assert ids(report) == ["preamble", "I", "I.1", "I.2", "II", "II.1", "II.2", "closing"]
    econ = section(report, "I.1")
    assert econ.text == (
        "1. Kinh tế\n\nNăm 2024, tổng giá trị sản xuất trên địa bàn xã ước đạt 320 tỷ đồng, tăng 7,2% so với "
        "năm 2023; thu nhập bình quân đầu người đạt 52 triệu đồng/năm, tăng 3,5 triệu đồng so với năm trước. "
        "Diện tích gieo trồng cây hằng năm đạt 1.250 ha, bằng 101% kế hoạch."
    )
    assert "bảo hiểm y tế đạt 93,5%. Trường Tiểu học An Bình được công nhận đạt chuẩn quốc gia mức độ 2 vào tháng 9/2024." in section(report, "I.2").text
    assert section(report, "preamble").text == (
        "ỦY BAN NHÂN DÂN\n\nXÃ AN BÌNH\n\nAn Bình, ngày 20 tháng 12 năm 2024\n\nBÁO CÁO\n\nKết quả thực hiện nhiệm vụ năm 2024"
    )
    assert section(report, "closing").text.startswith("Nơi nhận:")
    assert_text_invariants(report, text)


def test_windows_line_endings_and_nfd_inline():
    text = (
        "BÁO CÁO\n\nI. Kết quả\n\n1. Kinh tế\n\nGRDP tăng 7,76%, đứng thứ 02 vùng Đông Nam Bộ.\n\n"
        "a) Nông nghiệp\n\nSản lượng lúa đạt 98.750 tấn.\n\nII. Nhiệm vụ\n\n1. Thu ngân sách đạt 430 tỷ đồng.\n"
    )
    expected = ["preamble", "I", "I.1", "I.1.a)", "II", "II.1"]
    nfc = parse_report(text)
    assert ids(nfc) == expected
    for variant in (text.replace("\n", "\r\n"), unicodedata.normalize("NFD", text), unicodedata.normalize("NFD", text).replace("\n", "\r\n")):
        other = parse_report(variant)
        assert ids(other) == expected
        assert other.text == nfc.text
        assert "\r" not in other.text
        assert unicodedata.is_normalized("NFC", other.text)


def test_body_sentence_starting_with_noi_nhan_is_not_the_closing():
    text = (
        "BÁO CÁO\n\nI. Cải cách hành chính\n\n1. Bộ phận một cửa\n\n"
        "Nơi nhận hồ sơ là Bộ phận tiếp nhận và trả kết quả của UBND xã, mở cửa các ngày làm việc.\n\n"
        "2. Chuyển đổi số\n\nXã đã số hóa 100% hồ sơ.\n\n"
        "Nơi nhận:\n- UBND huyện;\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Văn An\n"
    )
    report = parse_report(text)
    assert ids(report) == ["preamble", "I", "I.1", "I.2", "closing"]
    assert "Nơi nhận hồ sơ là Bộ phận" in section(report, "I.1").text
    assert section(report, "closing").text.startswith("Nơi nhận:")


# ---------------------------------------------------------------------------
# CLI: python -m assistant sections PATH --json


def _run_cli(*args: str, tmp_path: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(tmp_path / "data"), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, encoding="utf-8", timeout=60,
    )


def test_cli_sections_json(tmp_path):
    result = _run_cli("sections", str(BINH_PHUOC), "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    assert [d["section_id"] for d in data] == BINH_PHUOC_IDS
    for item in data:
        assert set(item) == {"section_id", "level", "heading", "text"}
        assert isinstance(item["level"], int)
    by_id = {d["section_id"]: d for d in data}
    assert by_id["A.I.4.(1)"]["level"] == 4
    assert by_id["A.I.4.(1)"]["heading"].startswith("(1) Tốc độ tăng trưởng kinh tế")
    assert "7,76%" in by_id["A.I.4.(1)"]["text"]
    assert by_id["B.7"]["text"].startswith(by_id["B.7"]["heading"])
    assert "năm 2024 của Tỉnh ủy" in by_id["B.7"]["text"]
    assert by_id["closing"]["text"].startswith("Nơi nhận")
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir()), "sections must index nothing"


def test_cli_sections_from_stdin(tmp_path):
    result = _run_cli("sections", "-", "--json", tmp_path=tmp_path, stdin=raw(DONG_LAM))
    assert result.returncode == 0, result.stderr
    assert [d["section_id"] for d in json.loads(result.stdout)] == DONG_LAM_IDS


@pytest.mark.parametrize("make_input", ["missing", "empty", "unsupported"])
def test_cli_sections_bad_input_exits_2_with_one_line(tmp_path, make_input):
    if make_input == "missing":
        path = tmp_path / "khong-co.txt"
    elif make_input == "empty":
        path = tmp_path / "trong.txt"
        path.write_text("  \n\n", encoding="utf-8")
    else:
        path = tmp_path / "bao-cao.xlsx"
        path.write_bytes(b"PK\x03\x04")
    result = _run_cli("sections", str(path), "--json", tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].strip()

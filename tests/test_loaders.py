"""Reading reports (ingest/loaders.py): every user mistake is a one-line InputError,
Vietnamese text arrives intact whatever its encoding, and .docx/.md give the same
section tree as the plain text."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest

from ingest.loaders import InputError, decode_bytes, load_bytes, load_path, load_text
from ingest.sections import parse_report
from tests.conftest import to_cp1258

ROOT = Path(__file__).resolve().parent.parent
DONG_LAM = ROOT / "samples" / "bao-cao-huyen-dong-lam-2023.txt"
BINH_PHUOC = ROOT / "samples" / "bao-cao-binh-phuoc-6-thang-2024.txt"

VI_TEXT = (
    "Bình Phước, ngày 14 tháng 6 năm 2024\n"
    "BÁO CÁO\n"
    "I. Kết quả chủ yếu\n"
    "Tốc độ tăng trưởng kinh tế ước tăng 7,76%, đứng thứ 02 vùng Đông Nam Bộ; "
    "hỗ trợ người nghèo, ưu tiên đường giao thông, Ủy ban, Đảng bộ, kỹ thuật, lũy kế.\n"
)


def one_line_error(excinfo) -> str:
    message = str(excinfo.value)
    assert message.strip(), "empty error message"
    assert "\n" not in message, f"message is not one line: {message!r}"
    return message


# ---------------------------------------------------------------------------
# User mistakes


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \r\n  "])
def test_empty_paste_is_rejected(text):
    with pytest.raises(InputError) as excinfo:
        load_text(text)
    assert "trống" in one_line_error(excinfo) or "empty" in str(excinfo.value)


@pytest.mark.parametrize("data", [b"", b"   \n\n \t", "\ufeff  \n".encode("utf-8")])
def test_empty_file_is_rejected(data):
    with pytest.raises(InputError) as excinfo:
        load_bytes(data, "bao-cao.txt")
    assert "empty" in one_line_error(excinfo)


def test_empty_file_on_disk_is_rejected(tmp_path):
    path = tmp_path / "trong.txt"
    path.write_bytes(b"\n \n")
    with pytest.raises(InputError) as excinfo:
        load_path(path)
    one_line_error(excinfo)


def test_too_large_file_and_paste(tmp_path):
    data = VI_TEXT.encode("utf-8")
    with pytest.raises(InputError) as excinfo:
        load_bytes(data, "bao-cao.txt", max_bytes=100)
    assert "too large" in one_line_error(excinfo)
    path = tmp_path / "lon.txt"
    path.write_bytes(data)
    with pytest.raises(InputError) as excinfo:
        load_path(path, max_bytes=100)
    assert "too large" in one_line_error(excinfo)
    with pytest.raises(InputError) as excinfo:
        load_text("a" * 101, max_chars=100)
    assert "too long" in one_line_error(excinfo)
    # at the limit it loads
    assert load_bytes(data, "bao-cao.txt", max_bytes=len(data)).text == VI_TEXT
    assert load_text("a" * 100, max_chars=100).text == "a" * 100


def test_too_long_paste_message_reads_correctly():
    with pytest.raises(InputError) as excinfo:
        load_text("a" * 12001, max_chars=12000)
    assert "12.001 ký tự, tối đa 12.000" in str(excinfo.value)


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,                               # with NUL bytes
        b"\x89PNG\r\n\x1a\n" + bytes(200) + b"IHDR" * 10,    # an image renamed .txt
        bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 50,          # no NUL, not any text encoding
    ],
    ids=["nul-bytes", "png", "undecodable"],
)
def test_binary_named_txt_is_rejected(data):
    with pytest.raises(InputError) as excinfo:
        load_bytes(data, "bao-cao.txt")
    one_line_error(excinfo)


@pytest.mark.parametrize("name", ["bao-cao.xlsx", "bao-cao.exe", "bao-cao.odt", "anh.GIF"])
def test_unsupported_suffix(name):
    with pytest.raises(InputError) as excinfo:
        load_bytes(VI_TEXT.encode(), name)
    message = one_line_error(excinfo)
    assert Path(name).suffix.lower() in message and "unsupported" in message


def test_suffix_is_case_insensitive():
    assert load_bytes(VI_TEXT.encode(), "BAO-CAO.TXT").text == VI_TEXT


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as excinfo:
        load_path(tmp_path / "khong-co.txt")
    assert "not found" in one_line_error(excinfo)
    with pytest.raises(InputError):
        load_path(tmp_path)          # a directory is not a report either


def test_pdf_without_text_layer():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(InputError) as excinfo:
        load_bytes(buf.getvalue(), "ban-quet.pdf")
    assert "OCR" in one_line_error(excinfo)


def test_corrupt_pdf():
    with pytest.raises(InputError) as excinfo:
        load_bytes(b"%PDF-1.4\nnot really a pdf", "hong.pdf")
    one_line_error(excinfo)


@pytest.mark.parametrize("data", [b"PK\x03\x04 this is not a zip archive", b"plain text", b""], ids=["bad-zip", "text", "empty"])
def test_corrupt_docx(data):
    with pytest.raises(InputError) as excinfo:
        load_bytes(data, "hong.docx")
    one_line_error(excinfo)


def test_zip_that_is_not_a_docx():
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "xin chào")
    with pytest.raises(InputError) as excinfo:
        load_bytes(buf.getvalue(), "khong-phai.docx")
    one_line_error(excinfo)


# ---------------------------------------------------------------------------
# Encodings


def test_windows_1258_round_trip():
    data = to_cp1258(VI_TEXT)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    loaded = load_bytes(data, "bao-cao-1258.txt")
    assert loaded.text == unicodedata.normalize("NFC", VI_TEXT)
    assert unicodedata.is_normalized("NFC", loaded.text)
    assert "Bình Phước" in loaded.text and "Đông Nam Bộ" in loaded.text and "lũy kế" in loaded.text


def test_windows_1258_sample_parses_like_utf8():
    text = DONG_LAM.read_text(encoding="utf-8")
    loaded = load_bytes(to_cp1258(text), DONG_LAM.name)
    assert loaded.text == text
    assert [s.section_id for s in parse_report(loaded.text).sections] == [
        s.section_id for s in parse_report(text).sections
    ]


@pytest.mark.parametrize(
    "data",
    [
        VI_TEXT.encode("utf-16"),                       # BOM, platform order
        b"\xff\xfe" + VI_TEXT.encode("utf-16-le"),
        b"\xfe\xff" + VI_TEXT.encode("utf-16-be"),
        b"\xef\xbb\xbf" + VI_TEXT.encode("utf-8"),     # UTF-8 with BOM
        VI_TEXT.encode("utf-8"),
        VI_TEXT.encode("utf-16-le"),                   # UTF-16 without BOM
    ],
    ids=["utf16", "utf16le-bom", "utf16be-bom", "utf8-bom", "utf8", "utf16le-no-bom"],
)
def test_unicode_encodings(data):
    loaded = load_bytes(data, "bao-cao.txt")
    assert loaded.text == VI_TEXT
    assert not loaded.text.startswith("\ufeff")


def test_nfd_file_loads_and_parses_like_nfc(tmp_path):
    text = DONG_LAM.read_text(encoding="utf-8")
    path = tmp_path / "nfd.txt"
    path.write_bytes(unicodedata.normalize("NFD", text).encode("utf-8"))
    loaded = load_path(path)
    assert loaded.source == "nfd.txt"
    nfd_report, nfc_report = parse_report(loaded.text), parse_report(text)
    assert [s.section_id for s in nfd_report.sections] == [s.section_id for s in nfc_report.sections]
    assert nfd_report.text == nfc_report.text


def test_truncated_utf8_is_not_turned_into_mojibake():
    text = "Bình Phước, ngày 14 tháng 6 năm 2024. Tăng trưởng kinh tế đạt 7,76%, đứng thứ 02 vùng Nam Bộ"
    data = text.encode("utf-8")[:-1]          # cut inside the final "ộ"
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    try:
        decoded = decode_bytes(data)
    except InputError:
        return
    assert decoded.startswith("Bình Phước, ngày 14 tháng 6 năm 2024")


# ---------------------------------------------------------------------------
# .docx and .md


def _build_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("ỦY BAN NHÂN DÂN")
    document.add_paragraph("HUYỆN ĐÔNG LÂM")
    document.add_paragraph("Đông Lâm, ngày 12 tháng 12 năm 2023")
    document.add_paragraph("BÁO CÁO")
    document.add_paragraph("Kết quả thực hiện nhiệm vụ năm 2023")
    document.add_heading("I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ NĂM 2023", level=1)
    document.add_heading("1. Về kinh tế", level=2)
    document.add_paragraph("Một số chỉ tiêu kinh tế chủ yếu năm 2023:")
    table = document.add_table(rows=3, cols=3)
    rows = [["Chỉ tiêu", "Kế hoạch", "Thực hiện"], ["Thu ngân sách (tỷ đồng)", "385", "412,6"], ["Sản lượng lương thực (tấn)", "96.000", "98.750"]]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.rows[r].cells[c].text = value
    document.add_paragraph("a) Sản xuất nông nghiệp")
    document.add_paragraph("Tổng diện tích gieo trồng cây hằng năm đạt 21.460 ha, bằng 101,2% kế hoạch.")
    document.add_heading("2. Tài chính, ngân sách", level=2)
    document.add_paragraph("2.1. Thu, chi ngân sách")
    document.add_paragraph("Tổng thu ngân sách ước đạt 412,6 tỷ đồng.")
    document.add_paragraph("- Thu tiền sử dụng đất đạt 168,3 tỷ đồng;")
    document.add_heading("II. TỒN TẠI, HẠN CHẾ", level=1)
    document.add_paragraph("Tỷ lệ giải ngân vốn đầu tư công chỉ đạt 90,1%.")
    document.add_paragraph("Nơi nhận:")
    document.add_paragraph("- Lưu: VT.")
    document.add_paragraph("TM. ỦY BAN NHÂN DÂN")
    document.add_paragraph("CHỦ TỊCH")
    document.add_paragraph("Lương Đình Thạch")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_docx_paragraphs_and_table_rows():
    loaded = load_bytes(_build_docx(), "bao-cao.docx")
    lines = [line for line in loaded.text.splitlines() if line.strip()]
    assert "| Chỉ tiêu | Kế hoạch | Thực hiện |" in lines
    assert "| Thu ngân sách (tỷ đồng) | 385 | 412,6 |" in lines
    assert "| Sản lượng lương thực (tấn) | 96.000 | 98.750 |" in lines
    # the table sits where it was, between its paragraphs
    text = loaded.text
    assert text.index("Một số chỉ tiêu kinh tế") < text.index("| Chỉ tiêu |") < text.index("a) Sản xuất nông nghiệp")
    assert loaded.source == "bao-cao.docx"


def test_docx_parses_into_the_right_sections():
    report = parse_report(load_bytes(_build_docx(), "bao-cao.docx").text)
    assert [s.section_id for s in report.sections] == [
        "preamble", "I", "I.1", "I.1.a)", "I.2", "I.2.1", "II", "closing",
    ]
    econ = report.get("I.1")
    assert econ.heading == "1. Về kinh tế"
    assert "| Thu ngân sách (tỷ đồng) | 385 | 412,6 |" in econ.text
    assert "- Thu tiền sử dụng đất đạt 168,3 tỷ đồng;" in report.get("I.2.1").text
    assert report.get("preamble").text.startswith("ỦY BAN NHÂN DÂN")
    assert report.get("closing").text.rstrip().endswith("Lương Đình Thạch")


def _as_markdown(text: str) -> str:
    """The report with '#' markers on its heading lines and bold heading text."""
    heading = re.compile(r"^(?:[IVX]+\.|\d+\.\d+\.|\d+\.|[a-zđ]\)) ")
    out = []
    for line in text.splitlines():
        if heading.match(line):
            level = 2 if re.match(r"^[IVX]+\.", line) else 3
            label, rest = line.split(" ", 1)
            out.append(f"{'#' * level} {label} **{rest}**")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_markdown_heading_markers_give_the_same_ids():
    text = DONG_LAM.read_text(encoding="utf-8")
    md = _as_markdown(text)
    assert "## I. **KẾT QUẢ THỰC HIỆN NHIỆM VỤ NĂM 2023**" in md
    assert "### 2.1. **Thu, chi ngân sách**" in md
    loaded = load_bytes(md.encode("utf-8"), "bao-cao.md")
    assert "#" not in loaded.text and "**" not in loaded.text
    md_report, txt_report = parse_report(loaded.text), parse_report(text)
    assert [s.section_id for s in md_report.sections] == [s.section_id for s in txt_report.sections]
    assert [s.heading for s in md_report.body] == [s.heading for s in txt_report.body]


def test_markdown_hash_in_text_is_kept():
    loaded = load_bytes("## 1. Kinh tế\n\nĐạt chỉ tiêu #1 của huyện.\n".encode(), "r.md")
    assert "Đạt chỉ tiêu #1 của huyện." in loaded.text
    assert loaded.text.startswith("1. Kinh tế")


def test_markdown_keeps_the_blank_line_before_a_heading():
    md = (
        "## I. KẾT QUẢ\n\n"
        "Một số chỉ tiêu kinh tế chủ yếu của huyện trong năm 2023 được tổng hợp như sau\n\n"
        "## Bảng tổng hợp chỉ tiêu\n\n"
        "| Chỉ tiêu | Kết quả |\n"
    )
    loaded = load_bytes(md.encode("utf-8"), "r.md")
    assert loaded.text == md.replace("## ", "")
    report = parse_report(loaded.text)
    assert "như sau Bảng tổng hợp" not in report.get("I").text

"""The three extra readers on real files: OCR of scans (ingest.ocr), legacy Word .doc
(ingest.legacy_doc) and saved web pages (ingest.html_page).

What is checked is what a user would notice: the words of the document come out, on
the lines they belong to, in order; bad uploads are refused in seconds with one
bilingual line. Tests that need a Debian tool skip, with the package named, where the
tool is missing; on a machine with `make install` done they all run.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import time
import unicodedata
import zlib
from pathlib import Path

import pytest

from ingest import html_page, legacy_doc, ocr
from ingest.errors import InputError

REAL = Path(__file__).parent.parent / "eval" / "corpus" / "real"
DATA = Path(__file__).parent / "data" / "formats"
SCAN = REAL / "ttr-289-cat-lam-dong-2025-de-an-06-scan.pdf"
QD_844 = REAL / "qd-844-ttg-2026-ke-hoach-bhyt.pdf"
DOC = REAL / "kh-ubnd-lam-dong-2026-phong-chong-ma-tuy.doc"
VBPL_PAGE = DATA / "vbpl-bo-luat-101-2015-qh13-thuoc-tinh.html"
SYNTHETIC_PAGE = DATA / "synthetic-portal-article.html"

needs_ocr = pytest.mark.skipif(
    not ocr.tools_available(),
    reason="OCR needs tesseract-ocr, tesseract-ocr-vie and poppler-utils (make install)",
)
needs_antiword = pytest.mark.skipif(shutil.which("antiword") is None, reason="needs antiword (make install)")
needs_catdoc = pytest.mark.skipif(shutil.which("catdoc") is None, reason="needs catdoc (make install)")
needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (make install)")


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n")]


def assert_one_line_message(exc: pytest.ExceptionInfo) -> None:
    message = str(exc.value)
    assert "\n" not in message and " / " in message, message   # "Vietnamese / English"


# --- OCR ------------------------------------------------------------------------------------


@needs_ocr
def test_real_scan_reads_its_title_issuer_and_signer_with_progress_once_per_page():
    calls = []
    result = ocr.ocr_pdf(SCAN.read_bytes(), progress=lambda done, total: calls.append((done, total)))
    assert result.pages == 1 and result.empty_pages == []
    assert calls == [(1, 1)]
    text = unicodedata.normalize("NFC", result.text)
    # what the page really says (see the page image): issuer, title, addressee, the
    # decision it cites, the signer
    for words in ("BỘ CÔNG AN", "TỜ TRÌNH", "Lãnh đạo UBND tỉnh Lâm Đồng", "06/QĐ-TTg", "Trương Minh Đương"):
        assert words in text, words
    assert result.seconds < 60


@pytest.fixture(scope="module")
def image_only_844(tmp_path_factory) -> bytes:
    """Pages 1-3 of the real QĐ 844, rasterised at 200 dpi and saved as an image-only PDF."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs poppler-utils (make install)")
    from PIL import Image

    tmp = tmp_path_factory.mktemp("qd844")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "3", "-png", str(QD_844), str(tmp / "p")],
        check=True, timeout=120,
    )
    pages = [Image.open(p).convert("RGB") for p in sorted(tmp.glob("p-*.png"))]
    assert len(pages) == 3
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=200, save_all=True, append_images=pages[1:])
    return out.getvalue()


@needs_ocr
def test_three_page_scan_of_real_decision_is_read_in_order_well_under_a_minute(image_only_844):
    from pypdf import PdfReader

    # it really is a scan: no text layer for the ordinary PDF reader
    assert not "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(image_only_844)).pages).strip()
    calls = []
    started = time.monotonic()
    result = ocr.ocr_pdf(image_only_844, progress=lambda done, total: calls.append((done, total)))
    assert time.monotonic() - started < 60
    assert result.pages == 3 and calls == [(1, 3), (2, 3), (3, 3)]
    pages = [unicodedata.normalize("NFC", p) for p in result.text.split("\f")]
    assert len(pages) == 3
    assert "QUYẾT ĐỊNH" in pages[0] and "844/QĐ-TTg" in pages[0]
    assert "Kèm theo Quyết định" in pages[1]          # the attached plan starts on page 2
    assert "truyền thông" in pages[2]


@needs_ocr
def test_image_without_text_is_refused_within_seconds():
    from PIL import Image

    blank = io.BytesIO()
    Image.new("L", (1654, 2339), 255).save(blank, "PNG")      # an empty A4 page at 200 dpi
    started = time.monotonic()
    with pytest.raises(InputError, match="no text found by OCR") as exc:
        ocr.ocr_image(blank.getvalue())
    assert time.monotonic() - started < 15
    assert_one_line_message(exc)


@needs_ocr
def test_real_page_as_photo_is_read(tmp_path):
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(SCAN), str(tmp_path / "page")], check=True, timeout=60
    )
    jpeg = io.BytesIO()
    Image.open(tmp_path / "page.png").convert("RGB").save(jpeg, "JPEG", quality=85)
    result = ocr.ocr_image(jpeg.getvalue())
    assert result.pages == 1 and "TỜ TRÌNH" in unicodedata.normalize("NFC", result.text)


def test_two_thousand_page_pdf_is_refused_within_seconds():
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(2000):
        writer.add_blank_page(width=595, height=842)
    data = io.BytesIO()
    writer.write(data)
    started = time.monotonic()
    with pytest.raises(InputError, match="2000") as exc:
        ocr.ocr_pdf(data.getvalue())
    assert time.monotonic() - started < 10
    assert_one_line_message(exc)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels: what a decompression bomb looks like
    to a reader before it starts decoding."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def test_decompression_bomb_images_are_refused():
    from PIL import Image

    # 10 gigapixels: Pillow itself refuses to open it (DecompressionBombError)
    with pytest.raises(InputError, match="megapixels") as exc:
        ocr.ocr_image(_png_header_only(100_000, 100_000))
    assert_one_line_message(exc)
    # 90 megapixels in a 29 KB file, valid to the last byte: under Pillow's own limit
    # for an error, over ours
    bomb = io.BytesIO()
    Image.new("1", (10_000, 9_000), 1).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 100_000
    started = time.monotonic()
    with pytest.raises(InputError, match="megapixels"):
        ocr.ocr_image(bomb.getvalue())
    assert time.monotonic() - started < 5


def test_files_that_are_not_images_or_pdfs_are_refused():
    with pytest.raises(InputError, match="image"):
        ocr.ocr_image(b"Day khong phai anh, chi la chu.\n" * 10)
    with pytest.raises(InputError, match="not a PDF"):
        ocr.ocr_pdf(b"Day khong phai PDF.\n" * 10)
    gif = io.BytesIO()
    from PIL import Image

    Image.new("L", (10, 10)).save(gif, "GIF")
    with pytest.raises(InputError, match="unsupported image format"):
        ocr.ocr_image(gif.getvalue())


@needs_ocr
def test_a_page_over_its_time_limit_is_named():
    with pytest.raises(InputError, match="page 1") as exc:
        ocr.ocr_pdf(SCAN.read_bytes(), page_timeout_s=0.05)
    assert_one_line_message(exc)


def test_missing_ocr_tools_name_the_debian_package(monkeypatch):
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    assert ocr.tools_available() is False
    with pytest.raises(InputError, match="tesseract-ocr.*make install") as exc:
        ocr.ocr_pdf(SCAN.read_bytes())
    assert_one_line_message(exc)


def test_ocr_restores_the_circumflex_tesseract_drops_in_bold_capitals():
    assert ocr._fix_spelling("QUYÉT ĐỊNH về tién độ, Nguyẽn") == "QUYẾT ĐỊNH về tiến độ, Nguyễn"
    # words outside Vietnamese spelling are left alone
    assert ocr._fix_spelling("Diesel, client, José") == "Diesel, client, José"


# --- legacy .doc ------------------------------------------------------------------------------


@needs_antiword
def test_real_doc_gives_paragraph_lines_headings_and_signature():
    text = legacy_doc.read_doc(DOC.read_bytes())
    lines = lines_of(text)
    for heading in ("I. MỤC ĐÍCH, YÊU CẦU", "II. CHỈ TIÊU XÂY DỰNG XÃ, PHƯỜNG, ĐẶC KHU KHÔNG MA TÚY NĂM 2026",
                    "III. GIẢI PHÁP THỰC HIỆN VÀ PHÂN CÔNG NHIỆM VỤ", "IV. KINH PHÍ THỰC HIỆN",
                    "V. TỔ CHỨC THỰC HIỆN"):
        assert heading in lines, heading
    assert "MERGEFORMAT" not in text and "PAGE" not in text
    # a paragraph is one line, not wrapped at 80 columns
    opening = next(line for line in lines if line.startswith("Thực hiện Nghị quyết số 50/NQ-CP"))
    assert opening.endswith("cụ thể như sau:") and len(opening) > 600
    # paragraphs are separated by blank lines
    at = lines.index("I. MỤC ĐÍCH, YÊU CẦU")
    assert lines[at - 1] == "" and lines[at + 1] == ""
    # the header block and the signature block are tables: rows with clean cells
    assert "| ỦY BAN NHÂN DÂN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM |" in lines
    signature = [line for line in lines if "KT. CHỦ TỊCH" in line]
    assert signature and all(
        line == "KT. CHỦ TỊCH" or (line.startswith("|") and "| KT. CHỦ TỊCH |" in line) for line in signature
    )
    assert any("PHÓ CHỦ TỊCH" in line for line in lines) and any("Nguyễn Minh" in line for line in lines)


def _fib_offset(data: bytes) -> int:
    """Where the Word FIB (the WordDocument stream's header, magic A5EC) starts."""
    for offset in range(512, len(data), 512):
        if data[offset:offset + 2] == b"\xec\xa5":
            return offset
    raise AssertionError("no FIB in the test file")


@needs_catdoc
def test_doc_antiword_refuses_is_read_by_catdoc_without_field_codes():
    data = bytearray(DOC.read_bytes())
    fib = _fib_offset(data)
    data[fib + 2:fib + 4] = (101).to_bytes(2, "little")    # claim Word 6: antiword gives up
    text = legacy_doc.read_doc(bytes(data))
    lines = lines_of(text)
    assert "I. MỤC ĐÍCH, YÊU CẦU" in lines and "KT. CHỦ TỊCH" in lines
    # catdoc leaves "PAGE \* MERGEFORMAT 11" in its output; none of it may remain
    assert "MERGEFORMAT" not in text and "PAGE" not in text
    assert any(line.startswith("Thực hiện Nghị quyết số 50/NQ-CP") and line.endswith("cụ thể như sau:") for line in lines)


@needs_antiword
def test_password_protected_doc_says_so():
    data = bytearray(DOC.read_bytes())
    data[_fib_offset(data) + 11] |= 0x01                    # FIB fEncrypted
    with pytest.raises(InputError, match="password") as exc:
        legacy_doc.read_doc(bytes(data))
    assert_one_line_message(exc)


def test_files_renamed_to_doc_are_refused():
    with pytest.raises(InputError, match="not a Word 97-2003 .doc") as exc:
        legacy_doc.read_doc("Kế hoạch số 12/KH-UBND\nnội dung văn bản\n".encode("utf-8"))
    assert_one_line_message(exc)
    with pytest.raises(InputError, match="docx renamed"):
        legacy_doc.read_doc((REAL / "kh-ubnd-lam-dong-cchc-2026-2030.docx").read_bytes())
    with pytest.raises(InputError, match="RTF"):
        legacy_doc.read_doc(b"{\\rtf1\\ansi Ke hoach}")


def test_ole2_file_without_text_is_refused():
    # an OLE2 container that is no Word document (as an .xls or a broken .doc would be)
    with pytest.raises(InputError, match="/") as exc:
        legacy_doc.read_doc(legacy_doc.OLE2_MAGIC + b"\x00" * 4096)
    assert_one_line_message(exc)


def test_missing_doc_tools_name_the_debian_package(monkeypatch):
    monkeypatch.setattr(legacy_doc.shutil, "which", lambda name: None)
    with pytest.raises(InputError, match="antiword.*make install"):
        legacy_doc.read_doc(DOC.read_bytes())


def test_field_codes_go_and_the_words_around_them_stay():
    strip = legacy_doc.strip_field_codes
    assert strip("  PAGE   \\* MERGEFORMAT  11 ").strip() == ""
    assert strip('Xem HYPERLINK "http://vbpl.vn/a.aspx" \\l "d1" Cổng thông tin').split() == \
        ["Xem", "Cổng", "thông", "tin"]
    assert strip("Trang PAGE 2 / NUMPAGES 7") == "Trang 2 / 7"
    assert strip('Ngày DATE \\@ "dd/MM/yyyy" 12/03/2026') == "Ngày 12/03/2026"
    # an ordinary capitalised word is no field code
    assert strip("TITLE OF THE REPORT, DATE OF ISSUE, PAGE ONE") == "TITLE OF THE REPORT, DATE OF ISSUE, PAGE ONE"


# --- saved web pages ------------------------------------------------------------------------


def test_real_vbpl_page_gives_the_document_box_without_menus_or_footer():
    text = html_page.read_html(VBPL_PAGE.read_bytes())
    lines = lines_of(text)
    # the document's properties, as the page shows them; the titles on lines of their own
    assert "| Tố tụng hình sự |" in lines
    assert "| Số ký hiệu | 101/2015/QH13 | Ngày ban hành | 27/11/2015 |" in lines
    assert "| Cơ quan ban hành/ Chức danh / Người ký | Quốc hội | Chủ tịch Quốc hội | Nguyễn Sinh Hùng |" in lines
    assert "| Thông tin áp dụng |" in lines
    assert "Hiệu lực: Còn hiệu lực" in lines
    # none of the page around it: top menu, banner, breadcrumb, tabs, left menus,
    # hidden dialogs, footer, scripts
    for furniture in ("Trang chủ", "Đăng nhập", "Trung ương", "CSDL quốc gia về VBPL", "Lịch sử",
                      "Thông tư liên tịch", "1945 đến 1950", "Tải về", "should delete",
                      "CƠ SỞ DỮ LIỆU VĂN BẢN PHÁP LUẬT TRUNG ƯƠNG", "document.title", "$("):
        assert furniture not in text, furniture


REAL_PAGES = sorted(REAL.glob("*.html")) + sorted(REAL.glob("*.htm"))


@pytest.mark.skipif(not REAL_PAGES, reason="no saved .html page in eval/corpus/real yet")
@pytest.mark.parametrize("page", REAL_PAGES, ids=[p.name for p in REAL_PAGES])
def test_every_real_saved_page_gives_text_without_scripts(page):
    import lxml.html

    data = page.read_bytes()
    text = html_page.read_html(data)
    assert sum(c.isalpha() for c in text) >= 200
    tree = lxml.html.document_fromstring(html_page.decode_html(data).encode("utf-8"))
    for script in tree.iter("script", "style"):
        code = " ".join((script.text or "").split())
        if len(code) >= 40:
            assert code[:40] not in " ".join(text.split()), page.name


def test_synthetic_portal_page_keeps_the_whole_article_and_nothing_else():
    text = html_page.read_html(SYNTHETIC_PAGE.read_bytes())
    lines = lines_of(text)
    # the title above the content box, and the document header table inside it
    assert lines[0] == "Quyết định ban hành Quy chế làm việc thử nghiệm"
    assert "| ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc |" in lines
    # bold headings in <p><b> and <div><b> stay, each on its own line
    for heading in ("QUYẾT ĐỊNH", "I. MỤC ĐÍCH, YÊU CẦU"):
        assert heading in lines, heading
    assert any(line.startswith("Điều 1. Ban hành kèm theo") for line in lines)
    # text after <br> is on the next line; entities and &nbsp; are plain characters
    at = lines.index("Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;")
    assert lines[at + 1] == "Xét đề nghị của Giám đốc Sở Nội vụ tại Tờ trình số 12/TTr-SNV."
    assert "Ban hành Quy chế làm việc của Ủy ban nhân dân tỉnh" in lines
    assert any("Ủy ban nhân dân tỉnh & các sở, ngành." in line for line in lines)
    assert "Phân công cụ thể “rõ người, rõ việc”." in lines
    # a data table: one row a line, each cell's text on one line
    assert "| 1 | Xây dựng kế hoạch triển khai | Sở Nội vụ |" in lines
    assert "| 2 | Kiểm tra, đôn đốc | Văn phòng UBND tỉnh |" in lines
    assert any("TM. ỦY BAN NHÂN DÂN CHỦ TỊCH Nguyễn Văn Thử" in line for line in lines)
    for furniture in ("Giới thiệu chung", "CỔNG THÔNG TIN", "Văn bản chỉ đạo điều hành", "Đường dây nóng",
                      "Chia sẻ", "Gửi email", "Tin liên quan", "Họp báo", "Nội dung ẩn", "Bản quyền",
                      "cookie", "tracking", "VIEWSTATE"):
        assert furniture not in text, furniture


def test_broken_markup_loses_no_text():
    page = "<html><body><div class=content><p>Điều 1. Phạm vi điều chỉnh<p>Điều 2. Đối tượng <b>áp dụng<div>Điều 3. Hiệu lực thi hành".encode()
    assert lines_of(html_page.read_html(page)) == [
        "Điều 1. Phạm vi điều chỉnh", "", "Điều 2. Đối tượng áp dụng", "", "Điều 3. Hiệu lực thi hành", ""
    ]


def _cp1258(text: str) -> bytes:
    """Vietnamese in Windows-1258: base letters with their hat or horn, tone marks apart."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize("how", ["utf-16 bom", "meta windows-1258", "undeclared windows-1258", "utf-8 declared latin-1"])
def test_page_encodings(how):
    body = "<p>Quyết định về việc phê duyệt Đề án chuyển đổi số tỉnh Lâm Đồng</p>"
    if how == "utf-16 bom":
        data = ("\ufeff<html><body>" + body + "</body></html>").encode("utf-16-le")
        data = b"\xff\xfe" + data[2:]
    elif how == "meta windows-1258":
        data = b'<html><head><meta charset="windows-1258"></head><body>' + _cp1258(body) + b"</body></html>"
    elif how == "undeclared windows-1258":
        data = b"<html><body>" + _cp1258(body) + b"</body></html>"
    else:
        data = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
                "</head><body>" + body + "</body></html>").encode("utf-8")
    assert html_page.read_html(data).strip() == "Quyết định về việc phê duyệt Đề án chuyển đổi số tỉnh Lâm Đồng"


def test_what_is_not_a_page_is_refused():
    for data, words in [
        (b"", "empty"),
        (QD_844.read_bytes()[:20000], "not an HTML page"),
        ("Chỉ là một đoạn chữ thường, không có thẻ HTML nào.".encode(), "not an HTML page"),
        ("<html><body><nav><a href='/'>Trang chủ</a></nav><script>x()</script></body></html>".encode(),
         "no document text"),
    ]:
        with pytest.raises(InputError, match=words) as exc:
            html_page.read_html(data)
        assert_one_line_message(exc)

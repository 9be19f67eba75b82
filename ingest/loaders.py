"""Reading documents as staff receive them: pasted text, .txt, .md, .html pages saved
from a portal, .docx, legacy .doc, PDF with a text layer, scanned PDFs and images (OCR).

Every failure a user can cause (empty, too big, binary, encrypted, a zip bomb, a
2,000-page PDF, unreadable encoding, an image without text) raises InputError with a
one-line bilingual message; nothing else escapes. Readers that know a file's paragraphs
and tables (.docx) hand them over as blocks; the rest give text, cut into blocks later.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import InputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".doc", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
# Reading a PDF (its text layer, in a child process) may take this long before it is
# refused; OCR has its own limit per page.
PDF_TIME_LIMIT_S = 240.0
# progress(done, total, stage): pages read so far, of how many, and what is being done
# to them ("đọc" the text layer, "OCR" a scan), for the CLI and the staff tab.
Progress = Callable[[int, int, str], None]
READING, OCR = "đọc", "OCR"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_VIETNAMESE_LETTERS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


@dataclass
class LoadedText:
    text: str
    source: str          # file name, or "stdin" / "paste"
    blocks: list = field(default_factory=list)   # normalize.Block list, when the reader knows them
    ocr: bool = False    # the text was read from page images by OCR: it may hold misreadings
    pages: int = 0       # pages of a PDF or scan (0: not paged)


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(
            f"Tệp quá lớn ({size / 1_048_576:.1f} MB, tối đa {max_bytes / 1_048_576:.0f} MB) / "
            f"file too large ({size} bytes, limit {max_bytes})"
        )


def _vietnamese_ratio(text: str) -> float:
    letters = [c for c in text.lower() if c.isalpha()]
    return sum(c in _VIETNAMESE_LETTERS for c in letters) / max(len(letters), 1)


def decode_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1258, in that order."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError("Tệp UTF-16 bị hỏng / corrupt UTF-16 file") from exc
    # UTF-16 without a BOM: every other byte of ASCII text is NUL.
    if len(data) >= 4 and data[1::2].count(0) > 0.4 * (len(data) // 2):
        try:
            return data.decode("utf-16-le")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise InputError("Tệp không phải văn bản (dữ liệu nhị phân) / not a text file (binary data)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # A UTF-8 file with a few broken bytes (cut off, one bad copy) is still UTF-8: read
    # as Windows-1258 it would turn every Vietnamese letter into mojibake.
    repaired = data.decode("utf-8", errors="replace")
    if repaired.count("\ufffd") <= max(3, len(data) // 2000) and _vietnamese_ratio(repaired) >= 0.05:
        return repaired.replace("\ufffd", "")
    # Windows-1258 stores Vietnamese with combining tone marks; NFC (in normalisation)
    # composes them. Accept it only if the result reads as Vietnamese.
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError as exc:
        raise InputError("Không đọc được bảng mã của tệp / unknown text encoding") from exc
    if _vietnamese_ratio(text) < 0.05:
        raise InputError("Không đọc được bảng mã của tệp (cần UTF-8) / unknown text encoding (use UTF-8)")
    return text


def check_text(text: str, source: str) -> str:
    if not text or not text.strip():
        raise InputError(f"Văn bản trống: {source} / empty document")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    bad = text.count("\ufffd") + controls
    if bad > max(5, len(text) // 100):
        raise InputError(f"Tệp không phải văn bản (dữ liệu nhị phân): {source} / not a text file")
    return text


_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
# Bold may run over a line break in a crawl ("**DANH\nSÁCH XÃ …**"), not over a paragraph.
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)((?:(?!\n\s*\n).){1,600}?)(?<=\S)\1", re.DOTALL)
_MD_EMPTY_STRONG = re.compile(r"^[ \t]*(?:\*\*[ \t]*\*\*|\*\*\*\*)[ \t]*$", re.MULTILINE)
# Italics: "*(Ban hành kèm theo …)*", also "* (Ban hành\nkèm theo …)*" as crawls write it.
_MD_ITALIC = re.compile(r"(?<![\w*])\*[ \t]?(?=\S)((?:(?!\n\s*\n)[^*]){1,600}?)(?<=\S)\*(?![\w*])")


# Converters write a bold label with its space inside ("**1. **Thông qua ..."), which
# Markdown does not close: the space goes after the label.
_MD_STRONG_LABEL = re.compile(r"\*\*([^*\n]{1,40}?)[ \t]+\*\*(?=\S)")
# A backslash before ASCII punctuation is Markdown's escape ("1\. Thành phố Hà Nội",
# "\- Báo cáo"); one that ends a line is a hard line break.
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_MD_HARD_BREAK = re.compile(r"\\[ \t]*$", re.MULTILINE)


def _from_markdown(text: str) -> str:
    """Markdown keeps the report's own numbering; drop only the markup around it."""
    text = _MD_HEADING.sub("", text)
    text = _MD_EMPTY_STRONG.sub("", text)
    text = _MD_STRONG_LABEL.sub(r"**\1** ", text)
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_ITALIC.sub(r"\1", text)
    return _MD_ESCAPE.sub(r"\1", _MD_HARD_BREAK.sub("", text))


def _from_pdf(data: bytes, name: str, progress: Progress | None) -> LoadedText:
    from ingest import isolated, ocr

    got = isolated.run("pdf", data, timeout_s=PDF_TIME_LIMIT_S + 15,
                       progress=(lambda d, n: progress(d, n, READING)) if progress else None,
                       options={"time_limit_s": PDF_TIME_LIMIT_S})
    if not got["scanned"]:
        return LoadedText(got["text"], name, pages=got["pages"])
    # No text layer: a scan. Read its page images.
    result = ocr.ocr_pdf(data, progress=(lambda d, n: progress(d, n, OCR)) if progress else None)
    return LoadedText(result.text, name, ocr=True, pages=result.pages)


def _from_image(data: bytes, name: str) -> LoadedText:
    from ingest import ocr

    result = ocr.ocr_image(data)
    return LoadedText(result.text, name, ocr=True, pages=1)


def load_bytes(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES, progress: Progress | None = None) -> LoadedText:
    """Bytes of an uploaded or read file, dispatched on its suffix.

    `progress(done, total, stage)` is called per page while a PDF is read or a scan OCRed.
    """
    _check_size(len(data), max_bytes)
    suffix = Path(name).suffix.lower()
    source = Path(name).name
    if suffix and suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"Định dạng không hỗ trợ: {suffix} (chỉ nhận {', '.join(SUPPORTED_SUFFIXES)}) / unsupported file type"
        )
    if not data.strip():
        raise InputError(f"Tệp trống: {source} / empty file")
    if suffix == ".docx":
        from ingest.docx_reader import read_docx

        blocks = read_docx(data)
        text = "\n\n".join(b.text for b in blocks)
        return LoadedText(check_text(text, name), source, blocks=blocks)
    if suffix == ".pdf":
        loaded = _from_pdf(data, source, progress)
    elif suffix == ".doc":
        from ingest.legacy_doc import read_doc

        loaded = LoadedText(read_doc(data), source)
    elif suffix in (".html", ".htm"):
        from ingest.html_page import read_html

        loaded = LoadedText(read_html(data), source)
    elif suffix in _IMAGE_SUFFIXES:
        loaded = _from_image(data, source)
    else:
        text = decode_bytes(data)
        if suffix == ".md":
            text = _from_markdown(text)
        loaded = LoadedText(text, source)
    loaded.text = check_text(loaded.text, name)
    return loaded


def load_path(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, progress: Progress | None = None) -> LoadedText:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Không tìm thấy tệp: {path} / file not found")
    _check_size(path.stat().st_size, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Không đọc được tệp: {path} ({exc.strerror}) / cannot read file") from exc
    return load_bytes(data, path.name, max_bytes, progress)


def load_text(text: str, source: str = "paste", max_chars: int = DEFAULT_MAX_BYTES) -> LoadedText:
    """Pasted text (UI, stdin): the same limits as a file."""
    if len(text) > max_chars:
        raise InputError(
            f"Văn bản quá dài ({len(text):_} ký tự, tối đa {max_chars:_}) / text too long".replace("_", ".")
        )
    return LoadedText(check_text(text, source), source)

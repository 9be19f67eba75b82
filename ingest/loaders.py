"""Reading reports from pasted text, .txt, .md, .docx and text-layer .pdf.

Every failure a user can cause (empty, too big, binary, unreadable encoding, scanned
PDF) raises InputError with a one-line bilingual message; nothing else escapes.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import InputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_VIETNAMESE_LETTERS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


@dataclass
class LoadedText:
    text: str
    source: str          # file name, or "stdin" / "paste"


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
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def _from_markdown(text: str) -> str:
    """Markdown keeps the report's own numbering; drop only the markup around it."""
    return _MD_EMPHASIS.sub(r"\2", _MD_HEADING.sub("", text))


def _from_docx(data: bytes) -> str:
    import docx  # python-docx; imported here so plain-text use does not pay for it
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for bad zips
        raise InputError("Tệp .docx bị hỏng hoặc không đúng định dạng / invalid .docx file") from exc
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                lines.append("| " + " | ".join(cell.text.strip().replace("\n", " ") for cell in row.cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _from_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise InputError("Tệp PDF bị hỏng / invalid PDF file") from exc
    text = "\n\n".join(pages)
    if sum(not c.isspace() for c in text) < 20:
        raise InputError(
            "PDF không có lớp văn bản (bản quét), cần nhận dạng ký tự (OCR) trước / "
            "PDF has no text layer (scanned); run OCR first"
        )
    return text


def load_bytes(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedText:
    """Bytes of an uploaded or read file, dispatched on its suffix."""
    _check_size(len(data), max_bytes)
    suffix = Path(name).suffix.lower()
    if suffix and suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"Định dạng không hỗ trợ: {suffix} (chỉ nhận {', '.join(SUPPORTED_SUFFIXES)}) / unsupported file type"
        )
    if suffix == ".docx":
        text = _from_docx(data)
    elif suffix == ".pdf":
        text = _from_pdf(data)
    else:
        text = decode_bytes(data)
        if suffix == ".md":
            text = _from_markdown(text)
    return LoadedText(check_text(text, name), Path(name).name)


def load_path(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedText:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Không tìm thấy tệp: {path} / file not found")
    _check_size(path.stat().st_size, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Không đọc được tệp: {path} ({exc.strerror}) / cannot read file") from exc
    return load_bytes(data, path.name, max_bytes)


def load_text(text: str, source: str = "paste", max_chars: int = DEFAULT_MAX_BYTES) -> LoadedText:
    """Pasted text (UI, stdin): the same limits as a file."""
    if len(text) > max_chars:
        raise InputError(
            f"Văn bản quá dài ({len(text):_} ký tự, tối đa {max_chars:_}) / text too long".replace("_", ".")
        )
    return LoadedText(check_text(text, source), source)

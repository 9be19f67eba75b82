"""Text of a born-digital PDF: body lines in reading order, tables as rows, no furniture.

pdfplumber (on pdfminer) is the reader, chosen by measuring it on the real gazette and
Word-exported PDFs of eval/corpus/real (docs/PARSING.md): pypdf splits syllables apart
("Thông t ư") on the older gazette layout and knows no tables; poppler's pdftotext is
20x faster but flattens a task table into one cell per line, so an agency and a deadline
can no longer be told from the task. pdfplumber finds ruled tables, so a task table
becomes rows "| STT | Nhiệm vụ | Cơ quan chủ trì | … |" that keep their header, and the
running header and page number are recognised by where they sit on the page.

The work runs in a child process (ingest/sandbox.py) with a page cap, a time limit and
a memory limit: a 2,000-page or pathological file is refused in seconds, not minutes.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from ingest.errors import InputError
from ingest.furniture import is_running_header

MAX_PAGES = 500
# A page whose text layer has fewer characters than this is an image (a scan).
_SCANNED_PAGE_CHARS = 20
_MARGIN = 0.075              # top and bottom share of a page where headers and footers sit
_PAGE_NUMBER = re.compile(r"^(?:[-–]\s*)?\d{1,4}(?:\s*[-–])?$|^(?:Trang|trang)\s+\d{1,4}(?:\s*/\s*\d{1,4})?$")
_CID = re.compile(r"\(cid:\d+\)")
_LABEL_ONLY = re.compile(r"^(?:[IVXLC]+|\d{1,2}(?:\.\d{1,2})*|[a-zđA-Z]|\(\d{1,2}\))[.)\-:]?$")


@dataclass
class PdfText:
    text: str
    pages: int
    scanned: bool = False          # no usable text layer: OCR it instead
    seconds: float = 0.0
    tables: int = 0


@dataclass
class _Line:
    text: str
    top: float
    page: int
    table: bool = False
    edge: bool = False             # in the top or bottom margin of its page


@dataclass
class _Table:
    page: int
    top: float
    rows: list[list[str]] = field(default_factory=list)


def _password_error() -> InputError:
    return InputError(
        "PDF được bảo vệ bằng mật khẩu, hãy gỡ mật khẩu rồi gửi lại / "
        "password-protected PDF: remove the password and upload it again"
    )


def page_count(data: bytes) -> int:
    """Pages of a PDF, read from its page tree (fast: no page is parsed)."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise _password_error()
            except (DependencyError, NotImplementedError) as exc:
                raise _password_error() from exc
        return len(reader.pages)
    except InputError:
        raise
    except FileNotDecryptedError as exc:
        raise _password_error() from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise InputError("Tệp PDF bị hỏng / invalid PDF file") from exc


def _cell(text: str | None) -> str:
    return " ".join((text or "").split())


def _compact(rows: list[list[str | None]]) -> list[list[str]]:
    """pdfplumber gives merged cells as None: keep the columns that ever hold text."""
    if not rows:
        return []
    width = max(len(r) for r in rows)
    keep = [c for c in range(width) if any(c < len(r) and r[c] for r in rows)]
    return [[_cell(r[c]) if c < len(r) else "" for c in keep] for r in rows]


def _header_rows(rows: list[list[str]]) -> int:
    """A two-row header (an empty first cell in row 2 under a merged title) counts as one."""
    if len(rows) >= 3 and rows[1] and not rows[1][0] and rows[0][0] and not any(ch.isdigit() for ch in "".join(rows[1])):
        return 2
    return 1


def _merge_header(rows: list[list[str]], n: int) -> list[str]:
    if n == 1:
        return rows[0]
    top, sub = rows[0], rows[1]
    filled, last = [], ""
    for cell in top:
        last = cell or last
        filled.append(last)
    return [f"{a} {b}".strip() if b and b != a else a for a, b in zip(filled, sub)]


def _table_lines(table: _Table) -> list[str]:
    rows = table.rows
    if not rows:
        return []
    n = _header_rows(rows)
    header = _merge_header(rows, n)
    out = ["| " + " | ".join(header) + " |"]
    for row in rows[n:]:
        if any(row):
            out.append("| " + " | ".join(row) + " |")
    return out


def _continues(previous: _Table, table: _Table, first_on_page: bool) -> bool:
    """A table at the top of a page that goes on from the last one of the page before."""
    return (first_on_page and table.page == previous.page + 1 and bool(previous.rows) and bool(table.rows)
            and len(table.rows[0]) == len(previous.rows[0]))


def _stitch(previous: _Table, table: _Table) -> None:
    rows = table.rows
    if rows and rows[0] == previous.rows[0]:
        rows = rows[1:]                       # the header printed again on the new page
    if rows and previous.rows and not rows[0][0] and len(previous.rows) > 1:
        # a row cut by the page break: its cells go on in the first row of the new page
        last = previous.rows[-1]
        previous.rows[-1] = [f"{a} {b}".strip() for a, b in zip(last, rows[0])]
        rows = rows[1:]
    previous.rows.extend(rows)


def read_pdf(data: bytes, *, max_pages: int = MAX_PAGES, time_limit_s: float = 240.0,
             progress=None) -> PdfText:
    """Body text of a PDF with a text layer; `scanned=True` when it has none."""
    import pdfplumber

    started = time.monotonic()
    pages = page_count(data)
    if pages == 0:
        raise InputError("PDF không có trang nào / PDF has no pages")
    if pages > max_pages:
        raise InputError(
            f"PDF quá dài ({pages} trang, tối đa {max_pages}); hãy tách thành nhiều tệp / "
            f"PDF too long ({pages} pages, limit {max_pages}): split it"
        )
    lines: list[_Line] = []
    tables: list[_Table] = []
    empty_pages = 0
    try:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                if time.monotonic() - started > time_limit_s:
                    raise InputError(
                        f"Đọc PDF quá lâu (quá {time_limit_s:.0f} giây ở trang {number}/{pages}) / "
                        f"PDF took too long to read (over {time_limit_s:.0f} s at page {number})"
                    )
                page_lines, page_tables = _read_page(page, number)
                if sum(len(x.text) for x in page_lines) + sum(len(" ".join(sum(t.rows, []))) for t in page_tables) \
                        < _SCANNED_PAGE_CHARS:
                    empty_pages += 1
                lines.extend(page_lines)
                tables.extend(page_tables)
                page.close()
                if progress:
                    progress(number, pages)
    except InputError:
        raise
    except Exception as exc:       # pdfminer raises many unrelated types on broken files
        if "password" in str(exc).lower() or type(exc).__name__ == "PDFPasswordIncorrect":
            raise _password_error() from exc
        raise InputError("Tệp PDF bị hỏng / invalid PDF file") from exc
    seconds = time.monotonic() - started
    if empty_pages * 2 >= pages:
        return PdfText("", pages, scanned=True, seconds=seconds)
    text = _assemble(lines, tables, pages)
    cids = len(_CID.findall(text))
    if cids > max(20, len(text) // 200):
        # glyphs without a Unicode mapping: the text layer is unreadable, OCR instead
        return PdfText("", pages, scanned=True, seconds=seconds)
    return PdfText(text, pages, seconds=seconds, tables=len(tables))


def _white(color) -> bool:
    if color is None:
        return False
    values = color if isinstance(color, (tuple, list)) else (color,)
    if len(values) == 4:                           # CMYK: no ink is white
        return all(float(v) == 0 for v in values)
    return all(isinstance(v, (int, float)) and float(v) >= 0.99 for v in values)


def _visible(obj) -> bool:
    """White boxes behind text lines (Word's shading) are not a table's rules."""
    if obj.get("object_type") not in ("rect", "line", "curve"):
        return True
    stroked = obj.get("stroke") and not _white(obj.get("stroking_color"))
    filled = obj.get("fill") and not _white(obj.get("non_stroking_color"))
    return bool(stroked or filled)


def _read_page(page, number: int) -> tuple[list[_Line], list[_Table]]:
    height = float(page.height) or 1.0
    found = [t for t in page.filter(_visible).find_tables() if t.bbox]
    tables: list[_Table] = []
    outside = page
    for t in found:
        rows = _compact(t.extract())
        if len(rows) < 2 or max(len(r) for r in rows) < 2:
            continue                      # a ruled box, not a table: its text stays prose
        tables.append(_Table(number, float(t.bbox[1]), rows))
        outside = outside.outside_bbox(t.bbox, strict=False)
    lines = []
    words = outside.extract_words(keep_blank_chars=False, x_tolerance=1.5, extra_attrs=["size"])
    for top, bottom, text in _text_lines(_without_note_marks(words)):
        edge = top < _MARGIN * height or bottom > (1 - _MARGIN) * height
        lines.append(_Line(text, top, number, edge=edge))
    return lines, tables


_MIN_COLUMN_GAP = 9.0   # points: a gap this wide, and thrice the page's usual one, parts two columns


def _without_note_marks(words: list[dict]) -> list[dict]:
    """Footnote markers are digits set small and raised ("năm 2024¹"): not words of the text."""
    sizes = sorted(float(w.get("size", 0)) for w in words)
    if not sizes:
        return words
    body = sizes[len(sizes) // 2]

    def unit_power(mark: dict) -> bool:
        # "100 m²", "km²", "m³": the small digit is an exponent of a unit, keep it
        left = [w for w in words if w is not mark and abs(float(w["top"]) - float(mark["top"])) < 8
                and 0 <= float(mark["x0"]) - float(w["x1"]) < 2]
        return any(w["text"].endswith("m") for w in left)

    return [w for w in words if not (
        w["text"].isdigit() and len(w["text"]) <= 2 and float(w.get("size", body)) < 0.75 * body
        and not unit_power(w))]


def _text_lines(words: list[dict]) -> list[tuple[float, float, str]]:
    """Words -> printed lines, a line split where a wide gap separates two columns (the
    letterhead's issuer and national name, "Nơi nhận:" beside the signature)."""
    rows: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (round(float(w["top"])), float(w["x0"]))):
        if rows and abs(float(word["top"]) - float(rows[-1][0]["top"])) <= 3:
            rows[-1].append(word)
        else:
            rows.append([word])
    gaps = sorted(float(b["x0"]) - float(a["x1"]) for row in rows
                  for a, b in zip(sorted(row, key=lambda w: float(w["x0"])), sorted(row, key=lambda w: float(w["x0"]))[1:]))
    usual = gaps[len(gaps) // 2] if gaps else 3.0
    column_gap = max(_MIN_COLUMN_GAP, 3 * usual)
    out = []
    for row in rows:
        row.sort(key=lambda w: float(w["x0"]))
        segment = [row[0]]
        for prev, word in zip(row, row[1:]):
            # "2.<tab>Tình hình ...": a label and its title are one line, however far apart
            after_label = len(segment) == 1 and _LABEL_ONLY.match(segment[0]["text"])
            if float(word["x0"]) - float(prev["x1"]) > column_gap and not after_label:
                out.append(_segment(segment))
                segment = []
            segment.append(word)
        out.append(_segment(segment))
    return out


def _segment(words: list[dict]) -> tuple[float, float, str]:
    return (min(float(w["top"]) for w in words), max(float(w["bottom"]) for w in words),
            " ".join(w["text"] for w in words))


def _assemble(lines: list[_Line], tables: list[_Table], pages: int) -> str:
    """Lines and tables in reading order, page furniture out, pages joined."""
    # A line in a page's margin that recurs (digits aside) on many pages is a running
    # header or footer; a number alone in the margin is a page number.
    recurring = Counter(re.sub(r"\d+", "#", x.text) for x in lines if x.edge)
    threshold = max(2, pages // 3)
    kept = [x for x in lines if not (
        is_running_header(x.text)
        or (x.edge and _PAGE_NUMBER.match(x.text))
        or (x.edge and pages >= 3 and recurring[re.sub(r"\d+", "#", x.text)] >= threshold)
    )]
    items: list[tuple[int, float, object]] = [(x.page, x.top, x) for x in kept] + [(t.page, t.top, t) for t in tables]
    items.sort(key=lambda it: (it[0], it[1]))
    out: list[str] = []
    previous: _Table | None = None
    first_on_page = True
    page = 0
    for number, _top, item in items:
        if number != page:
            if out:
                out.append("")        # a page break is a paragraph break; mending joins cut ones
            page, first_on_page = number, True
        if isinstance(item, _Table):
            if previous is not None and _continues(previous, item, first_on_page):
                _stitch(previous, item)
            else:
                if previous is not None:
                    out.extend(["", *_table_lines(previous), ""])
                previous = item
            first_on_page = False
            continue
        if previous is not None:
            out.extend(["", *_table_lines(previous), ""])
            previous = None
        out.append(item.text)
        first_on_page = False
    if previous is not None:
        out.extend(["", *_table_lines(previous), ""])
    return "\n".join(out)

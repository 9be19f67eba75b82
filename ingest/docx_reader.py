"""Blocks of a .docx: paragraphs with the labels Word's automatic numbering draws, tables
as rows that keep their header, letterhead and signature tables as their lines, footnotes.

python-docx gives a paragraph's typed text only. A plan whose headings "1." … "7." or
"a)" … are Word's automatic numbering keeps those labels in numbering.xml and in each
paragraph's numPr (or its style's); they are rendered here as Word prints them
(lvlText "%1.", "%1.%2.", "%2)", the level's format and start, counters that restart
below a higher level), so the section parser sees "1. Cải cách thể chế" as a reader does.

A .docx is a zip: before anything is parsed, the sizes its members inflate to are
checked, so a 2 MB file that expands to gigabytes is refused in milliseconds.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from ingest.errors import InputError
from ingest.normalize import Block

MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200                         # inflated / compressed, for members over 10 MB
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
_LAYOUT_MARKS = re.compile(
    r"CỘNG H[OÒ]A XÃ HỘI|Độc lập\s*[-–]|ĐẢNG CỘNG SẢN|Nơi nhận|NƠI NHẬN|^\s*(?:TM|KT|TL|TUQ|T/M)\.?\s", re.MULTILINE
)


def check_zip(data: bytes) -> None:
    """Refuse what is not a .docx, and zip bombs, before parsing anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError("Tệp .docx bị hỏng hoặc không đúng định dạng / invalid .docx file") from exc
    with archive:
        infos = archive.infolist()
        names = {i.filename for i in infos}
        if "word/document.xml" not in names:
            if "EncryptedPackage" in names or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                raise InputError("Tệp .docx được đặt mật khẩu / password-protected .docx: remove the password")
            raise InputError("Tệp .docx bị hỏng hoặc không đúng định dạng / invalid .docx file")
        total = sum(i.file_size for i in infos)
        bomb = total > MAX_INFLATED_BYTES or any(
            i.file_size > 10 * 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos)
        if bomb:
            raise InputError(
                f"Tệp .docx giải nén ra quá lớn ({total / 1_048_576:.0f} MB, tối đa "
                f"{MAX_INFLATED_BYTES // 1_048_576} MB): có thể là bom nén / "
                f".docx inflates to {total / 1_048_576:.0f} MB (zip bomb?), limit {MAX_INFLATED_BYTES // 1_048_576} MB"
            )


# ----- automatic numbering ------------------------------------------------------------
@dataclass
class _Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1
    legal: bool = False


@dataclass
class _Numbering:
    abstract_of: dict[str, str] = field(default_factory=dict)              # numId -> abstractNumId
    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)     # abstractNumId -> ilvl -> level
    overrides: dict[str, dict[int, int]] = field(default_factory=dict)     # numId -> ilvl -> start
    counters: dict[str, dict[int, int]] = field(default_factory=dict)      # abstractNumId -> ilvl -> value
    started: set[str] = field(default_factory=set)                         # numIds whose overrides applied

    def label(self, num_id: str, ilvl: int) -> str | None:
        abstract = self.abstract_of.get(num_id)
        if abstract is None or num_id == "0":
            return None
        levels = self.levels.get(abstract, {})
        level = levels.get(ilvl)
        if level is None:
            return None
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lvl, start in self.overrides.get(num_id, {}).items():
                counters[lvl] = start - 1
                for deeper in [k for k in counters if k > lvl]:
                    del counters[deeper]
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]            # a new "2." restarts its "a)" list
        if level.fmt == "bullet":
            return "-"
        if level.fmt == "none":
            return level.text.replace("%", "") or None

        def value(match: re.Match) -> str:
            lvl = int(match.group(1)) - 1
            lvl_def = levels.get(lvl, _Level())
            count = counters.get(lvl, lvl_def.start)
            fmt = "decimal" if level.legal and lvl != ilvl else lvl_def.fmt
            return _format(count, fmt)

        return re.sub(r"%(\d)", value, level.text).strip() or None


def _format(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        # Word's letters: a … z, then aa, bb … (Word has no "đ": the 5th item is "e")
        letters = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else ""
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        out, k = "", n
        for value, sym in _ROMAN:
            while k >= value:
                out += sym
                k -= value
        return out.upper() if fmt == "upperRoman" else out
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _read_numbering(document) -> _Numbering:
    numbering = _Numbering()
    try:
        part = document.part.numbering_part
    except (NotImplementedError, KeyError, AttributeError):
        return numbering
    root = part.element
    for abstract in root.iter(f"{_W}abstractNum"):
        aid = abstract.get(f"{_W}abstractNumId")
        levels: dict[int, _Level] = {}
        for lvl in abstract.iter(f"{_W}lvl"):
            level = _Level()
            for child in lvl:
                tag = child.tag.replace(_W, "")
                val = child.get(f"{_W}val")
                if tag == "numFmt" and val:
                    level.fmt = val
                elif tag == "lvlText" and val is not None:
                    level.text = val
                elif tag == "start" and val and val.isdigit():
                    level.start = int(val)
                elif tag == "isLgl":
                    level.legal = val not in ("0", "false")
            levels[int(lvl.get(f"{_W}ilvl", "0"))] = level
        numbering.levels[aid] = levels
    for num in root.iter(f"{_W}num"):
        nid = num.get(f"{_W}numId")
        ref = num.find(f"{_W}abstractNumId")
        if ref is not None:
            numbering.abstract_of[nid] = ref.get(f"{_W}val")
        for override in num.iter(f"{_W}lvlOverride"):
            start = override.find(f"{_W}startOverride")
            if start is not None and (start.get(f"{_W}val") or "").isdigit():
                numbering.overrides.setdefault(nid, {})[int(override.get(f"{_W}ilvl", "0"))] = int(start.get(f"{_W}val"))
    return numbering


def _num_pr(paragraph) -> tuple[str, int] | None:
    """The paragraph's numbering (numId, level), from itself or its style chain."""
    p_pr = paragraph._p.pPr
    if p_pr is not None and p_pr.numPr is not None:
        num_id = p_pr.numPr.numId
        ilvl = p_pr.numPr.ilvl
        if num_id is not None:
            return str(num_id.val), int(ilvl.val) if ilvl is not None else 0
    style = paragraph.style
    while style is not None:
        s_pr = style.element.pPr
        if s_pr is not None and s_pr.numPr is not None and s_pr.numPr.numId is not None:
            ilvl = s_pr.numPr.ilvl
            return str(s_pr.numPr.numId.val), int(ilvl.val) if ilvl is not None else 0
        style = style.base_style
    return None


# ----- paragraphs, tables, footnotes --------------------------------------------------
def _footnotes(data: bytes) -> dict[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/footnotes.xml" not in archive.namelist():
                return {}
            from lxml import etree

            root = etree.fromstring(archive.read("word/footnotes.xml"))
    except Exception:        # footnotes are a bonus: a damaged part must not lose the document
        return {}
    notes = {}
    for note in root.iter(f"{_W}footnote"):
        if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = " ".join("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in note.iter(f"{_W}p")).strip()
        if text:
            notes[note.get(f"{_W}id")] = text
    return notes


def _is_strong(paragraph) -> bool:
    """Bold throughout, or a heading style: how a .docx marks headings beside labels."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name.lower().startswith(("heading", "title", "tiêu đề")):
        return True
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.bold or (r.style is not None and r.style.font.bold) for r in runs)


def _paragraph_text(paragraph, numbering: _Numbering) -> str:
    text = paragraph.text
    num = _num_pr(paragraph)
    if num and text.strip():
        label = numbering.label(*num)
        if label:
            text = f"{label} {text.lstrip()}"
    return text


def _footnote_refs(paragraph) -> list[str]:
    return [ref.get(f"{_W}id") for ref in paragraph._p.iter(f"{_W}footnoteReference")]


def _is_layout_table(rows: list[list[str]], paragraphs: list[str]) -> bool:
    """A letterhead or signature set in a table: its cells are lines, not data. A
    diagram's numbered key ("1. Tiêu đề …; 2. Tên cơ quan …") is data even beside a
    sample letterhead."""
    from ingest.headings import parse_label

    cells = [c for row in rows for c in row]
    return (len(rows) <= 3 and max((len(r) for r in rows), default=0) <= 3
            and any(_LAYOUT_MARKS.search(c) for c in cells)
            and not any(parse_label(p.strip()) for p in paragraphs if p.strip()))


def read_docx(data: bytes) -> list[Block]:
    import docx  # python-docx; imported here so plain-text use does not pay for it
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for bad files
        raise InputError("Tệp .docx bị hỏng hoặc không đúng định dạng / invalid .docx file") from exc
    numbering = _read_numbering(document)
    notes = _footnotes(data)
    blocks: list[Block] = []

    def add_paragraph(paragraph) -> None:
        text = _paragraph_text(paragraph, numbering)
        for line in text.split("\n"):
            if line.strip():
                blocks.append(Block(line, strong=_is_strong(paragraph)))
        for ref in _footnote_refs(paragraph):
            if ref in notes:
                # the note's text right after the paragraph that cites it, marked as a note
                blocks.append(Block(f"[{ref}] {notes[ref]}"))

    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            add_paragraph(Paragraph(child, document))
        elif tag == "tbl":
            table = Table(child, document)
            rows: list[list[str]] = []
            cell_paragraphs: list[list[list]] = []
            for row in table.rows:
                seen, cells, paras = set(), [], []
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue          # a merged cell is returned once per grid column
                    seen.add(id(cell._tc))
                    texts = [_paragraph_text(p, numbering) for p in cell.paragraphs]
                    cells.append(" ".join(t.strip() for t in texts if t.strip()))
                    paras.append(cell.paragraphs)
                rows.append(cells)
                cell_paragraphs.append(paras)
            texts = [_paragraph_text(p, numbering) for paras in cell_paragraphs for cell in paras for p in cell]
            if _is_layout_table(rows, texts):
                for paras in cell_paragraphs:
                    for cell in paras:
                        for paragraph in cell:
                            add_paragraph(paragraph)
                continue
            for cells in rows:
                if any(cells):
                    blocks.append(Block("| " + " | ".join(cells) + " |", table=True))
    return blocks

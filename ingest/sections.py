"""Parse a report into its heading tree (A / I / 1 / (1) / a) ..., PHẦN / Chương / Điều).

Depth comes from the order in which label styles first appear (the first style seen is
depth 1, a new style under it is depth 2, ...), the way a reader infers it. A line that
looks like a label is only a heading when its number continues the sequence at that
depth (or starts a new one at 1): this is what keeps "2. ..." in the middle of a
paragraph, page-break debris, or a numbered sentence from becoming a section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.headings import Label, parse_label
from ingest.normalize import to_blocks
from ingest.vntext import fold, sentence_spans

PATH_SEPARATOR = " › "
_CLOSING_START = re.compile(
    r"^(?:Nơi nhận|Nơi gửi|NƠI NHẬN)\s*:|^(?:TM|T\.M|KT|K\.T|TL|T\.L|TUQ|Q)\.\s*[A-ZĐ]"
)
# Headings of a programme / plan part: what the authority commits to do next.
_PROGRAMME = re.compile(
    r"chuong trinh cong tac|phuong huong|nhiem vu trong tam|nhiem vu,? (?:va )?giai phap|"
    r"muc tieu,? (?:va )?nhiem vu|nhiem vu,? muc tieu|giai phap chu yeu|cuoi nam|thoi gian toi|"
    r"sap toi|ke hoach (?:nam|giai doan|thang)|nhiem vu nam 20\d\d|nhiem vu giai doan|"
    r"to chuc thuc hien"
)
_RESULTS = re.compile(r"ket qua|tinh hinh|danh gia|ton tai|han che|quyen han")


@dataclass
class Section:
    section_id: str
    level: int
    label: str                 # "A", "(1)", "a)", "" for preamble/closing
    heading: str               # the heading line as printed (first sentence if very long)
    title: str                 # short form used in paths
    text: str                  # heading line up to the first sub-section, page breaks mended
    start: int                 # offsets of text in Document.text
    end: int
    parent_id: str | None = None
    kind: str = "section"      # "preamble" | "section" | "paragraph" | "closing"
    path: list[str] = field(default_factory=list)
    programme: bool = False    # inside a plan / "Chương trình công tác" part

    @property
    def section_path(self) -> str:
        return PATH_SEPARATOR.join(self.path)

    def to_json(self) -> dict:
        return {"section_id": self.section_id, "level": self.level, "heading": self.heading, "text": self.text}


@dataclass
class ParsedReport:
    text: str                  # normalised full text: blocks joined by blank lines
    sections: list[Section]

    def get(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.section_id == section_id), None)

    @property
    def body(self) -> list[Section]:
        return [s for s in self.sections if s.kind in ("section", "paragraph")]


@dataclass
class _Frame:
    label: Label
    section: Section


def _is_closing(block: str) -> bool:
    return bool(_CLOSING_START.match(block))


def _short(text: str, limit: int = 70) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


def _heading_line(block: str, label: str = "") -> str:
    """Headings that are whole numbered paragraphs are shown by their first sentence."""
    if len(block) <= 200:
        return block
    skip = len(label) + 1      # "1. Tập trung ..." : the label's own dot ends no sentence
    spans = sentence_spans(block[skip:])
    first = block[: skip + spans[0][1]] if spans else block
    return first if len(first) <= 300 else _short(first, 300)


class _TreeBuilder:
    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.last_ordinal: dict[str, int] = {}   # for styles numbered across parents (Điều 1..n)

    def accept(self, label: Label) -> tuple[Label, int] | None:
        """The reading of `label` that fits the tree, and the stack depth it goes to."""
        readings = (label, *label.alternatives)
        # Continuing a sequence already open beats starting a new one.
        for reading in readings:
            for depth, frame in enumerate(self.stack):
                if frame.label.style == reading.style and self._continues(frame, reading, depth):
                    return reading, depth
        for reading in readings:
            depth = self._new_style_depth(reading)
            if depth is not None:
                return reading, depth
        return None

    def _continues(self, frame: _Frame, reading: Label, depth: int) -> bool:
        if not frame.label.ordinal < reading.ordinal <= frame.label.ordinal + 2:
            return False
        if reading.style.startswith("decimal"):
            return reading.label.rsplit(".", 1)[0] == frame.label.label.rsplit(".", 1)[0]
        return True

    def _new_style_depth(self, reading: Label) -> int | None:
        if reading.style.startswith("decimal"):
            # "1.2." sits under the open "1." (or "1.2.3." under "1.2."), whatever its style.
            prefix = reading.label.rsplit(".", 1)[0]
            for depth in range(len(self.stack) - 1, -1, -1):
                frame = self.stack[depth]
                if frame.label.label == prefix and frame.label.style in ("number", "decimal" + str(prefix.count(".") + 1)):
                    return depth + 1 if reading.ordinal <= 2 else None
            return None
        first_ok = reading.ordinal == 1 or (not self.stack and reading.ordinal <= 2)
        carried = self.last_ordinal.get(reading.style)
        if first_ok or (carried is not None and reading.ordinal == carried + 1):
            return len(self.stack)
        return None


def parse_report(raw_text: str) -> ParsedReport:
    blocks = to_blocks(raw_text)
    offsets: list[tuple[int, int]] = []
    pos = 0
    for block in blocks:
        offsets.append((pos, pos + len(block)))
        pos += len(block) + 2
    text = "\n\n".join(blocks)

    builder = _TreeBuilder()
    sections: list[Section] = []
    owner: list[Section | None] = [None] * len(blocks)    # which section each block belongs to
    closing_from = len(blocks)
    seen_heading = False
    for i, block in enumerate(blocks):
        if _is_closing(block) and (seen_heading or i > 0):
            closing_from = i
            break
        label = parse_label(block)
        accepted = builder.accept(label) if label else None
        if accepted is None:
            if seen_heading:
                owner[i] = sections[-1]
            continue
        reading, depth = accepted
        del builder.stack[depth:]
        parent = builder.stack[-1].section if builder.stack else None
        section_id = ".".join([f.label.id_part for f in builder.stack] + [reading.id_part])
        heading = _heading_line(block, reading.label)
        title = f"{reading.label}{'.' if block[len(reading.label):len(reading.label) + 1] == '.' else ''} {_short(reading.title)}".strip()
        section = Section(
            section_id=section_id, level=depth + 1, label=reading.label, heading=heading, title=title,
            text="", start=offsets[i][0], end=offsets[i][1], parent_id=parent.section_id if parent else None,
            path=(parent.path if parent else []) + [title],
        )
        builder.stack.append(_Frame(reading, section))
        builder.last_ordinal[reading.style] = reading.ordinal
        sections.append(section)
        owner[i] = section
        seen_heading = True

    if not seen_heading:
        sections = _paragraph_sections(blocks, offsets, closing_from, owner)

    _attach_blocks(sections, blocks, offsets, owner, text)
    _name_label_only_headings(sections, blocks, owner)
    _mark_programme(sections)

    result: list[Section] = []
    first_owned = next((i for i, o in enumerate(owner) if o is not None), closing_from)
    if first_owned > 0:
        result.append(_span_section("preamble", "preamble", blocks, offsets, 0, min(first_owned, closing_from), text))
    result.extend(s for s in sections if s.kind != "preamble")
    if closing_from < len(blocks):
        result.append(_span_section("closing", "closing", blocks, offsets, closing_from, len(blocks), text))
    return ParsedReport(text=text, sections=result)


def _paragraph_sections(blocks, offsets, closing_from, owner) -> list[Section]:
    """A report without headings is indexed by paragraphs: p1, p2, ... after the preamble.

    The preamble is the run of short lines at the top (issuer, number, date, title).
    """
    sections: list[Section] = []
    start = 0
    # Header lines (issuer, number, date, kind, title) are short and unpunctuated;
    # the legal basis ("Căn cứ ...") belongs to them too. The first sentence ends it.
    while start < min(closing_from - 1, 8) and (
        blocks[start].startswith("Căn cứ") or (len(blocks[start]) < 200 and not blocks[start].rstrip().endswith((".", "!", "?")))
    ):
        start += 1
    for n, i in enumerate(range(start, closing_from), start=1):
        heading = _heading_line(blocks[i])
        section = Section(
            section_id=f"p{n}", level=1, label=f"p{n}", heading=heading, title=f"p{n} {_short(heading, 50)}",
            text="", start=offsets[i][0], end=offsets[i][1], kind="paragraph",
        )
        section.path = [section.title]
        sections.append(section)
        owner[i] = section
    return sections


def _attach_blocks(sections, blocks, offsets, owner, text) -> None:
    by_section: dict[int, list[int]] = {}
    for i, sec in enumerate(owner):
        if sec is not None:
            by_section.setdefault(id(sec), []).append(i)
    for sec in sections:
        idx = by_section.get(id(sec), [])
        if idx:
            sec.start, sec.end = offsets[idx[0]][0], offsets[idx[-1]][1]
            sec.text = text[sec.start : sec.end]


def _name_label_only_headings(sections, blocks, owner) -> None:
    """'PHẦN THỨ NHẤT' / 'Chương I' on a line of its own: the title is the next line."""
    for i, sec in enumerate(owner):
        if sec is None or not blocks[i].startswith(sec.label) or blocks[i].strip() != sec.label:
            continue
        nxt = i + 1
        if nxt < len(blocks) and owner[nxt] is sec and len(blocks[nxt]) <= 160:
            sec.title = f"{sec.label} {_short(blocks[nxt])}"
            sec.path[-1] = sec.title
            for other in sections:
                if other.section_id.startswith(sec.section_id + ".") and len(other.path) > sec.level - 1:
                    other.path[sec.level - 1] = sec.title


def _mark_programme(sections) -> None:
    flags: dict[str, bool] = {}
    for sec in sections:
        folded = fold(sec.title).lower()
        own = bool(_PROGRAMME.search(folded)) and not _RESULTS.search(folded)
        sec.programme = own or flags.get(sec.parent_id or "", False)
        flags[sec.section_id] = sec.programme


def _span_section(section_id, kind, blocks, offsets, first, last, text) -> Section:
    start, end = offsets[first][0], offsets[last - 1][1]
    heading = blocks[first]
    return Section(
        section_id=section_id, level=0, label="", heading=_heading_line(heading), title=section_id,
        text=text[start:end], start=start, end=end, kind=kind, path=[section_id],
    )

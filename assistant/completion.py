"""What completes a quoted sentence so that it answers the question.

Plans write a task in one place and who does it, and by when, in another: the item's own
fields ("- Cơ quan thực hiện: Sở Nội vụ", "- Thời gian thực hiện: Năm 2020"), the heading
the task list sits under ("3.4. Sở Văn hoá, Thể thao và Du lịch"), or the items a line
opens ("... cụ thể:" followed by "a) Bằng 4,5% tiền lương tháng ..."). A quote of the
task alone does not say who or when; these are looked up in the section (which may run
over several chunks) and quoted beside it, verbatim, with their own section.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.documents import Document

from assistant.answer_type import BODY, satisfies
from assistant.intent import Intent
from ingest.vntext import fold


@dataclass
class Unit:
    """A quotable span of a chunk or section: a sentence, a clause, a list item, a row."""
    doc: Document
    start: int            # offsets inside doc.page_content
    end: int
    score: float = 0.0
    coverage: float = 0.0       # share of the question's weight in this unit's own words
    terms: set[str] = field(default_factory=set)
    header: bool = False        # a table's header row, quoted for the rows after it

    @property
    def text(self) -> str:
        return self.doc.page_content[self.start : self.end]


# "- Cơ quan thực hiện: Sở Nội vụ chủ trì ...": a label, a colon, the value on the line.
FIELD = re.compile(r"^[ \t]*(?:[-+•*–][ \t]*)?(?P<label>[^\s:|][^:|\n]{1,48}?)[ \t]*:[ \t]*(?P<value>\S[^\n]*)$")
# What a field's label says it states, by folded label words (the first kind that
# matches: "Thời gian thực hiện" is a time, not a body).
FIELD_KINDS = (
    ("date", re.compile(r"\b(?:thoi gian|thoi han|tien do|hoan thanh|thoi diem)\b")),
    ("money", re.compile(r"\b(?:kinh phi|nguon von|du toan|nguon kinh phi)\b")),
    ("body", re.compile(r"\b(?:co quan|don vi|chu tri|phoi hop|trach nhiem|thuc hien)\b")),
)
# A line that starts an item of its own: a bullet, "a)", "1.", "2.5.", "(1)", "II.".
ITEM_START = re.compile(r"^[ \t]*(?:[-+•*–][ \t]+|[a-zđ]\)[ \t]*|\(?\d+(?:\.\d+)*[.)]|\(\d+\)|[IVX]+\.[ \t])")
# A list item of a list a line opens with a colon.
LIST_ITEM = re.compile(r"^[ \t]*(?:[-+•*–][ \t]+|[a-zđ]\)[ \t]*|\d+[.)][ \t]+|\(\d+\)[ \t]*)\S")
# The label of a group of rows in a table: a Roman numeral or a capital letter ("VI", "B.").
GROUP_LABEL = re.compile(r"(?:[IVXL]{1,6}|[A-ZĐ])\.?")
_PLAIN_LINES = 4      # lines of a task's own paragraph read past before its fields
_ITEMS = 8            # items quoted after a line that opens a list


def field_kind(line: str) -> str:
    match = FIELD.match(line)
    if not match:
        return ""
    label = fold(match.group("label")).lower()
    return next((kind for kind, pattern in FIELD_KINDS if pattern.search(label)), "")


def asked_kinds(intent: Intent) -> set[str]:
    """The fields that can answer: a body for "cơ quan nào", a time for "khi nào"."""
    kinds = set()
    if intent.body or intent.who:
        kinds.add("body")
    if intent.date:
        kinds.add("date")
    if intent.number and {"dong", "ty", "trieu"} & set(intent.units):
        kinds.add("money")
    return kinds


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


class Completer:
    def __init__(self, sections: Callable[[str, str], str | None]) -> None:
        self._sections = sections    # (doc_id, section_id) -> the section's full text
        self._cache: dict[tuple[str, str], Document | None] = {}

    def section(self, like: Document, section_id: str | None = None) -> Document | None:
        """A whole section of `like`'s report (its own by default), cached for the answer."""
        doc_id = like.metadata["doc_id"]
        section_id = section_id or like.metadata["section_id"]
        key = (doc_id, section_id)
        if key not in self._cache:
            text = self._sections(doc_id, section_id)
            own = section_id == like.metadata["section_id"]
            self._cache[key] = None if not text else Document(page_content=text, metadata={
                **like.metadata, "section_id": section_id,
                "section_path": like.metadata["section_path"] if own else section_id})
        return self._cache[key]

    def locate(self, unit: Unit) -> Unit | None:
        """The unit inside its whole section."""
        section = self.section(unit.doc)
        if section is None:
            return None
        at = section.page_content.find(unit.text)
        return None if at < 0 else Unit(section, at, at + len(unit.text), unit.score, unit.coverage, unit.terms)

    # ----- an item's fields -------------------------------------------------------------
    def fields(self, unit: Unit, kinds: set[str]) -> list[Unit]:
        """The item's field lines of the asked kinds ("- Cơ quan thực hiện: ..."), the
        item being the unit's paragraph with the label or bullet that opens it and the
        field lines that follow it, up to the next item."""
        placed = self.locate(unit)
        if placed is None or not kinds:
            return []
        text = placed.doc.page_content
        lines = [(s, e) for s, e in _lines(text) if text[s:e].strip()]
        at = next((i for i, (s, e) in enumerate(lines) if s <= placed.start <= e), None)
        if at is None:
            return []
        first, plain = at, 0
        while first > 0:
            current = text[slice(*lines[first])]
            if ITEM_START.match(current) and not field_kind(current):
                break         # the label or bullet that opens the item
            previous = text[slice(*lines[first - 1])]
            if not field_kind(previous) and not ITEM_START.match(previous):
                plain += 1
                if plain > _PLAIN_LINES:
                    break
            first -= 1
        last, seen_field, plain = at, False, 0
        while last + 1 < len(lines):
            line = text[slice(*lines[last + 1])]
            if FIELD.match(line) and field_kind(line):
                seen_field = True
            elif ITEM_START.match(line) or seen_field:
                break
            else:
                plain += 1
                if plain > _PLAIN_LINES:
                    break
            last += 1
        out = []
        for s, e in lines[first : last + 1]:
            if s <= placed.start < e or not (s >= placed.end or e <= placed.start):
                continue      # the unit's own line
            if field_kind(text[s:e]) in kinds:
                lead = len(text[s:e]) - len(text[s:e].lstrip())
                out.append(Unit(placed.doc, s + lead, e, score=unit.score, coverage=unit.coverage))
        return out

    # ----- the heading that names the body ----------------------------------------------
    def body_heading(self, unit: Unit, depth: int = 3) -> Unit | None:
        """The nearest heading, of the unit's section or one above it, that names a body
        ("3.2. Công an tỉnh"): the task list under it is that body's."""
        section_id = unit.doc.metadata["section_id"]
        for _ in range(depth):
            if not section_id or section_id.endswith("preamble"):
                return None
            section = self.section(unit.doc, section_id)
            if section is not None:
                text = section.page_content
                end = text.find("\n")
                heading = text[: end if end >= 0 else len(text)]
                if BODY.search(heading) and len(heading) <= 300:
                    return Unit(section, 0, len(heading.rstrip()), score=unit.score, coverage=unit.coverage)
            if "." not in section_id:
                return None
            section_id = section_id.rsplit(".", 1)[0]
        return None

    def support(self, unit: Unit, intent: Intent, question_names: frozenset[str], question: str) -> list[Unit]:
        """What must be quoted beside `unit` for it to give the kind of answer asked:
        nothing when it gives it itself; else its item's fields, else (for a body) the
        heading naming one; [] when neither does."""
        kinds = asked_kinds(intent)
        if not kinds:
            return []
        if satisfies(unit.text, intent, question_names, question) and not (
                "body" in kinds and not unit.text.lstrip().startswith("|") and not leads_with_body(unit.text)):
            # A task's doer opens its sentence ("Sở Nội vụ chủ trì ..."); a body named
            # further on is often whom it reports to ("... gửi Bộ Lao động ..."), and
            # the doer is then in the item's field or the heading above it.
            return []
        found = self.fields(unit, kinds)
        if not found and unit.text.lstrip().startswith("|"):
            # A table row leaves its amount to its group's row and its unit to the
            # header ("Mức bồi thường (đồng/mộ)"), as merged cells do.
            placed = self.locate(unit)
            if placed is not None:
                header = table_header(placed.doc, placed.start)
                found = [u for u in (group_row(placed.doc, placed.start, header.start if header else 0),
                                     header if header is not None and header.start < placed.start else None) if u]
        if not found and "body" in kinds:
            heading = self.list_intro(unit) or self.body_heading(unit)
            found = [heading] if heading is not None else []
        joined = " ".join([unit.text] + [u.text for u in found])
        return found if found and satisfies(joined, intent, question_names, question) else []

    def list_intro(self, unit: Unit) -> Unit | None:
        """The line that opens the list the unit is an item of, when it names a body
        ("Giao Sở Lao động - Thương binh và Xã hội:" above its tasks)."""
        placed = self.locate(unit)
        if placed is None:
            return None
        text = placed.doc.page_content
        lines = [(s, e) for s, e in _lines(text) if text[s:e].strip()]
        at = next((i for i, (s, e) in enumerate(lines) if s <= placed.start <= e), None)
        if at is None or not LIST_ITEM.match(text[slice(*lines[at])]):
            return None
        marker = _marker(text[slice(*lines[at])])
        for i in range(at - 1, -1, -1):
            line = text[slice(*lines[i])]
            if LIST_ITEM.match(line) and _marker(line) == marker:
                continue
            if line.rstrip().endswith(":") and BODY.search(line):
                s, e = lines[i]
                lead = len(line) - len(line.lstrip())
                return Unit(placed.doc, s + lead, e, score=unit.score, coverage=unit.coverage)
            return None
        return None

    # ----- the items a line opens -------------------------------------------------------
    def items_after(self, unit: Unit) -> list[Unit]:
        """The items of the list the unit's line opens ("..., cụ thể:", "... gồm:"),
        contiguous and of the same marker, from its whole section."""
        placed = self.locate(unit)
        if placed is None:
            return []
        text = placed.doc.page_content
        line_end = text.find("\n", placed.end)
        line = text[text.rfind("\n", 0, placed.start) + 1 : line_end if line_end >= 0 else len(text)]
        if line_end < 0 or not line.rstrip().endswith(":"):
            return []
        items, marker = [], None
        for s, e in _lines(text[line_end + 1 :]):
            s, e = s + line_end + 1, e + line_end + 1
            item = text[s:e]
            if not item.strip():
                continue
            match = LIST_ITEM.match(item)
            kind = _marker(item) if match else None
            if not match or (marker is not None and kind != marker):
                break
            marker = kind
            lead = len(item) - len(item.lstrip())
            items.append(Unit(placed.doc, s + lead, e, score=unit.score, coverage=unit.coverage))
            if len(items) >= _ITEMS:
                break
        return items if len(items) >= 2 else []


# What may stand before a task's doer: the item's label or bullet, "Giao", "Đề nghị".
_LEAD = re.compile(r"^[\s\-+•*–]*(?:\(?[\da-zđ]+(?:\.\d+)*[.)]\s*)*(?:(?:Giao|Đề nghị|Yêu cầu)(?: cho)?\s+)?")


def leads_with_body(text: str) -> bool:
    """Does a body open the sentence, as its subject ("Sở Nội vụ chủ trì ...")?"""
    match = BODY.search(text)
    return bool(match) and match.start() <= _LEAD.match(text).end()


def _marker(line: str) -> str:
    """The kind of a list marker: "-", "a)", "1.", "(1)"."""
    stripped = line.lstrip()
    if stripped[:1] in "-+•*–":
        return stripped[:1]
    if re.match(r"[a-zđ]\)", stripped):
        return "a)"
    if re.match(r"\(\d+\)", stripped):
        return "(1)"
    return "1."


def cells(row: str) -> list[str]:
    """A Markdown table row's cells, stripped."""
    return [c.strip() for c in row.strip().strip("|").split("|")]


def group_row(section: Document, row: int, table_start: int = 0) -> Unit | None:
    """The group row a table row's empty cells belong to: under "| VI | Đối tượng được
    hưởng mức 720.000đ/tháng: | 720.000 |" the items "| 1 | … |  |" leave the amount to
    it, as a merged cell would. Only an item (numbered 1, 2 …) under a group labelled I,
    II … or A, B … has one, and only when the group fills a cell the item leaves empty."""
    text = section.page_content
    end = text.find("\n", row)
    row_cells = cells(text[row:end if end > 0 else len(text)])
    empty = [i for i, c in enumerate(row_cells) if i and not c]
    if not empty or not row_cells[0] or GROUP_LABEL.fullmatch(row_cells[0]):
        return None
    pos = row
    while pos > table_start:
        start = text.rfind("\n", 0, pos - 1) + 1
        line = text[start:pos].rstrip("\n")
        pos = start
        if not line.lstrip().startswith("|"):
            if line.strip():
                return None       # the table ends above
            continue
        above = cells(line)
        if len(above) != len(row_cells) or not GROUP_LABEL.fullmatch(above[0]):
            continue
        if any(above[i] for i in empty):
            return Unit(section, start, start + len(line))
        return None
    return None


def table_header(section: Document, row: int) -> Unit | None:
    """The first row of the table that contains offset `row` (rows may be separated by
    blank lines once normalised)."""
    text = section.page_content
    header_start = None
    pos = row
    while pos > 0:
        line_start = text.rfind("\n", 0, pos - 1) + 1
        line = text[line_start : pos - 1] if pos - 1 > line_start else text[line_start:pos]
        if line.strip().startswith("|"):
            header_start = line_start
        elif line.strip():
            break
        pos = line_start
    if header_start is None:
        return None
    end = text.find("\n", header_start)
    return Unit(section, header_start, end if end > 0 else len(text))

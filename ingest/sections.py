"""Parse a document into its heading tree (A / I / 1 / (1) / a) ..., PHẦN / Chương / Điều),
with the documents attached after its signature as trees of their own.

Depth comes from the order in which label styles first appear (the first style seen is
depth 1, a new style under it is depth 2, ...), the way a reader infers it. A line that
looks like a label is only a heading when its number continues the sequence at that
depth (or starts a new one at 1): this is what keeps "2. ..." in the middle of a
paragraph, page-break debris, or a numbered sentence from becoming a section. Nothing
inside a quotation of another text, and nothing in a table, is a heading of this one.

After the signature block, an attached plan, programme or appendix (attachments.py)
starts a fresh tree whose ids begin with its label: `Kế hoạch.I.1`, `Phụ lục II.3`.
The main text's `closing` is only its recipients list and signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest import attachments
from ingest.headings import Label, parse_label
from ingest.normalize import Block, clean_block, text_blocks
from ingest.vntext import fold, sentence_spans

PATH_SEPARATOR = " › "
# Headings of a programme / plan part: what the authority commits to do next.
_PROGRAMME = re.compile(
    r"chuong trinh cong tac|phuong huong|nhiem vu trong tam|nhiem vu,? (?:va )?giai phap|"
    r"muc tieu,? (?:va )?nhiem vu|nhiem vu,? muc tieu|giai phap chu yeu|cuoi nam|thoi gian toi|"
    r"sap toi|ke hoach (?:nam|giai doan|thang)|nhiem vu nam 20\d\d|nhiem vu giai doan|"
    r"to chuc thuc hien|nhiem vu cu the"
)
_RESULTS = re.compile(r"ket qua|tinh hinh|danh gia|ton tai|han che|quyen han")
# Attached documents whose whole content is what is planned.
_PLAN_KINDS = ("kế hoạch", "chương trình", "đề án", "phương án")
# A decimal label glued inside a line by a crawl: "... chủ yếu 2.1. Tiếp tục rà soát".
_GLUED_DECIMAL = re.compile(r"(?<=[^\s\d.])\s+(?=\d{1,2}(?:\.\d{1,2})+\.(?:\s+[A-ZĐÀ-Ỹ]|\s*$))")
# The header row of a table a text extraction flattened to one cell per line.
_TABLE_HEADS = re.compile(
    r"^(?:tên )?nhiệm vụ|^cơ quan|^thời (?:gian|hạn)|^kết quả|^sản phẩm|^chủ trì|^phối hợp|^nội dung|^chỉ tiêu|"
    r"^đơn vị|^ghi chú|^mục tiêu|^đối tượng|^mức",
    re.IGNORECASE,
)
_WORDED = ("phan", "chuong", "muc", "chuyende", "bieu")
_OPEN_QUOTES = "“"
_CLOSE_QUOTES = "”"
_MAX_QUOTE_BLOCKS = 40


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
    kind: str = "section"      # "preamble" | "section" | "paragraph" | "attachment" | "closing"
    path: list[str] = field(default_factory=list)
    programme: bool = False    # inside a plan / "Chương trình công tác" part
    attachment: str = ""       # label of the attached document it belongs to ("" = main text)

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
        return [s for s in self.sections if s.kind in ("section", "paragraph", "attachment")]

    @property
    def attachments(self) -> list[str]:
        """Labels of the attached documents, in order."""
        seen: list[str] = []
        for s in self.sections:
            if s.attachment and s.attachment not in seen:
                seen.append(s.attachment)
        return seen


@dataclass
class _Frame:
    label: Label
    section: Section


@dataclass
class _Item:
    text: str
    table: bool = False
    strong: bool = False
    quoted: bool = False


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
    # "1. Tập trung ...", "4.1.a. Sở Xây dựng ...": the label's own dots end no sentence
    skip = max(block.find(label), 0) + len(label) + 1
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

    def continues_open(self, label: Label) -> bool:
        """Would `label` continue a sequence already open (not start a deeper one)?"""
        accepted = self.accept(label)
        return accepted is not None and accepted[1] < len(self.stack)

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
        if any(frame.label.style == reading.style for frame in self.stack):
            # "a)" restarting under an open "d)" of the same style is a list inside the
            # text, not a level below it (a tree never repeats a style on one path).
            return None
        # A worded label in capitals ("CHUYÊN ĐỀ 2. CÔNG TÁC CHUẨN BỊ ...") is a heading
        # even when its sequence began inside another heading's title.
        worded = reading.style in _WORDED and reading.title.isupper()
        first_ok = reading.ordinal == 1 or (not self.stack and reading.ordinal <= 2) or worded
        carried = self.last_ordinal.get(reading.style)
        if first_ok or (carried is not None and reading.ordinal == carried + 1):
            return len(self.stack)
        return None


def parse_report(source) -> ParsedReport:
    """`source`: text, or a LoadedText (whose reader may hand over its blocks)."""
    items = [_Item(b.text, b.table, b.strong) for b in _blocks_of(source)]
    items = _split_glued_titles(items)
    _mark_quoted(items)
    parser = _Parser(items)
    parser.run()
    return parser.result()


def _blocks_of(source) -> list[Block]:
    blocks = getattr(source, "blocks", None)
    if blocks:
        out = []
        for b in blocks:
            text = clean_block(b.text)
            if text:
                out.append(Block(text, b.table, b.strong))
        return out
    return text_blocks(getattr(source, "text", source))


def _split_glued_titles(items: list[_Item]) -> list[_Item]:
    """"BỘ TRƯỞNG Đặng Quốc Khánh CHƯƠNG TRÌNH HÀNH ĐỘNG ...": a crawl glued the
    attached programme's title to the signer's name; cut it off into a block of its own."""
    out: list[_Item] = []
    for item in items:
        cut = None if item.table else attachments.glued_title_at(item.text)
        if cut is not None:
            out.append(_Item(item.text[:cut], item.table, item.strong))
            out.append(_Item(item.text[cut:].lstrip(), item.table, item.strong))
        else:
            out.append(item)
    return out


_QUOTE_ENDS = re.compile(r"”\s*[.;,:]*\s*(?:\./\.)?$")


def _mark_quoted(items: list[_Item]) -> None:
    """Blocks inside a quotation of another text (“2. Sau khi ... a) ... b) ...”).

    Another text's provisions are quoted as whole paragraphs: the quotation opens at the
    start of a block and closes at the end of one. It runs while its quotation marks
    are open; where the document itself left a mark unbalanced, it ends at the first
    block that ends with a closing mark, within _MAX_QUOTE_BLOCKS blocks. A quotation
    inside a sentence (“về tăng cường ...”) opens no run.
    """
    i = 0
    while i < len(items):
        text = items[i].text
        if items[i].table or not text.startswith(("“", '"')):
            i += 1
            continue
        if text.startswith('"'):
            items[i].quoted = bool(parse_label(text.lstrip('"').strip()))
            i += 1
            continue
        depth = text.count("“") - text.count("”")
        end = i if depth <= 0 else None
        fallback = None
        j = i + 1
        while end is None and j < len(items) and j - i <= _MAX_QUOTE_BLOCKS:
            depth += items[j].text.count("“") - items[j].text.count("”")
            if fallback is None and _QUOTE_ENDS.search(items[j].text):
                fallback = j
            if depth <= 0:
                end = j
            j += 1
        end = end if end is not None else fallback
        if end is None:
            i += 1
            continue
        end = _extend_quotation(items, end)
        for k in range(i, end + 1):
            items[k].quoted = True
        i = end + 1


def _extend_quotation(items: list[_Item], end: int) -> int:
    """A closing mark with no quotation open belongs to the one that just ended: the
    document closed it too early (“Điều 1. … 1. … Luật.”. / 2. … / 3. … liên quan.”.).
    The quotation then runs to that mark, unless a new one opens first."""
    for j in range(end + 1, min(len(items), end + 1 + _MAX_QUOTE_BLOCKS)):
        text = items[j].text
        if text.startswith("“"):
            break
        if text.count("”") > text.count("“") and _QUOTE_ENDS.search(text):
            end = j
    return end


def _flattened_table_header(items: list[_Item], i: int) -> bool:
    """Block i is the "STT" cell of a table header a text extraction flattened one cell
    per line: "STT" / "Tên nhiệm vụ cụ thể" / "Cơ quan" / "chủ trì" ..."""
    first = items[i].text.strip()
    if first.upper() not in ("STT", "TT", "SỐ TT"):
        # "STT Văn bản hết hiệu lực một phần Nội dung, quy định": header cells on one line
        glued = re.match(r"^(?:STT|TT)\s+\S", first) and len(first) <= 100 and not first.endswith((".", ";"))
        if not glued:
            return False
        cells = [it.text.strip() for it in items[i + 1 : i + 5]]
        return sum(1 for c in cells if len(c) <= 30 and not parse_label(c)) >= 2
    cells = [it.text.strip() for it in items[i + 1 : i + 8]]
    named = sum(1 for c in cells if len(c) <= 40 and _TABLE_HEADS.match(c))
    short = sum(1 for c in cells[:6] if len(c) <= 30)
    # column names: short cells that are not labels ("Văn bản hết hiệu lực", "Lý do …")
    columns = sum(1 for c in cells[:4] if len(c) <= 30 and not parse_label(c))
    return named >= 2 or (named >= 1 and short >= 4) or columns >= 3


@dataclass
class _Part:
    label: str                  # "" for the main text, else "Phụ lục I", "Kế hoạch", ...
    kind: str
    start: int
    title_at: int = -1               # the block that announced it (its title line)
    builder: _TreeBuilder = field(default_factory=_TreeBuilder)
    first_heading: int | None = None
    closing_from: int | None = None
    table_depth: int | None = None   # inside a flattened table opened at this tree depth
    end: int = 0

    def id_of(self, local: str) -> str:
        return f"{self.label}.{local}" if self.label else local


class _Parser:
    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self.parts: list[_Part] = [_Part("", "", 0)]
        self.sections: list[Section] = []
        self.owner: list[Section | None] = []
        self.zone: list[tuple[int, str]] = []     # (part index, "preamble"|"body"|"closing") per block
        self.labels_used: dict[str, int] = {}
        self.texts = [it.text for it in items]     # kept in step with items (splits insert)
        self.heading_at: dict[int, int] = {}        # id(section) -> index of its heading block

    # ----- the pass over the blocks -----------------------------------------------
    def run(self) -> None:
        i = 0
        while i < len(self.items):
            part = self.parts[-1]
            title = self._attachment_at(i, part)
            if title is not None:
                floor = max(part.start + 1, part.closing_from if part.closing_from is not None
                            else (part.first_heading or part.start) + 1)
                start = attachments.start_with_letterhead(self.texts, i, floor)
                above = parse_label(self.texts[i - 1]) if start == i and i - 1 >= floor else None
                if above is not None and above.bare:
                    start = i - 1   # "Phần I." / "DANH MỤC THỦ TỤC ...": its first heading, titled
                self._open_attachment(title, start)
                part = self.parts[-1]
                part.title_at = i
                for k in range(start, i):     # what was read as the last part's end is this one's
                    self._place(k, part)
            self._place(i, part)
            i += 1
        for n, part in enumerate(self.parts):
            part.end = self.parts[n + 1].start if n + 1 < len(self.parts) else len(self.items)

    def _attachment_at(self, i: int, part: _Part):
        item = self.items[i]
        if item.table or item.quoted or i == part.start:
            return None
        after_signature = part.closing_from is not None
        title = attachments.announces_attachment(self.texts, i, after_signature,
                                                 after_table=bool(part.label) and part.table_depth is not None)
        if title is None:
            return None
        if title.kind == "biểu" and part.kind == "phụ lục" and not after_signature:
            return None       # "Biểu mẫu 1" inside an appendix is one of its sections
        if part.first_heading is None and part.label == "" and not after_signature and title.kind != "phụ lục":
            return None
        if part.label and part.first_heading is None and part.closing_from is None and i - part.title_at <= 3:
            return None       # "PHỤ LỤC 01" / "DANH MỤC THỦ TỤC …" / "(Kèm theo …)": one title
        return title

    def _open_attachment(self, title, start: int) -> None:
        label = title.label
        count = self.labels_used.get(label, 0) + 1
        self.labels_used[label] = count
        if count > 1:
            label = f"{label} {count}"      # a second unnumbered "Phụ lục" is "Phụ lục 2"
        # Blocks from `start` were read as the previous part's closing (or text): they
        # are this attachment's letterhead, to be read again as its own.
        del self.owner[start:], self.zone[start:]
        self.sections = [s for s in self.sections if self.heading_at[id(s)] < start]
        self.parts.append(_Part(label, title.kind, start))

    def _place(self, i: int, part: _Part) -> None:
        item = self.items[i]
        n = len(self.parts) - 1
        if part.closing_from is not None:
            self._own(n, "closing")
            return
        if attachments.is_closing_mark(item.text) and not item.quoted and (part.first_heading is not None or i > part.start) \
                and self._closing_holds(i, part):
            part.closing_from = i
            self._own(n, "closing")
            return
        if part.table_depth is None and not item.table and _flattened_table_header(self.items, i):
            part.table_depth = len(part.builder.stack)
        label = None if item.table or item.quoted or i == part.title_at else parse_label(item.text)
        accepted = part.builder.accept(label) if label else None
        if accepted is not None and part.table_depth is not None:
            # Row numbers and group rows of the table are not headings; a heading of the
            # text again (a sibling or parent of the section holding the table) ends it.
            if not accepted[0].bare and len(accepted[0].title.split()) >= 2 and accepted[1] < part.table_depth:
                part.table_depth = None
            else:
                accepted = None
        if accepted is not None and accepted[0].bare and not self._bare_fits(i, part, accepted):
            accepted = None
        if accepted is None:
            self._own_text(i, n, part)
            self._split_glued_decimal(i, part)
            return
        self._open_section(i, n, part, *accepted)
        self._split_glued_decimal(i, part)

    def _bare_fits(self, i: int, part: _Part, accepted: tuple[Label, int]) -> bool:
        """A label alone on its line ("1.", "Điều 1.", "1") is a heading when a title
        follows it, not another label, and it continues its sequence or starts one."""
        nxt = self.items[i + 1] if i + 1 < len(self.items) else None
        if nxt is None or nxt.table:
            return False
        if accepted[0].style in _WORDED or accepted[0].style == "dieu":
            return True       # "Chương I", "Mục 2", "Điều 8." alone: worded labels are headings
        following = parse_label(nxt.text)
        if following is not None:
            # "Điều 8." then its khoản "1. ...": a label of another style, with its text
            return following.style != accepted[0].style and not following.bare
        # a title starts with a word (or, under a crawl's bare "1", with its bullets):
        # not with a number, as the axis labels "8 / 6 / 4 / 2 / 0" of a chart do
        return nxt.text.lstrip("-+• ")[:1].isalpha()

    def _closing_holds(self, i: int, part: _Part) -> bool:
        """A signature or "Nơi nhận" line ends the text only if the text does not go on
        after it: a sample signature block quoted in a guidance is followed by more
        headings of the same sequence; a real one by the recipients or an attachment."""
        for j in range(i + 1, min(len(self.items), i + 80)):
            item = self.items[j]
            if item.table or item.quoted:
                continue
            if attachments.announces_attachment(self.texts, j, after_signature=True):
                return True
            label = parse_label(item.text)
            if label and not label.bare and part.builder.continues_open(label) and len(label.title) > 3:
                return False
        return True

    def _own(self, part_index: int, zone: str) -> None:
        self.owner.append(None)
        self.zone.append((part_index, zone))

    def _own_text(self, i: int, n: int, part: _Part) -> None:
        if part.first_heading is None:
            self._own(n, "preamble")
        else:
            self.owner.append(self.sections[-1])
            self.zone.append((n, "body"))

    def _open_section(self, i: int, n: int, part: _Part, reading: Label, depth: int) -> None:
        block = self.items[i].text
        builder = part.builder
        del builder.stack[depth:]
        parent = builder.stack[-1].section if builder.stack else None
        local = ".".join([f.label.id_part for f in builder.stack] + [reading.id_part])
        heading = _heading_line(block, reading.label)
        dot = "." if block[len(reading.label):len(reading.label) + 1] == "." else ""
        title = f"{reading.label}{dot} {_short(reading.title)}".strip()
        section = Section(
            section_id=part.id_of(local), level=depth + 1, label=reading.label, heading=heading, title=title,
            text="", start=0, end=0, parent_id=parent.section_id if parent else None,
            path=(parent.path if parent else ([part.label] if part.label else [])) + [title],
            attachment=part.label,
        )
        builder.stack.append(_Frame(reading, section))
        builder.last_ordinal[reading.style] = reading.ordinal
        self.sections.append(section)
        self.heading_at[id(section)] = i
        self.owner.append(section)
        self.zone.append((n, "body"))
        if part.first_heading is None:
            part.first_heading = i

    def _split_glued_decimal(self, i: int, part: _Part) -> None:
        """"2." / "Nhiệm vụ và giải pháp chủ yếu 2.1. Tiếp tục ...": a crawl glued the
        next heading into this line. Cut it off when it is the open section's child."""
        item = self.items[i]
        if item.table or item.quoted or part.table_depth is not None:
            return
        start = len(parse_label(item.text).label) if parse_label(item.text) else 0
        for match in _GLUED_DECIMAL.finditer(item.text, start):
            rest = item.text[match.end():]
            label = parse_label(rest)
            if label is None or not label.style.startswith("decimal"):
                continue
            prefix = label.label.rsplit(".", 1)[0]
            if part.builder.stack and part.builder.stack[-1].label.label == prefix and part.builder.accept(label):
                item.text = self.texts[i] = item.text[: match.start()]
                self.items.insert(i + 1, _Item(rest, item.table, item.strong))
                self.texts.insert(i + 1, rest)
                heading_of = self.owner[i]
                if heading_of is not None and (i == 0 or self.owner[i - 1] is not heading_of):
                    heading_of.heading = _heading_line(item.text, heading_of.label)   # its own line was cut
                return

    # ----- assembling the sections ------------------------------------------------
    def result(self) -> ParsedReport:
        blocks = [it.text for it in self.items]
        offsets: list[tuple[int, int]] = []
        pos = 0
        for block in blocks:
            offsets.append((pos, pos + len(block)))
            pos += len(block) + 2
        text = "\n\n".join(blocks)

        main = self.parts[0]
        if main.first_heading is None:
            self._paragraph_sections(blocks, main)
        for part in self.parts[1:]:
            if part.first_heading is None:
                self._attachment_body(blocks, part)
            else:
                self._attachment_lead(blocks, part)

        _attach_blocks(self.sections, self.owner, offsets, text)
        _name_label_only_headings(self.sections, blocks, self.owner)
        _mark_programme(self.sections, {p.label: p for p in self.parts})

        result: list[Section] = []
        for n, part in enumerate(self.parts):
            for zone in ("preamble", "body", "closing"):
                if zone == "body":
                    result.extend(s for s in self.sections if s.attachment == part.label and s.kind != "preamble")
                    continue
                idx = [k for k, (p, z) in enumerate(self.zone) if p == n and z == zone and self.owner[k] is None]
                if idx:
                    result.append(_span_section(part.id_of(zone), zone, blocks, offsets, idx[0], idx[-1] + 1, text,
                                                part.label))
        result.sort(key=lambda s: (s.start, 0 if s.kind == "preamble" else 1))
        return ParsedReport(text=text, sections=result)

    def _paragraph_sections(self, blocks: list[str], part: _Part) -> None:
        """A text without headings is indexed by paragraphs: p1, p2, ... after the preamble.

        The preamble is the run of short lines at the top (issuer, number, date, title);
        the legal basis ("Căn cứ ...") belongs to it too. The first sentence ends it.
        """
        end = part.closing_from if part.closing_from is not None else (
            self.parts[1].start if len(self.parts) > 1 else len(blocks))
        start = 0
        while start < min(end - 1, 8) and (
            blocks[start].startswith("Căn cứ") or (len(blocks[start]) < 200 and not blocks[start].rstrip().endswith((".", "!", "?")))
        ):
            start += 1
        for n, i in enumerate(range(start, end), start=1):
            heading = _heading_line(blocks[i])
            section = Section(
                section_id=f"p{n}", level=1, label=f"p{n}", heading=heading, title=f"p{n} {_short(heading, 50)}",
                text="", start=0, end=0, kind="paragraph",
            )
            section.path = [section.title]
            self.sections.append(section)
            self.owner[i] = section
            self.zone[i] = (0, "body")

    def _attachment_lead(self, blocks: list[str], part: _Part) -> None:
        """An appendix that opens with its table and ends with numbered notes ("Ghi chú: 1.
        Giá xây dựng nhà tạm ..."): the table is the appendix's own content, section
        `<label>`, not its title block; only what precedes the table stays `<label>.preamble`."""
        n = self.parts.index(part)
        lead = [k for k in range(part.start, part.first_heading)
                if self.zone[k] == (n, "preamble") and self.owner[k] is None]
        first_table = next((k for k in lead if self.items[k].table), None)
        if first_table is None:
            return
        title_at = next((k for k in lead if attachments.title_of(blocks[k])), part.start)
        self._attachment_root(blocks, part, title_at, [k for k in lead if k >= first_table])

    def _attachment_body(self, blocks: list[str], part: _Part) -> None:
        """An attachment without headings (an appendix that is one table): its title block
        is `<label>.preamble`, the rest one section `<label>`."""
        end = part.closing_from if part.closing_from is not None else part.end
        title_at = next((k for k in range(part.start, end) if attachments.title_of(blocks[k])), part.start)
        body = title_at + 1
        # the title runs on over its lines in capitals and its "(Kèm theo ...)" line
        while body < end and not self.items[body].table and (
            attachments.ANNEXED.match(blocks[body]) or attachments.is_letterhead(blocks[body])
            or (body > title_at and blocks[body - 1].count("(") > blocks[body - 1].count(")"))
        ) and not _flattened_table_header(self.items, body):
            body += 1
        if body >= end:
            return
        self._attachment_root(blocks, part, title_at, range(body, end))

    def _attachment_root(self, blocks: list[str], part: _Part, title_at: int, owned) -> None:
        """The section `<label>` of an attachment, headed by its title, owning these blocks."""
        n = self.parts.index(part)
        section = Section(
            section_id=part.label, level=1, label=part.label, heading=_heading_line(blocks[title_at]),
            title=part.label, text="", start=0, end=0, kind="attachment", path=[part.label], attachment=part.label,
        )
        self.sections.append(section)
        for k in owned:
            self.owner[k] = section
            self.zone[k] = (n, "body")


def _attach_blocks(sections, owner, offsets, text) -> None:
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
    """'PHẦN THỨ NHẤT' / 'Chương I' / '1.' on a line of its own: the title is the next line."""
    for i, sec in enumerate(owner):
        if sec is None or not sec.label or not blocks[i].startswith(sec.label):
            continue
        if blocks[i].strip().rstrip(".:-– ") != sec.label or (i > 0 and owner[i - 1] is sec):
            continue
        nxt = i + 1
        if nxt < len(blocks) and owner[nxt] is sec and len(blocks[nxt]) <= 160:
            sec.title = f"{blocks[i].strip()} {_short(blocks[nxt])}"
            sec.path[-1] = sec.title
            depth = len(sec.path) - 1
            for other in sections:
                if other.section_id.startswith(sec.section_id + ".") and len(other.path) > depth:
                    other.path[depth] = sec.title


def _mark_programme(sections, parts: dict) -> None:
    flags: dict[str, bool] = {}
    for sec in sections:
        folded = fold(sec.title).lower()
        own = bool(_PROGRAMME.search(folded)) and not _RESULTS.search(folded)
        part = parts.get(sec.attachment)
        planned = part is not None and part.kind in _PLAN_KINDS
        sec.programme = own or planned or flags.get(sec.parent_id or "", False)
        flags[sec.section_id] = sec.programme


def _span_section(section_id, kind, blocks, offsets, first, last, text, attachment="") -> Section:
    start, end = offsets[first][0], offsets[last - 1][1]
    heading = blocks[first]
    return Section(
        section_id=section_id, level=0, label="", heading=_heading_line(heading), title=section_id,
        text=text[start:end], start=start, end=end, kind=kind, path=[section_id], attachment=attachment,
    )

"""Section-aware chunks: a chunk never spans two sections.

A section that fits is one chunk. A longer one is cut on sentence boundaries into
pieces of at most `max_chars`, each overlapping the previous by its last sentence so a
fact stated across a boundary is still whole in one chunk. Every chunk's text is an
exact slice of the normalised report (`start`/`end`), so quotes taken from it are
exact substrings of the section's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.sections import ParsedReport, Section
from ingest.vntext import sentence_spans


@dataclass
class Chunk:
    doc_id: str
    section_id: str
    section_path: str
    heading: str
    text: str
    start: int            # offsets in the normalised report text
    end: int
    order: int            # position in the document
    programme: bool = False

    @property
    def chunk_key(self) -> str:
        return f"{self.order:05d}"

    def embedding_text(self) -> str:
        """What the embedder sees: the heading path gives the passage its context
        ("B. CHƯƠNG TRÌNH CÔNG TÁC ... › 6. ..." tells a retriever it is a commitment)."""
        return f"{self.section_path}\n{self.text}"


def _is_bare_heading(section: Section, parents: set[str]) -> bool:
    """A parent whose text is only its heading line ("II. Đánh giá chung") carries no
    facts of its own; its words reach the index through its children's paths."""
    return section.section_id in parents and section.text.strip() == section.heading.strip()


def chunk_report(report: ParsedReport, doc_id: str, max_chars: int = 900, overlap: int = 1) -> list[Chunk]:
    chunks: list[Chunk] = []
    parents = {s.parent_id for s in report.sections if s.parent_id}
    for section in report.sections:
        if not section.text.strip() or _is_bare_heading(section, parents):
            continue
        for start, end in _split(section.text, max_chars, overlap):
            chunks.append(
                Chunk(
                    doc_id=doc_id, section_id=section.section_id, section_path=section.section_path,
                    heading=section.heading, text=section.text[start:end],
                    start=section.start + start, end=section.start + end, order=len(chunks),
                    programme=section.programme,
                )
            )
    return chunks


def _split(text: str, max_chars: int, overlap: int) -> list[tuple[int, int]]:
    if len(text) <= max_chars:
        return [(0, len(text))]
    sentences = _bounded(_sentences_and_rows(text), text, max_chars)
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - sentences[i][0] <= max_chars:
            j += 1
        pieces.append((sentences[i][0], sentences[j][1]))
        if j + 1 >= len(sentences):
            break
        # Step back `overlap` sentences, unless the overlap and the next sentence do
        # not fit together: then the next piece would only repeat this one's end.
        step_back = max(j + 1 - overlap, i + 1)
        if sentences[j + 1][1] - sentences[step_back][0] > max_chars:
            step_back = j + 1
        i = step_back
    return pieces


TABLE_ROW = re.compile(r"^[ \t]*\|[^\n]*", re.MULTILINE)   # a row of a table, one line

# A table a text extraction flattened to one cell per paragraph (a PDF's text layer, a
# crawled page): the row's number alone ("13"), then its cells ("Thông tư số 08/2019 …",
# "Được thay thế bởi Thông tư số 16/2023/ …", "15/02/2024"); a group row's label alone
# ("I", "B") or glued to its title ("VIII. LĨNH VỰC KHÁC"); the header's "STT".
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_ROW_NUMBER = re.compile(r"\d{1,3}")
_ROW_BOUNDARY = re.compile(r"(?:[IVXL]{1,6}|[A-ZĐ])\.?|(?:[IVXL]{1,6}|[A-ZĐ])\.\s+\S.*|(?:số\s*)?s?tt|\|", re.IGNORECASE | re.DOTALL)
_ROW_MAX_CELLS = 8
_ROW_MAX_CHARS = 1200


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for brk in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        piece = text[pos:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((pos + lead, pos + len(piece.rstrip())))
        pos = brk.end() if brk else end
    return spans


def flattened_rows(text: str) -> list[tuple[int, int]]:
    """The rows of flattened tables in `text`, each from its first cell to its last: a
    row is opened by its number standing alone, and a number is a row's only when the
    row before or after it is numbered next to it (a lone "5" is a page number or a
    figure); the row runs until the next row, group row or header. A row of more cells
    or characters than a table row holds is not read as one."""
    paragraphs = _paragraphs(text)
    numbers = [(i, int(text[s:e])) for i, (s, e) in enumerate(paragraphs) if _ROW_NUMBER.fullmatch(text[s:e])]
    opens = {i for k, (i, n) in enumerate(numbers)
             if (k + 1 < len(numbers) and numbers[k + 1][1] == n + 1) or (k and numbers[k - 1][1] == n - 1)}
    rows = []
    for i in sorted(opens):
        cells = []
        for j in range(i + 1, len(paragraphs)):
            s, e = paragraphs[j]
            if j in opens or (_ROW_BOUNDARY.fullmatch(text[s:e]) and text[s:e] != "|"):
                break
            cells.append((s, e))
        while cells and text[cells[-1][0]:cells[-1][1]] == "|":
            cells.pop()
        while cells and text[cells[0][0]:cells[0][1]] == "|":
            cells.pop(0)
        if cells and len(cells) <= _ROW_MAX_CELLS and cells[-1][1] - cells[0][0] <= _ROW_MAX_CHARS:
            rows.append((cells[0][0], cells[-1][1]))
    return rows


def row_cells(row: str) -> list[str]:
    """A flattened row's cells (its paragraphs), the crawl's lone "|" left out."""
    return [p for p in (piece.strip() for piece in _PARAGRAPH_BREAK.split(row)) if p and p != "|"]


def table_rows(text: str, flat: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Every table row in `text`, in order: Markdown rows (one line) and flattened rows
    (`flat` when they were read from a longer text holding this one); a Markdown "row"
    inside a flattened one (a crawl's lone "|") is part of it."""
    flat = flattened_rows(text) if flat is None else [(s, e) for s, e in flat if e > s]
    rows = list(flat)
    for row in TABLE_ROW.finditer(text):
        lead = len(row.group(0)) - len(row.group(0).lstrip())
        start, end = row.start() + lead, row.end()
        if not any(s <= start and end <= e for s, e in flat) and not any(start < e and s < end for s, e in flat):
            rows.append((start, end))
    return sorted(rows)


def _sentences_and_rows(text: str) -> list[tuple[int, int]]:
    """Sentences, and each table row whole: a row's cells answer together ("- Người lang
    thang xin ăn ... Thời gian hỗ trợ tối đa không quá 30 ngày. ... | Đồng/người/ngày |
    15.000 |"), so a cut at a full stop inside a cell would part the case from its rate,
    and a cut between a flattened row's cells would part a task from who leads it."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for start, end in table_rows(text):
        spans.extend((pos + s, pos + e) for s, e in sentence_spans(text[pos:start]))
        spans.append((start, end))
        pos = end
    spans.extend((pos + s, pos + e) for s, e in sentence_spans(text[pos:]))
    return spans


def _bounded(spans: list[tuple[int, int]], text: str, max_chars: int) -> list[tuple[int, int]]:
    """A single sentence longer than max_chars (a 50,000-character line) is cut at
    clause ends, then at spaces, so no chunk exceeds the embedder's window."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if end - start <= max_chars:
            out.append((start, end))
            continue
        for cs, ce in sentence_spans(text[start:end], clauses=True):
            cs, ce = cs + start, ce + start
            while ce - cs > max_chars:
                cut = text.rfind(" ", cs, cs + max_chars)
                cut = cut if cut > cs else cs + max_chars
                out.append((cs, cut))
                cs = cut + 1 if text[cut : cut + 1] == " " else cut
            if ce > cs:
                out.append((cs, ce))
    return out

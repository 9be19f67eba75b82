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


def _sentences_and_rows(text: str) -> list[tuple[int, int]]:
    """Sentences, and each table row whole: a row's cells answer together ("- Người lang
    thang xin ăn ... Thời gian hỗ trợ tối đa không quá 30 ngày. ... | Đồng/người/ngày |
    15.000 |"), so a cut at a full stop inside a cell would part the case from its rate."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for row in TABLE_ROW.finditer(text):
        spans.extend((pos + s, pos + e) for s, e in sentence_spans(text[pos : row.start()]))
        lead = len(row.group(0)) - len(row.group(0).lstrip())
        spans.append((row.start() + lead, row.end()))
        pos = row.end()
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

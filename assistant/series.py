"""An answer drawn from one report of a series says which, and what the others say.

A question that names no period is answered from the latest report of a series
(assistant/report_scope.py). The answer then names that report — title, number, date,
as a label in brackets like a section id — and lists the same passage in the series'
other reports, each quoted and cited: "6 tháng đầu năm 2023: “... tăng 6,1% ...”
[A.I.4.(1)]". Reports of a series share their layout, so the same section holds the
same passage with that period's figures; a sentence counts as the same passage when it
is the answer's quote with other figures, or shares nearly all its words.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from collections.abc import Callable

from assistant.coverage import coverage
from assistant.models import Answer, Citation
from assistant.question import QuestionAnalysis
from assistant.report_scope import series_key
from ingest.vntext import sentence_spans, tokens
from vectorstore.document_index import DocumentRecord, StoredSection
from vectorstore.lexical import terms_of

SectionLookup = Callable[[str, str], StoredSection | None]

_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
MAX_OTHERS = 4
SAME_WORDS = 0.8          # share of the quote's words a sentence must have to be its counterpart


def report_label(record: DocumentRecord) -> str:
    """"Báo cáo ... · số 215/BC-UBND · ngày 12/12/2023": how an official cites a report."""
    parts = [record.title]
    if record.meta.get("number"):
        parts.append(f"số {record.meta['number']}")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", record.date):
        y, m, d = record.date.split("-")
        parts.append(f"ngày {int(d)}/{int(m)}/{y}")
    return " · ".join(parts)


def period_label(record: DocumentRecord) -> str:
    period = record.meta.get("period") or {}
    return period.get("label") or record.date[:4] or record.title


def counterpart(quote: str, text: str) -> str | None:
    """The sentence of `text` that is `quote` with other figures, else the one sharing
    most of its words (at least SAME_WORDS of them)."""
    template = _FIGURE.sub("#", quote).strip()
    words = set(tokens(_FIGURE.sub(" ", quote)))
    best, best_share = None, 0.0
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if _FIGURE.sub("#", sentence).strip() == template:
            return sentence
        if words:
            share = len(words & set(tokens(_FIGURE.sub(" ", sentence)))) / len(words)
            if share > best_share:
                best, best_share = sentence, share
    return best if best_share >= SAME_WORDS else None


def with_series(answer: Answer, analysis: QuestionAnalysis, records: dict[str, DocumentRecord],
                section: SectionLookup) -> Answer:
    """The answer naming its report and quoting the series' other reports, when it was
    drawn from the latest of several."""
    if not answer.found or not answer.citations:
        return answer
    first = answer.citations[0]
    others = analysis.reports.series.get(first.doc_id, [])
    record = records.get(first.doc_id)
    if not others or record is None:
        return answer
    text = answer.answer
    head = f"Theo [{report_label(record)}]"
    text = head + text[len("Theo báo cáo"):] if text.startswith("Theo báo cáo") else f"{head}:\n{text}"
    lines, cited = [], []
    for doc_id in others[:MAX_OTHERS]:
        other = section(doc_id, first.section_id)
        sentence = counterpart(first.quote, other.text) if other else None
        if sentence and doc_id in records:
            cited.append(Citation(doc_id=doc_id, doc_title=records[doc_id].title, section_id=other.section_id,
                                  section_path=other.section_path, quote=sentence, score=first.score))
            lines.append(f"- [{period_label(records[doc_id])}]: “{sentence}” [{other.section_id}]")
    if lines:
        text += "\n\nCác kỳ báo cáo khác:\n" + "\n".join(lines)
    return answer.model_copy(update={"answer": text, "citations": answer.citations + cited})


@dataclass
class SeriesPoint:
    """One report's value of the indicator asked, cited."""
    doc_id: str
    doc_title: str
    period: str            # "6 tháng đầu năm 2023"
    start: str             # "2023-01": the order of the points
    section_id: str
    section_path: str
    quote: str             # the sentence, an exact substring of the section
    figure: str            # the figure as printed ("5,26")
    value: float | None    # as a number (Vietnamese: "." groups thousands, "," is the decimal point)

    def public(self) -> dict:
        return asdict(self)


def _number(text: str) -> float | None:
    try:
        return float(text.replace(".", "").replace(",", "."))
    except ValueError:
        return None


def figure_index(quote: str, analysis: QuestionAnalysis) -> int | None:
    """Which figure of the quote answers: of those of the kind asked (a percentage for
    "bao nhiêu %", a rank after "thứ" for "thứ mấy"), the one whose words around it
    carry most of the question's; never a year, an item's label ("(1)") or a period's
    length ("6 tháng")."""
    intent = analysis.intent
    best, best_score = None, -1.0
    for i, match in enumerate(_FIGURE.finditer(quote)):
        figure, after = match.group(0), quote[match.end():match.end() + 15]
        before = quote[max(0, match.start() - 60):match.start()]
        if re.fullmatch(r"(?:19|20)\d\d", figure) or re.match(r"\s*tháng\b", after) \
                or re.fullmatch(r"\s*\(?", quote[:match.start()]) and re.match(r"[.)]", after):
            continue
        if intent.percent and not after.lstrip().startswith("%"):
            continue
        if intent.rank and not re.search(r"thứ\s*$", before):
            continue
        score = coverage(analysis.weights, terms_of(before + figure + after))
        if score > best_score:
            best, best_score = i, score
    return best


def series_points(answer: Answer, analysis: QuestionAnalysis, records: dict[str, DocumentRecord],
                  section: SectionLookup) -> list[SeriesPoint]:
    """The answer's figure in its report and in every other report of its series, oldest
    period first; [] when the answer has no figure or its report no series."""
    if not answer.found or not answer.citations:
        return []
    first = answer.citations[0]
    index = figure_index(first.quote, analysis)
    if index is None or first.doc_id not in records:
        return []
    key = series_key(records[first.doc_id])
    siblings = [d for d, r in records.items() if key is not None and d != first.doc_id and series_key(r) == key]
    points = []
    for doc_id in [first.doc_id, *siblings]:
        own = section(doc_id, first.section_id)
        sentence = first.quote if doc_id == first.doc_id else (counterpart(first.quote, own.text) if own else None)
        figures = list(_FIGURE.finditer(sentence or ""))
        if not sentence or len(figures) <= index or doc_id not in records:
            continue
        record = records[doc_id]
        period = record.meta.get("period") or {}
        figure = figures[index].group(0)
        points.append(SeriesPoint(
            doc_id=doc_id, doc_title=record.title, period=period_label(record),
            start=period.get("start") or record.date[:7], section_id=first.section_id,
            section_path=own.section_path if own else first.section_path, quote=sentence, figure=figure,
            value=_number(figure),
        ))
    return sorted(points, key=lambda p: p.start)

"""Grounded extractive answers: the report's own sentences, each with its section.

No text is generated, so nothing can be invented: the answer is one or more sentences
(or clauses, or list items) cut verbatim from retrieved chunks, each followed by its
[section_id]. Every figure in the answer is therefore inside a quote.

Choosing and refusing:
- question words are weighted by rarity (idf) in the indexed reports; a sentence scores
  by the share of that weight it contains, its chunk by the share its text and heading
  path contain, plus the retriever's rank;
- the answer is refused (found=false) when the best chunk covers too little of the
  question (the topic is not in the reports), when the question names a place or body
  the reports never mention, when it asks for a figure and no good sentence has one,
  or when it tries to instruct the assistant.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.documents import Document

from assistant.document_clauses import ClauseFinder, asks_of_closing, closing_spans
from ingest.chunker import TABLE_ROW, flattened_rows, row_cells, table_rows
from assistant.models import Answer, Citation
from assistant.policy import LearnedPolicy
from assistant.question import QuestionAnalysis, QuestionAnalyzer
from assistant.report_scope import without_naming
from ingest.segmentation import noun_syllables
from ingest.vntext import fold, has_diacritics, is_acronym, name_pairs, numbers_in, sentence_spans, spells, tokens
from assistant.answer_type import answers_figure, contradicts, other_condition, other_value, satisfies
from assistant.completion import Completer, Unit as _Unit, cells, group_row, table_header
from assistant.coverage import FRAMING, STOP, best_coverage, coverage
from vectorstore.document_index import Snapshot
from assistant.intent import Intent, kind_named, unit_syllables
from vectorstore.lexical import LexicalIndex, terms_of
from assistant.naming import proper_names
from assistant.synonyms import Thesaurus

log = logging.getLogger(__name__)

NOT_FOUND = "Xin lỗi, các báo cáo hiện có không chứa thông tin để trả lời câu hỏi này."
NO_FIGURE = (
    "Các báo cáo có đề cập đến nội dung này nhưng không nêu số liệu cụ thể, "
    "nên tôi không thể đưa ra con số."
)
INJECTION = (
    "Tôi chỉ trả lời câu hỏi về nội dung các báo cáo đã được lập chỉ mục và không làm theo "
    "yêu cầu thay đổi cách hoạt động."
)


def uncovered_period(label: str, held: list[str], shown: int = 8) -> str:
    """The refusal of a period no report covers, with the periods there are."""
    text = f"Không có báo cáo nào về {label} trong các báo cáo hiện có."
    if held:
        more = f" và {len(held) - shown} kỳ khác" if len(held) > shown else ""
        text += " Các kỳ báo cáo hiện có: " + ", ".join(held[:shown]) + more + "."
    return text


EMPTY_INDEX = "Chưa có báo cáo nào được lập chỉ mục. Hãy nhập báo cáo trước khi đặt câu hỏi."

_BULLET_LINE = re.compile(r"^\s*[-+•*–]\s+\S")
_CAUSE = re.compile(r"nguyên nhân", re.IGNORECASE)
# "còn có nguyên nhân chủ quan như: a; b; c": a list written inside one sentence.
_INLINE_LIST = re.compile(r"(?:như|gồm|là|sau)\s*:\s*", re.IGNORECASE)
_ON_BEHALF = re.compile(r"^(?:TM|T\.M|KT|K\.T|TL|T\.L|TUQ)\.\s*\S.*$", re.MULTILINE)
_DATE_LINE = re.compile(r"^[^\n]{0,60}ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}[^\n]*$", re.MULTILINE | re.IGNORECASE)
@dataclass
class _Context:
    """One question's candidates and what both policies decide them by."""
    question: str
    analysis: QuestionAnalysis
    snapshot: Snapshot
    intent: Intent
    weights: dict[str, float]
    wordings: list[dict[str, float]]
    restored: str
    nouns: set[str]
    unseen: list[str]
    unseen_share: float
    names: frozenset[str]
    units: list[_Unit]
    completer: Completer


@dataclass
class AnswerPolicy:
    min_coverage: float = 0.35         # share of the question's weight the best chunk must hold
    min_sentence: float = 0.25         # share the chosen sentence itself must hold
    max_quotes: int = 3
    max_unseen: float = 0.2            # share of the question's weight in nouns no report uses
    max_unseen_figure: float = 0.15    # the same, for a question that asks for a figure
    second_quote_ratio: float = 0.85   # a further quote must score this close to the best
    candidates: int = 6                # retrieved chunks the answer may quote from
    long_sentence: int = 350           # longer sentences are answered clause by clause
    commitment_paragraph: int = 900    # a commitment item up to this long is quoted whole
    ranked_units: int = 40             # candidates the learned ranker scores
    min_ask_coverage: float = 0.5      # a quote added for one ask of several must hold this share of it
    ask_margin: float = 0.1            # … and this much more of it than the quotes already chosen
    min_ask_weight: float = 0.15       # an ask looked for on its own holds this share of the question's weight


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# A paragraph that is a number alone: a flattened table's row number, perhaps.
_LONE_NUMBER = re.compile(r"(?:\A|\n[ \t]*\n)[ \t]*\d{1,3}[ \t]*(?:\n|\Z)")
_DOCUMENT_NUMBER = re.compile(r"\b\d{1,5}\s*/\s*(?:19|20)\d\d\s*/\s*[\wĐđ-]+|\b\d{1,2}\s*/\s*\d{1,2}\s*/\s*(?:19|20)\d\d\b")
# Questions about the document itself, which its title and legal bases answer.
_ABOUT_DOCUMENT = re.compile(r"\b(?:can cu|dua (?:tren|vao)|trich yeu|ve viec|ten (?:goi|day du|van ban)|(?:van ban|quyet dinh|nghi quyet|"
                             r"ke hoach|bao cao|thong tu|nghi dinh|chuong trinh|to trinh|huong dan) nay"
                             # when it was signed or issued: its date line says
                             r"|(?:ban hanh|ky|thong qua)(?: vao| tu)? (?:ngay nao|khi nao|luc nao|bao gio|thoi gian nao))\b")


# An attachment's title ends by saying which document it is attached to.
# "(Kèm theo biểu số 1.1)" after a figure says where its table is: that is no title.
_ATTACHED_TITLE = re.compile(r"\((?:Kèm|Ban hành kèm|Ban hành) theo\s+(?:các\s+)?(?:Nghị quyết|Quyết định|Nghị định|"
                             r"Thông tư|Chỉ thị|Kế hoạch|Chương trình|Đề án|Công văn|Tờ trình|Thông báo|Văn bản|Kết luận)\b",
                             re.IGNORECASE)
_YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)\b")
# "tăng 7,76% so với cùng kỳ năm 2023": the year a figure is compared with, not its own.
_COMPARED = re.compile(r"\b(?:so với|so|bằng|gấp)\s+(?:\S+\s+){0,3}?(?:cùng kỳ\s+)?(?:năm\s+)?(?:19|20)\d\d\b|"
                       r"\bcùng kỳ\s+(?:năm\s+)?(?:19|20)\d\d\b", re.IGNORECASE)


def _years(text: str) -> set[str]:
    """Years a text states, a span ("thời kỳ 2021-2030") as every year in it; not those
    inside a document's number or a full date. "Đến năm 2030" is 2030: a target for
    then, not for the years before it."""
    text = _COMPARED.sub(" ", _DOCUMENT_NUMBER.sub(" ", text))
    years = set(_YEAR.findall(text))
    for start, end in _YEAR_RANGE.findall(text):
        if int(start) <= int(end) <= int(start) + 30:
            years.update(str(y) for y in range(int(start), int(end) + 1))
    return years


# A document cited with its number and its title ("theo Nghị quyết số 76/NQ-CP ngày
# 15/7/2021 của Chính phủ về ban hành Chương trình tổng thể … giai đoạn 2021 - 2030,"):
# the years of that title are the cited document's, not the sentence's.
_CITED_TITLE = re.compile(r"\b\d{1,5}\s*/\s*[\wĐđ/-]*[A-ZĐ][\wĐđ/-]*(?:\s+ngày\s+[\d/]+)?(?:\s+của\s+[^,;.\n]*?)?"
                          r"\s+(?:về|ban hành|phê duyệt|quy định|hướng dẫn)\b[^,;.\n]*")


def _stated_years(text: str) -> set[str]:
    """The years a sentence states of itself: those of the documents it cites left out."""
    return _years(_CITED_TITLE.sub(" ", text))


def _spans(text: str) -> set[tuple[int, int]]:
    """The spans of years a text names ("giai đoạn 2026 - 2031", "năm học 2024-2025"),
    not those inside a document's number or a full date."""
    return {(int(a), int(b)) for a, b in _YEAR_RANGE.findall(_DOCUMENT_NUMBER.sub(" ", text))
            if int(a) < int(b) <= int(a) + 30}


def _covers_spans(question: str, sentence: str, years: set[str]) -> bool:
    """A span the question names is a period of its own: a sentence that names spans must
    name one holding it ("giai đoạn 2031 - 2036" is not "giai đoạn 2026 – 2031"), and
    one that names none must fall in years holding all of it (its own and its document's:
    "năm học 2025-2026" is not a 2024-2025 calendar's)."""
    asked = _spans(question)
    if not asked:
        return True
    named = _spans(sentence)
    if named:
        return all(any(a <= qa and qb <= b for a, b in named) for qa, qb in asked)
    return all(all(str(y) in years for y in range(qa, qb + 1)) for qa, qb in asked)


def _names_document(text: str, named) -> bool:
    """Does the text name the document ("Nghị quyết số 57/NQ-CP", "Chỉ thị 52-CT/TW")?"""
    folded = fold(text).lower()
    kind = fold(named.kind).lower()
    return bool(re.search(rf"\b{kind}(?:\s+lien tich)?\s+(?:so\s+)?0*{named.number}\b", folded)
                or (named.code and f"{named.number}/{named.code}" in folded))


def _folded_words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", fold(text).lower())) + " "


def _clauses(text: str) -> list[str]:
    """The parts of a sentence between semicolons: "a; số hồ sơ trễ hạn là 2.430"."""
    return [c for c in text.split(";") if c]


def _plan_years(meta: dict, snapshot: Snapshot | None) -> set[str]:
    """The years a plan section speaks of when it states none: a plan attached to a
    decision, or a document that is a plan, is the plan of its document's period (the
    "Kế hoạch" attached to a decision of 28/6/2014 is the plan for 2014). A report's own
    "phương hướng" part plans the period after the report's, so it gets none."""
    record = snapshot.records.get(meta["doc_id"]) if snapshot is not None else None
    if record is None:
        return set()
    attached = meta["section_id"].split(".")[0]
    if fold(attached).lower() in _PLAN_LABELS or fold(record.meta.get("kind", "")).lower() in _PLAN_LABELS:
        return record.years()
    return set()


_PLAN_LABELS = ("ke hoach", "chuong trinh", "de an", "phuong an")


def _parent(section_id: str) -> str:
    return section_id.rsplit(".", 1)[0] if "." in section_id else ""


def _near(a: str, b: str) -> bool:
    """The same section, its parent or child, or a sibling ("Điều 1.2" and "Điều 1.4")."""
    return a == b or _parent(a) == b or _parent(b) == a or bool(_parent(a)) and _parent(a) == _parent(b)


# Sections that amend another text ("Sửa đổi, bổ sung Điều 20 như sau:", "Bãi bỏ Điều 13").
_AMENDING = re.compile(r"\b(?:sua doi|bo sung|bai bo|thay the)\b")


@functools.lru_cache(maxsize=8192)
def _cached_terms(text: str) -> frozenset[str]:
    """terms_of, kept: the same chunks and sentences come back question after question.
    Bounded for an archive's worth of passages: a chunk's set alone is tens of KB."""
    return frozenset(terms_of(text))


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(
        self,
        stats: Callable[[], Snapshot],
        sections: Callable[[str, str], str | None],
        policy: AnswerPolicy | None = None,
        thesaurus: Thesaurus | None = None,
        outline: Callable[[str], list[tuple[str, str]]] | None = None,
        analyzer: QuestionAnalyzer | None = None,
        learned: LearnedPolicy | None = None,
    ) -> None:
        self._outline = outline      # doc_id -> [(section_id, heading)] in document order
        self._clauses = ClauseFinder(outline, sections) if outline is not None else None
        self._thesaurus = thesaurus  # everyday words -> the reports' words, as the retriever reads them
        self._stats = stats          # the live index (idf, diacritic model); rebuilt when reports change
        self._sections = sections    # (doc_id, section_id) -> the section's full text
        self.policy = policy or AnswerPolicy()
        # reads a question when the caller did not (the chain reads it once for both steps)
        self.analyzer = analyzer or QuestionAnalyzer(thesaurus)
        self.learned = learned       # the learned policy (assistant/policy.py); None: the rules

    # ----- weights --------------------------------------------------------------------
    @staticmethod
    def _key_terms(weights: dict[str, float], nouns: set[str], snapshot: Snapshot, identity: frozenset[str],
                   adjacent: frozenset[str], k: int = 3) -> set[str]:
        """The question's k weightiest nouns (or noun pairs) that the reports use, not
        counting the words that only name a report ("Bình Phước") nor those much
        commoner than the weightiest ("nông" beside "thủy sản"). A pair is a noun only
        where its words stand side by side in the question: "hộ người có công" does not
        name a "hộ công"."""
        known = sorted((t for t in weights if snapshot.lexical.df.get(t, 0) and all(p in nouns for p in t.split("_"))
                        and not all(p in identity for p in t.split("_")) and ("_" not in t or t in adjacent)),
                       key=lambda t: -weights[t])
        return {t for t in known[:k] if weights[t] >= 0.6 * weights[known[0]]}

    @staticmethod
    def _counted_pairs(question: str) -> set[str]:
        """The word pairs of what "bao nhiêu" counts ("quyết định hành chính"): a quote
        that names exactly that thing answers, whatever the question's other nouns."""
        match = re.search(r"\b(?:bao nhiêu|mấy)\s+((?:\w+\s*){2,4})", question, re.IGNORECASE)
        if not match:
            return set()
        words = []
        for word in match.group(1).split():
            if word.lower() in STOP:
                break
            words.append(fold(word).lower())
        return {f"{a}_{b}" for a, b in zip(words, words[1:])}

    _coverage = staticmethod(coverage)
    _terms = staticmethod(_cached_terms)

    @staticmethod
    def _unknown_names(question: str, stats: LexicalIndex) -> list[str]:
        """Place or body names in the question that no indexed report mentions:
        "GRDP của Đồng Nai" must not be answered with ours."""
        unknown = []
        for run in proper_names(question):
            folded = [fold(w).lower() for w in run]
            if any(stats.df.get(f"{a}_{b}", 0) == 0 for a, b in zip(folded, folded[1:])):
                unknown.append(" ".join(run))
        return unknown

    # ----- answering --------------------------------------------------------------------
    def answer(self, question: str, docs: list[Document], focus: str = "",
               analysis: QuestionAnalysis | None = None) -> Answer:
        analysis = analysis or self.analyzer.analyze(question, self._stats(), focus)
        ctx = self._context(question, docs, focus, analysis)
        if isinstance(ctx, Answer):
            result = ctx
        else:
            result = self._learned_answer(ctx) if self.learned is not None else self._rules_answer(ctx)
        period = analysis.reports
        if not result.found and period.uncovered and not analysis.intent.injection:
            result.answer = uncovered_period(period.period.label, period.held)
        return result

    def _context(self, question: str, docs: list[Document], focus: str,
                 analysis: QuestionAnalysis | None) -> "_Context | Answer":
        """Everything both policies decide from, or the answer when no decision is left:
        instructions refused, who signed / when issued, names no report has, candidate
        sentences that pass the facts of the language."""
        analysis = analysis or self.analyzer.analyze(question, self._stats(), focus)
        intent = analysis.intent
        if intent.injection:
            return self._refuse(question, INJECTION, "instructions in the question")
        if not docs:
            return self._refuse(question, NOT_FOUND, "nothing retrieved")
        if intent.signer or intent.issued or intent.recipients:
            # Who signed / when issued / sent to whom: the signature block, the date line
            # and the recipients list answer, whatever wording they share with the question.
            meta = self._signature_or_date(question, self._named_kind(question, docs), intent)
            if meta:
                return meta
        if intent.clause and self._outline is not None:
            # "Quyết định 1056 có hiệu lực từ khi nào", "ai chịu trách nhiệm thi hành":
            # the named document's own closing article answers (assistant/document_clauses.py).
            return self._closing_article(question, docs, analysis)
        snapshot = self._stats()
        stats = snapshot.lexical
        # "tinh se lam gi de thu hut dau tu": restored first, so that stop words are
        # told apart from topic words ("đâu" vs "đầu tư") and nouns can be tagged.
        restored = analysis.text
        weights, wordings = analysis.weights, analysis.wordings
        # Names are checked as reworded: "Sài Gòn" is the reports' "Thành phố Hồ Chí Minh".
        if not weights or self._unknown_names(restored, stats):
            return self._refuse(question, NOT_FOUND, "names or words no report has")
        nouns = noun_syllables(restored)
        if has_diacritics(question):
            # As typed: folded, "dê" (goat) would pass for "để" and "đề". Everyday words
            # the thesaurus put in the reports' terms are judged as reworded.
            unseen = sorted({fold(t) for t in tokens(FRAMING.sub(" ", restored))
                             if t.isalpha() and t not in STOP and not stats.df_exact.get(t) and fold(t) in nouns})
        else:
            unseen = [t for t in weights if "_" not in t and t.isalpha() and not stats.df.get(t) and t in nouns]
        # the unit a measure is asked in ("mét vuông") is the reports' "m2", not an unknown topic
        asked_in = unit_syllables(restored) if intent.number else frozenset()
        unseen = [t for t in unseen if t in weights and t not in asked_in]
        unseen_share = sum(weights[t] for t in unseen) / sum(weights.values())
        # Sentences from a report of another level (a district's figures for a question
        # about the province), from a report other than the one the question names, from
        # a passage about somewhere else than a place it names ("huyện Vân Khê"), or from
        # a plan for a question about results are not candidates at all.
        candidates = docs[: self.policy.candidates]
        completer = Completer(self._sections)
        elsewhere = {id(d) for d in candidates if not self._mentions(d, analysis.places, snapshot)}
        units = [u for u in self._score_units(candidates, wordings, intent, completer)
                 if id(u.doc) not in elsewhere and self._admissible(u, intent, analysis.named, snapshot)
                 and self._of_document(u, analysis, snapshot)]
        if analysis.focus:
            # A follow-up ("còn công nghiệp thì sao?") is answered about its own topic.
            units = [u for u in units if self._coverage(analysis.focus_weights, u.terms) >= 0.5]
        names = frozenset(w.lower() for w in re.findall(r"\w+", question) if w[:1].isupper())
        return _Context(question, analysis, snapshot, intent, weights, wordings, restored, nouns, unseen,
                        unseen_share, names, units, completer)

    def _rules_answer(self, ctx: "_Context") -> Answer:
        """The hand-tuned policy: thresholds on coverage, then the sentences that give the
        kind of answer asked, about what the question singles out."""
        question, intent, units, weights = ctx.question, ctx.intent, ctx.units, ctx.weights
        limit = self.policy.max_unseen_figure if (intent.number or intent.percent) else self.policy.max_unseen
        if ctx.unseen and ctx.unseen_share >= limit:
            # A thing no report ever names ("giá xăng", "mưa", "đàn dê") cannot be
            # answered from them, least of all with a figure. A small share is a
            # colloquial modifier the thesaurus did not know ("máy móc"), not the topic.
            # Unseen verbs ("chiếm") are only phrasing and do not count.
            return self._refuse(question, NOT_FOUND, "topic words no report uses")
        if not units:
            return self._refuse(question, NOT_FOUND, "no admissible passage")
        best = units[0]
        if self._chunk_coverage(ctx, best) < self.policy.min_coverage or best.coverage < self.policy.min_sentence:
            return self._refuse(question, NOT_FOUND, "too little of the question covered")
        # The kind of answer the question needs must be in the sentence we quote: a figure
        # counting the asked unit, a document number, a person. Look a little below the
        # best sentence for one that has it; otherwise the reports do not say. A stand-in
        # must still be about the question, not just carry a figure: "4G đạt 99,2%" does
        # not answer "giải ngân bao nhiêu %".
        # A sentence is read under its headings: "2.1. Xây dựng ... trước ngày 25 tháng
        # 01" under "2. Thủ trưởng các đơn vị trực thuộc Bộ ..." is about those heads.
        floor = max(self.policy.min_sentence, 0.7 * self._in_context(ctx, best))
        fits = [u for u in units if u.score >= 0.75 * best.score and self._in_context(ctx, u) >= floor
                and self._fits(u, intent, ctx.names, question, ctx)]
        if intent.future:
            # "Tỉnh sẽ làm gì ...": what the plan part commits to, when it speaks to it.
            planned = [u for u in units if u.doc.metadata.get("programme") and u.score >= 0.6 * best.score
                       and self._in_context(ctx, u) >= floor and self._fits(u, intent, ctx.names, question, ctx)]
            fits = planned or fits
        if intent.number or intent.percent or intent.rank:
            # A figure answers only if it is about what the question singles out: one of
            # its rarest nouns the reports use must be in the quote ("giá trị sản xuất
            # ngành nông, lâm nghiệp và thủy sản" is not the total "giá trị sản xuất").
            fits = [u for u in fits if self._about_key_terms(ctx, u) and not self._other_year(u, intent, question)]
        if intent.number or intent.percent or intent.rank or intent.date:
            fits = [u for u in fits if self._figure_names(u, ctx.analysis.places, ctx.snapshot, intent, ctx.names, question)]
        # "Vì sao ... còn hạn chế?": the causes answer, not the list of shortcomings
        # that shares the question's words.
        causes = self._causes(units, best) if intent.why else []
        fits = causes or fits
        if not fits:
            needs_figure = intent.number or intent.percent or intent.rank
            log.debug("weights %s; best units: %s", {t: round(w, 2) for t, w in weights.items()},
                      [(round(u.score, 2), round(u.coverage, 2), u.doc.metadata["section_id"], u.text[:80]) for u in units[:4]])
            return self._refuse(question, NO_FIGURE if needs_figure else NOT_FOUND, "no sentence gives the kind of answer asked")
        if causes:
            # Only causes: the shortcomings around them answer another question.
            chosen = self._choose(causes, intent)
            return self._compose(question, self._with_table_headers(self._list_items(chosen[:1]) or chosen))
        return self._compose_from(ctx, fits[0], units)

    def _compose_from(self, ctx: "_Context", best: "_Unit", units: list["_Unit"]) -> Answer:
        """The answer quoting `best` first, with what completes it (more quotes, a
        list's items, a commitment's whole item, a table row's header)."""
        intent = ctx.intent
        chosen = self._choose([best] + [u for u in units if u is not best], intent)
        if intent.listing or intent.why:
            chosen = self._list_items(chosen) or chosen
        elif intent.future and chosen[0].doc.metadata.get("programme"):
            chosen = self._commitment(chosen)
        chosen = self._with_table_headers(self._completed(ctx, chosen))
        return self._compose(ctx.question, self._with_table_headers(self._each_ask(ctx, chosen, units)))

    def _each_ask(self, ctx: "_Context", chosen: list[_Unit], units: list[_Unit]) -> list[_Unit]:
        """A question that asks two things ("tựu trường ngày nào, còn riêng lớp 1 thì ngày
        nào?", "cơ quan nào tham mưu và hoàn thành khi nào?") is answered when each is: for
        an ask that no quote is about, the sentence of the same document most about it
        that gives its kind of answer is quoted too."""
        asks = ctx.analysis.asks
        if len(asks) < 2:
            return chosen
        first = next((u for u in chosen if not u.header), chosen[0]).doc.metadata
        whole = sum(ctx.weights.values()) or 1.0
        out, quoted = list(chosen), {u.text for u in chosen}
        for ask in asks:
            if sum(ask.weights.values()) < self.policy.min_ask_weight * whole:
                continue      # "…, về vấn đề gì?": nothing of its own to look for
            def about(u: _Unit) -> float:
                return self._coverage(ask.weights, u.terms)

            def answers(u: _Unit) -> bool:
                return satisfies(u.text, ask.intent, ctx.names, ask.text)
            # what the answer so far says of it, read whole (a row under its header's
            # "Cơ quan chủ trì" tells who leads), when one of its quotes gives its kind of answer
            said = set().union(*(u.terms or self._terms(u.text) for u in out))
            held = self._coverage(ask.weights, said) if any(answers(u) for u in out) else 0.0
            # the other ask is answered nearby: the same part of the document, or one beside it
            pool = [u for u in units if u.doc.metadata["doc_id"] == first["doc_id"] and u.text not in quoted
                    and _near(u.doc.metadata["section_id"], first["section_id"])
                    and about(u) >= self.policy.min_ask_coverage and answers(u)]
            if pool:
                best = max(pool, key=lambda u: (about(u), u.score))
                if about(best) > held + self.policy.ask_margin:
                    out.append(best)
                    quoted.add(best.text)
        return out

    def _completed(self, ctx: "_Context", chosen: list[_Unit]) -> list[_Unit]:
        """The first quote with what makes it answer: its item's field or the heading
        that names the body ("- Cơ quan thực hiện: Sở Nội vụ"), or the items its line
        opens ("..., cụ thể:"), those that give the kind of answer asked when one is."""
        intent, first = ctx.intent, chosen[0]
        extra = ctx.completer.support(first, intent, ctx.names, ctx.question)
        if not extra:
            extra = ctx.completer.items_after(first)
            if extra and not intent.listing and not satisfies(first.text, intent, ctx.names, ctx.question):
                extra = [u for u in extra if satisfies(u.text, intent, ctx.names, ctx.question)]
        seen = {u.text for u in chosen}
        extra = [u for u in extra if u.text not in seen and not seen.add(u.text)]
        return [first] + extra + chosen[1:]

    def _chunk_coverage(self, ctx: "_Context", unit: "_Unit") -> float:
        return best_coverage(ctx.wordings, self._terms(unit.doc.metadata["section_path"] + "\n" + unit.doc.page_content))

    @staticmethod
    def _headings(unit: "_Unit") -> str:
        """What a unit is read under: its section's path and heading line. An appendix
        table's rows sit under its title ("Biểu số 4 MỨC TRỢ CẤP CỨU TRỢ ĐỘT XUẤT ..."),
        which its path ("Biểu số 4") does not spell out."""
        meta = unit.doc.metadata
        return f"{meta['section_path']}\n{meta.get('heading', '')}"

    def _in_context(self, ctx: "_Context", unit: "_Unit") -> float:
        """The unit's coverage of the question with its section's headings, which the
        sentence does not repeat."""
        heads = self._headings(unit)
        return max(unit.coverage, best_coverage(ctx.wordings, unit.terms | self._terms(heads)) if heads.strip() else 0.0)

    def _about_key_terms(self, ctx: "_Context", unit: "_Unit") -> bool:
        # The word a measure question counts by is the answer's unit, not its topic:
        # "bao nhiêu tiền" is answered in "triệu đồng", "bao nhiêu mét vuông" in "m2".
        asked_in = unit_syllables(ctx.restored) if ctx.intent.units else frozenset()
        weights = {t: w for t, w in ctx.weights.items() if t not in asked_in} if asked_in else ctx.weights
        # the question's own terms hold its side-by-side pairs, as the index counts them
        key = self._key_terms(weights, ctx.nouns, ctx.snapshot, ctx.analysis.identity, self._terms(ctx.restored))
        counted = self._counted_pairs(ctx.restored) if ctx.intent.units else set()
        context = self._headings(unit) + " " + unit.text
        # "BHYT" is written out as "bảo hiểm y tế": an acronym is spelled by its syllables.
        return (not key or bool(key & self._terms(context)) or any(spells(t, context) for t in key if is_acronym(t))
                or bool(counted and counted <= unit.terms))

    # ----- the learned policy (assistant/policy.py) -----------------------------------
    def unit_features(self, ctx: "_Context", unit: "_Unit", rank: int, best: "_Unit") -> dict[str, float]:
        """What the ranker sees of one candidate sentence."""
        intent, meta = ctx.intent, unit.doc.metadata
        figure = intent.number or intent.percent or intent.rank
        fits = self._fits(unit, intent, ctx.names, ctx.question, ctx)
        programme = bool(meta.get("programme"))
        text = unit.text
        return {
            "score": unit.score, "coverage": unit.coverage, "chunk_coverage": self._chunk_coverage(ctx, unit),
            "rank_prior": 1.0 / (1 + rank), "fused": float(meta.get("score") or 0.0),
            "dense": float(meta.get("dense") or 0.0), "lexical": 1.0 if meta.get("lexical") is not None else 0.0,
            "relative_score": unit.score / best.score if best.score else 0.0,
            "coverage_gap": unit.coverage - best.coverage, "fits": float(fits),
            "has_figure": float(bool(numbers_in(text))), "figure_asked": float(bool(figure)),
            "figure_fits": float(bool(figure) and fits),
            "key_terms": float(self._about_key_terms(ctx, unit)) if figure else 0.0,
            "counted": float(bool(intent.units) and bool(self._counted_pairs(ctx.restored)) and
                             self._counted_pairs(ctx.restored) <= unit.terms),
            "other_year": float(self._other_year(unit, intent, ctx.question)),
            "figure_names": float(self._figure_names(unit, ctx.analysis.places, ctx.snapshot, intent, ctx.names,
                                                     ctx.question)),
            "year_stated": float(bool(intent.years) and any(y in text for y in intent.years)),
            "programme": float(programme), "programme_future": float(programme and intent.future),
            "programme_past": float(programme and intent.past),
            "attachment": float("." in meta["section_id"] and meta["section_id"].split(".")[0][:1].isupper()
                                and not meta["section_id"].split(".")[0].isupper()),
            "table_row": float(text.startswith("|")), "bullet": float(bool(_BULLET_LINE.match(text))),
            "heading_line": float(text.strip() == meta.get("heading", "").strip()),
            "length": math.log1p(len(text)), "scope": float(meta["doc_id"] in ctx.analysis.scope),
            "focus": float(bool(ctx.analysis.focus)),
            "share": float(meta.get("share") or 0.0),
        }

    def gate_features(self, ctx: "_Context", ranked: list[tuple[float, "_Unit"]]) -> dict[str, float]:
        """What the gate sees of the question and its best candidate."""
        intent = ctx.intent
        best_p, best = ranked[0] if ranked else (0.0, None)
        second = ranked[1][0] if len(ranked) > 1 else 0.0
        figure = intent.number or intent.percent or intent.rank
        rules = self._rules_answer(ctx)
        cited = rules.citations[0] if rules.citations else None
        agree = bool(best and cited and cited.doc_id == best.doc.metadata["doc_id"]
                     and cited.section_id == best.doc.metadata["section_id"])
        return {
            "best": best_p, "second": second, "margin": best_p - second,
            "best_coverage": best.coverage if best else 0.0,
            "best_chunk_coverage": self._chunk_coverage(ctx, best) if best else 0.0,
            "best_dense": float(best.doc.metadata.get("dense") or 0.0) if best else 0.0,
            "best_rank": 1.0 / (1 + next((i for i, u in enumerate(ctx.units) if u is best), 0)) if best else 0.0,
            "unseen": ctx.unseen_share, "units": math.log1p(len(ranked)), "figure_asked": float(bool(figure)),
            "date_asked": float(intent.date), "who_asked": float(intent.who), "listing": float(intent.listing),
            "future": float(intent.future), "why": float(intent.why), "typed_accents": float(ctx.analysis.typed_accents),
            "scope": float(bool(ctx.analysis.scope)), "unknown_documents": float(bool(ctx.analysis.unknown_documents)),
            "years_asked": float(bool(intent.years)),
            "best_fits": float(self._fits(best, intent, ctx.names, ctx.question, ctx)) if best else 0.0,
            "best_key_terms": float(self._about_key_terms(ctx, best)) if best and figure else 0.0,
            "best_other_year": float(self._other_year(best, intent, ctx.question)) if best else 0.0,
            "rule_answers": float(rules.found), "rule_agrees": float(agree),
            "rule_unseen": float(rules.reason == "topic words no report uses"),
            "rule_low_coverage": float(rules.reason == "too little of the question covered"),
            "rule_no_fit": float(rules.reason == "no sentence gives the kind of answer asked"),
            "best_share": float(best.doc.metadata.get("share") or 0.0) if best else 0.0,
            "top_share": max((float(u.doc.metadata.get("share") or 0.0) for u in ctx.units), default=0.0),
        }

    def rank_units(self, ctx: "_Context") -> list[tuple[float, "_Unit"]]:
        if not ctx.units:
            return []
        best = ctx.units[0]
        scored = [(self.learned.ranker.probability(self.unit_features(ctx, u, i, best)), u)
                  for i, u in enumerate(ctx.units[: self.policy.ranked_units])]
        return sorted(scored, key=lambda pu: -pu[0])

    def _learned_answer(self, ctx: "_Context") -> Answer:
        ranked = self.rank_units(ctx)
        if not ranked:
            return self._refuse(ctx.question, NOT_FOUND, "no admissible passage")
        confidence = self.learned.gate.probability(self.gate_features(ctx, ranked))
        if confidence < self.learned.threshold:
            figure = ctx.intent.number or ctx.intent.percent or ctx.intent.rank
            covered = ranked[0][1].coverage >= self.policy.min_sentence
            return self._refuse(ctx.question, NO_FIGURE if figure and covered else NOT_FOUND,
                                f"the gate's confidence {confidence:.2f} is below {self.learned.threshold:.2f}")
        if ctx.intent.why:
            causes = self._causes(ctx.units, ranked[0][1])
            if causes:
                chosen = self._choose(causes, ctx.intent)
                return self._compose(ctx.question, self._with_table_headers(self._list_items(chosen[:1]) or chosen))
        return self._compose_from(ctx, ranked[0][1], [u for _, u in ranked])

    def _refuse(self, question: str, message: str, reason: str = "") -> Answer:
        log.debug("refused %r: %s", question, reason)
        return Answer(question=question, answer=message, found=False, mode=self.mode, reason=reason)

    @staticmethod
    def _admissible(unit: _Unit, intent: Intent, named: set[str] = frozenset(),
                    snapshot: Snapshot | None = None) -> bool:
        meta = unit.doc.metadata
        level = meta.get("doc_level")
        if intent.level and level and level != intent.level and not named:
            return False      # the question is about a province, this report a district
        if named and meta["doc_id"] not in named:
            return False      # "UBND tỉnh Bình Phước ...": not another report's sentence
        if intent.superseded and _AMENDING.search(fold(meta["section_path"] + " " + meta.get("heading", "")).lower()):
            return False      # an amendment's text is the new one, not what it replaced
        if meta.get("programme"):
            if intent.past:
                return False  # "đã chi bao nhiêu" is not answered by next year's target
            if intent.years and not any(y in meta["section_path"] + meta.get("heading", "") + unit.doc.page_content
                                        for y in intent.years) and not set(intent.years) & _plan_years(meta, snapshot):
                return False  # "năm 2023" is not answered by the plan for 2024
        return True

    @staticmethod
    def _of_document(unit: _Unit, analysis: QuestionAnalysis, snapshot: Snapshot) -> bool:
        """Facts of the language about documents and years, checked on every quote:
        - a document the question names but no indexed one is ("Nghị quyết 57" beside
          an indexed 109) must be named by the passage itself ("… thực hiện Chỉ thị số
          52-CT/TW"); otherwise another document's figures would answer for it;
        - a year the question names must be the sentence's year: the one it states, else
          its section's, else the period its document covers ("04 tháng đầu năm tăng
          3,99%" in a 2026 resolution is not "4 tháng đầu năm 2025");
        - the title and legal bases before the first heading (`preamble`) answer only
          questions about the document itself, as does an attachment's title ("…
          (Kèm theo Quyết định số 844/QĐ-TTg ngày 13 tháng 5 năm 2026 …)"), and so do
          the closing articles' sentences on when it takes effect and who carries it out
          (assistant/document_clauses.py answers the questions that ask for those)."""
        meta = unit.doc.metadata
        record = snapshot.records.get(meta["doc_id"])
        context = f"{meta.get('doc_title', '')} {meta['section_path']} {unit.doc.page_content}"
        if analysis.unknown_documents and not all(_names_document(context, d) for d in analysis.unknown_documents):
            return False
        if analysis.intent.years and record is not None:
            # A figure is for the year its sentence (else its section, else its document)
            # states; what a list, a fact or a task belongs to is its document's period.
            own = record.years()
            stated = _stated_years(unit.text) or _years(f"{meta['section_path']} {meta.get('heading', '')}") or own
            figure = analysis.intent.number or analysis.intent.percent or analysis.intent.rank or analysis.intent.date
            allowed = stated if figure else stated | own
            if allowed and not allowed & set(analysis.intent.years):
                return False
            # the span that said which document ("Theo kế hoạch giai đoạn 2025-2027 …") was checked with it
            if not _covers_spans(without_naming(analysis.asked, analysis.reports.naming), unit.text, stated | own):
                return False
        if analysis.bodies:
            # A body the question names must be the passage's (or its document's issuer):
            # "Thanh tra tỉnh ... đúng hạn" is not answered by the province's rate.
            said = _folded_words(f"{context} {record.meta.get('issuer', '') if record else ''}")
            if any(f" {b} " not in said for b in analysis.bodies):
                return False
        if contradicts(analysis.asked, f"{meta['section_path']} {unit.text}"):
            return False      # "nông thôn" asked, "đô thị" quoted
        if other_condition(analysis.asked, f"{meta['section_path']} {unit.text}"):
            return False      # "từ 70 điểm trở lên" asked, "từ 50 đến dưới 70 điểm" quoted
        if other_value(analysis.asked, unit.text):
            return False      # "100 triệu USD" asked, "20 triệu USD" quoted
        about = bool(_ABOUT_DOCUMENT.search(fold(analysis.asked).lower()))
        # Naming the document ("Nghị định 87/2013 quy định mức trợ cấp ... bao nhiêu") says
        # where to look, not that the title answers: its title repeats the subject of
        # every sentence below it.
        if meta["section_id"].endswith("preamble") and not about:
            return False
        if _ATTACHED_TITLE.search(unit.text) and not about:
            return False
        # "Quyết định này có hiệu lực … và thay thế Quyết định số 1741/QĐ-UBND ngày …" does
        # answer about the replaced decision a question names (it passed the check above)
        if any(s <= unit.start and unit.end <= e for s, e in closing_spans(unit.doc.page_content)) \
                and not (about or analysis.unknown_documents or asks_of_closing(analysis.asked)):
            return False      # "Quyết định này có hiệu lực …", "… chịu trách nhiệm thi hành Quyết định này"
        return True

    @staticmethod
    def _mentions(doc: Document, places: list[frozenset[str]], snapshot: Snapshot) -> bool:
        """Every place the question names is the report's own (title, place, issuer) or
        is named in the passage itself."""
        if not places:
            return True
        own = snapshot.names.get(doc.metadata["doc_id"], frozenset())
        here = name_pairs(doc.metadata["section_path"] + "\n" + doc.page_content)
        return all(p <= own or p <= here for p in places)

    @staticmethod
    def _figure_names(unit: _Unit, places: list[frozenset[str]], snapshot: Snapshot, intent: Intent,
                      names: frozenset[str], question: str) -> bool:
        """A figure answers about a name the question gives ("Cụm công nghiệp Bắc Đông
        Lâm") only if it stands in the clause that names it: in "Cụm Tân Hòa ... 620 tỷ
        đồng; Cụm Bắc Đông Lâm ... hoàn thành giải phóng mặt bằng" it does not."""
        own = snapshot.names.get(unit.doc.metadata["doc_id"], frozenset())
        specific = [p for p in places if not p <= own and not p <= name_pairs(unit.doc.metadata["section_path"])]
        # A list item's closing ";" ("a) 92% số tiền ... quản lý, sử dụng;") ends the
        # item, it separates no clauses.
        if not specific or ";" not in unit.text.rstrip(" ;.\n"):
            return True
        clauses = [c for c in _clauses(unit.text) if satisfies(c, intent, names, question)]
        return any(all(p <= name_pairs(c) for p in specific) for c in clauses)

    @staticmethod
    def _other_year(unit: _Unit, intent: Intent, question: str) -> bool:
        """The question's year appears only inside a date ("công bố tháng 7/2024") while
        the sentence states its figures for another ("DTI năm 2023"): it is not that
        year's figure."""
        if not intent.years:
            return False
        context = unit.text     # the sentence's own words say which year its figures are
        stated = set(re.findall(r"\bnăm\s+((?:19|20)\d\d)\b", context, re.IGNORECASE))
        alone = any(re.search(rf"(?<![/\-\d]){y}\b", context) for y in intent.years)
        in_date = any(re.search(rf"/{y}\b", context) for y in intent.years)
        # "kết quả công bố năm 2024": the date plays the role the question gives its year
        # ("công bố tháng 7/2024"), and the sentence's own year is what was published.
        for y in intent.years:
            before = re.search(rf"(\w+)\s+(?:năm\s+)?{y}\b", question, re.IGNORECASE)
            word = before.group(1).lower() if before else ""
            if word and word != "năm" and re.search(rf"\b{word}\s+(?:\S+\s+){{0,2}}\S*/{y}\b", context.lower()):
                return False
        return in_date and bool(stated) and not stated & set(intent.years) and not alone

    @staticmethod
    def _fits(unit: _Unit, intent: Intent, question_names: frozenset[str] = frozenset(), question: str = "",
              ctx: "_Context | None" = None) -> bool:
        """Does the unit give the kind of answer asked, itself or with what completes it
        (its item's "Cơ quan thực hiện:" line, the heading naming the body)?"""
        if satisfies(unit.text, intent, question_names, question):
            return True
        return ctx is not None and bool(ctx.completer.support(unit, intent, question_names, question))

    def _section_doc(self, like: Document, section_id: str, path: str | None = None,
                     heading: str | None = None) -> Document | None:
        """A whole section of `like`'s report, shown under `path` (its id by default)."""
        text = self._sections(like.metadata["doc_id"], section_id)
        if not text:
            return None
        meta = {**like.metadata, "section_id": section_id, "section_path": path or section_id}
        if heading is not None:
            meta["heading"] = heading
        return Document(page_content=text, metadata=meta)

    @staticmethod
    def _named_kind(question: str, docs: list[Document]) -> Document:
        """'Ai ký báo cáo này' with a plan and two reports indexed: the best-ranked
        document whose kind (its title's first two words) the question names."""
        return next((d for d in docs if kind_named(question, d.metadata.get("doc_title", ""))), docs[0])

    def _signature_or_date(self, question: str, top: Document, intent: Intent) -> Answer | None:
        closing = intent.signer or intent.recipients
        section_id, pattern = ("closing", _ON_BEHALF) if closing else ("preamble", _DATE_LINE)
        doc = self._section_doc(top, section_id)
        if doc is None:
            return None
        if intent.recipients:
            return self._recipients(question, doc)
        match = pattern.search(doc.page_content)
        if not match:
            return None
        end = len(doc.page_content) if intent.signer else match.end()
        unit = _Unit(doc, match.start(), end, score=1.0)
        return self._compose(question, [unit])

    def _closing_article(self, question: str, docs: list[Document], analysis: QuestionAnalysis) -> Answer:
        """The sentence of the document the question is about that states when it takes
        effect, what it replaces, or who executes it. The document is the one it names
        by number, else the best-ranked one of the kind it names; it must be of the
        places, year and report the question names, and no unindexed document may be
        named (that one's article is not ours to quote). Where that document has no
        such sentence, or another document is asked about, no other passage answers:
        the reports do not say."""
        found = self._closing_sentences(question, docs, analysis)
        return found or self._refuse(question, NOT_FOUND, f"no '{analysis.intent.clause}' article in the document asked about")

    def _closing_sentences(self, question: str, docs: list[Document], analysis: QuestionAnalysis) -> Answer | None:
        snapshot = self._stats()
        ranked = list(dict.fromkeys(d.metadata["doc_id"] for d in docs))
        named = [d for d in ranked if d in analysis.scope] or list(analysis.scope)
        of_kind = [d.metadata["doc_id"] for d in docs if kind_named(question, d.metadata.get("doc_title", ""))]
        doc_id = (named or of_kind or ranked or [None])[0]
        record = snapshot.records.get(doc_id) if doc_id else None
        if record is None or (analysis.named and doc_id not in analysis.named):
            return None
        if analysis.unknown_documents:
            # "Nghị định 55/2023 sửa đổi Nghị định 75/2021 có hiệu lực từ ngày nào": an
            # unindexed document the named one speaks of (its title names it) says which
            # it is; otherwise the question is about the unindexed one, which is not ours.
            about = f"{record.title}\n{self._sections(doc_id, 'preamble') or ''}"
            if not named or not all(_names_document(about, d) for d in analysis.unknown_documents):
                return None
        own = snapshot.names.get(doc_id, frozenset())
        if not all(p <= own for p in analysis.places):
            return None
        if analysis.intent.years and not named:
            # Named by its number, the document is known (a year in the number was
            # checked with it); named by its topic, a year the question gives must be its own.
            dated = record.years() | _years(record.title) | ({record.date[:4]} if record.date[:4].isdigit() else set())
            if not dated & set(analysis.intent.years):
                return None
        spans = self._clauses.find(analysis.intent.clause, doc_id, record.meta.get("kind", ""))
        units = []
        for span in spans:
            text = self._sections(doc_id, span.section_id) or ""
            doc = Document(page_content=text, metadata={
                "doc_id": doc_id, "doc_title": record.title, "section_id": span.section_id,
                "section_path": span.section_id, "heading": span.heading})
            units.append(_Unit(doc, span.start, span.end, score=1.0))
        return self._compose(question, units) if units else None

    def _recipients(self, question: str, closing: Document) -> Answer | None:
        """The "Nơi nhận:" list, one quote per recipient, up to the signature."""
        text = closing.page_content
        start = re.search(r"Nơi (?:nhận|gửi)\s*:", text, re.IGNORECASE)
        if start is None:
            return None
        end = _ON_BEHALF.search(text, start.end())
        items, pos = [], start.end()
        for line in text[start.end() : end.start() if end else len(text)].split("\n"):
            body = line.strip().lstrip("-+•*– ").rstrip(";,. ")
            offset = text.find(body, pos) if body else -1
            if offset >= 0 and not re.match(r"(?:Lưu|LƯU)\b", body):
                items.append(_Unit(closing, offset, offset + len(body), score=1.0))
                pos = offset + len(body)
        return self._compose(question, items) if items else None

    @staticmethod
    def _section_rows(doc: Document, completer: Completer) -> list[tuple[int, int]] | None:
        """The flattened table rows of the chunk's section, in the chunk's offsets: a row
        is told by its neighbours' numbers, which may lie in the chunk before. None when
        the chunk holds no number standing alone."""
        text = doc.page_content
        if not _LONE_NUMBER.search(text):
            return None
        section = completer.section(doc)
        at = section.page_content.find(text) if section is not None else -1
        if at < 0:
            return None
        end = at + len(text)
        return [(max(s, at) - at, min(e, end) - at) for s, e in flattened_rows(section.page_content)
                if s < end and at < e]

    def _spans(self, text: str, flat: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """The units a chunk is quoted by: its sentences (long ones clause by clause) and
        its table rows whole, as a row's cells (the task, who leads it, by when) answer
        together. `flat`: the flattened rows, read from the chunk's section."""
        spans: list[tuple[int, int]] = []

        def sentences(start: int, end: int) -> None:
            for s, e in sentence_spans(text[start:end]):
                s, e = start + s, start + e
                if e - s > self.policy.long_sentence:
                    spans.extend((s + a, s + b) for a, b in sentence_spans(text[s:e], clauses=True))
                else:
                    spans.append((s, e))

        pos = 0
        for start, end in table_rows(text, flat):
            sentences(pos, start)
            spans.append((start, end))
            pos = end
        sentences(pos, len(text))
        return spans

    @staticmethod
    def _header_rows(doc: Document, completer: Completer) -> set[str]:
        """The first row of each table in the chunk's section: column names, which
        answer nothing alone (they are quoted with a row that does)."""
        section = completer.section(doc)
        text = section.page_content if section is not None else doc.page_content
        headers, previous = set(), ""
        for line in text.split("\n"):
            if not line.strip():
                continue
            if line.lstrip().startswith("|") and not previous.lstrip().startswith("|"):
                headers.add(line.strip())
            previous = line
        return headers

    def _score_units(self, docs: list[Document], wordings: list[dict[str, float]], intent: Intent,
                     completer: Completer) -> list[_Unit]:
        units: list[_Unit] = []
        for rank, doc in enumerate(docs):
            text = doc.page_content
            chunk_terms = self._terms(doc.metadata["section_path"] + "\n" + text)
            chunk_cov = best_coverage(wordings, chunk_terms)
            # How much the passage's place in the retrieved order counts: the learned
            # ranker's belief that it answers, where it ran, else its rank.
            share = doc.metadata.get("share")
            prior = share if share is not None else 1.0 / (1 + rank)
            headers = self._header_rows(doc, completer) if TABLE_ROW.search(text) else set()
            # A sentence is ranked as read in its document: under a title that names its
            # subject ("Quyết định kiện toàn Ban Chỉ đạo Trung ương về cải cách chính sách
            # tiền lương, ..."), "1. Trưởng ban Chỉ đạo Trung ương: Phó Thủ tướng ..." is
            # about that body, which it does not name again. Only the ranking reads the
            # title: whether the reports answer at all is still judged on the sentence's
            # own words (`coverage`), or every question about a document's subject would
            # pass for answered.
            title = self._terms(doc.metadata.get("doc_title") or "")
            for s, e in self._spans(text, self._section_rows(doc, completer)):
                unit = _Unit(doc, s, e)
                unit.terms = self._terms(unit.text)
                unit.coverage = best_coverage(wordings, unit.terms)
                read = best_coverage(wordings, unit.terms | title) if title else unit.coverage
                score = 0.55 * read + 0.3 * chunk_cov + 0.15 * prior
                if intent.number or intent.percent:
                    score += 0.1 if answers_figure(unit.text, intent) else -0.2
                    # The figure must stand with the words asked about: in "a; số hồ
                    # sơ trễ hạn là 2.430" the clause with the figure decides.
                    score += 0.2 * self._figure_clause_coverage(unit.text, wordings, intent)
                if doc.metadata.get("programme"):
                    # A question without "sẽ", "kế hoạch" asks what was done: on a tie
                    # the results part answers it, not the programme's "tiếp tục ...".
                    score += 0.08 if intent.future else -0.03
                if intent.years:
                    # "năm 2023": a sentence of that year, not next year's target.
                    context = doc.metadata["section_path"] + " " + unit.text
                    if any(y in context for y in intent.years):
                        score += 0.08
                    elif re.search(r"\b(?:19|20)\d\d\b", context):
                        score -= 0.08
                if intent.why and "nguyên nhân" in (doc.metadata["section_path"] + unit.text).lower():
                    score += 0.1
                if re.fullmatch(r"[\W\d]*", unit.text) or unit.text in headers:
                    score = 0.0
                unit.score = score
                units.append(unit)
        units.sort(key=lambda u: -u.score)
        return units

    def _figure_clause_coverage(self, text: str, wordings: list[dict[str, float]], intent: Intent) -> float:
        return max((best_coverage(wordings, self._terms(c)) for c in _clauses(text) if answers_figure(c, intent)),
                   default=0.0)

    def _choose(self, units: list[_Unit], intent: Intent) -> list[_Unit]:
        best = units[0]
        chosen = [best]
        covered = set(best.terms)
        limit = self.policy.max_quotes
        ratio = self.policy.second_quote_ratio if not intent.future else self.policy.second_quote_ratio - 0.1
        for unit in units[1:]:
            if len(chosen) >= limit or unit.score < ratio * best.score:
                break
            if any(u.doc is unit.doc and not (unit.end <= u.start or unit.start >= u.end) for u in chosen):
                continue      # overlapping text of the same chunk
            if any(u.text == unit.text for u in chosen):
                continue      # the same sentence seen in an overlapping chunk
            new_terms = unit.terms - covered
            if not new_terms:
                continue
            chosen.append(unit)
            covered |= unit.terms
        return chosen

    def _list_items(self, chosen: list[_Unit]) -> list[_Unit]:
        """"Những ... nào / gì" answered by a list: quote every item, each with its
        section. A bulleted list is taken whole from the section (it may run over
        several chunks) when the best sentence is one of the bullets or the line that
        introduces them; a list written inside one sentence ("như: a; b; c") is cut at
        its semicolons."""
        best = next((u for u in chosen if self._opens_list(u)), None)
        if best is None:
            return self._inline_items(chosen[0])
        section = self._section_doc(best.doc, best.doc.metadata["section_id"], best.doc.metadata["section_path"]) or best.doc
        items, pos = [], 0
        for line in section.page_content.split("\n"):
            if _BULLET_LINE.match(line):
                items.append(_Unit(section, pos, pos + len(line), score=best.score))
            pos += len(line) + 1
        return items if len(items) >= 2 else []

    def _causes(self, units: list[_Unit], best: _Unit) -> list[_Unit]:
        """Sentences on causes: those about the question, and those in the best
        sentence's own section or in a "Nguyên nhân" section beside it, which refer back
        ("Những hạn chế trên do ...") rather than repeat the question's words."""
        meta = best.doc.metadata

        def beside(u: _Unit) -> bool:
            m = u.doc.metadata
            return m["doc_id"] == meta["doc_id"] and (
                m["section_id"] == meta["section_id"]
                or _parent(m["section_id"]) == _parent(meta["section_id"]) and bool(_CAUSE.search(m.get("heading", ""))))

        found = [u for u in units if _CAUSE.search(u.doc.metadata.get("heading", "") + " " + u.text) and (
            (u.score >= 0.6 * best.score and u.coverage >= self.policy.min_sentence) or beside(u))]
        return found or self._cause_section(best)

    def _cause_section(self, best: _Unit) -> list[_Unit]:
        """Causes retrieval did not bring, as they rarely share the question's words:
        the sentences on causes in the best sentence's own section (which may run over
        several chunks), else the "Nguyên nhân" section beside it (its sibling under
        the same heading)."""
        section_id = best.doc.metadata["section_id"]
        own = self._section_doc(best.doc, section_id, best.doc.metadata["section_path"])
        if own is not None:
            found = [_Unit(own, s, e, score=best.score, coverage=best.coverage)
                     for s, e in sentence_spans(own.page_content) if _CAUSE.search(own.page_content[s:e])]
            if found:
                return found
        if self._outline is None:
            return []
        siblings = [(sid, heading) for sid, heading in self._outline(best.doc.metadata["doc_id"])
                    if sid != section_id and _parent(sid) == _parent(section_id) and "." in sid
                    and _CAUSE.search(heading)]
        if not siblings:
            return []
        sibling_id, heading = siblings[0]
        path = best.doc.metadata["section_path"].rsplit(" › ", 1)[0] + " › " + heading
        doc = self._section_doc(best.doc, sibling_id, path, heading)
        if doc is None:
            return []
        return [_Unit(doc, s, e, score=best.score, coverage=best.coverage) for s, e in sentence_spans(doc.page_content)
                if not re.fullmatch(r"[\W\d]*", doc.page_content[s:e]) and doc.page_content[s:e].strip() != heading.strip()]

    def _commitment(self, chosen: list[_Unit]) -> list[_Unit]:
        """A commitment is a whole item of the work programme ("1. Tập trung quyết liệt
        công tác thu ngân sách; ... Đẩy nhanh ... đấu giá quyền sử dụng đất ..."): quote
        its paragraph sentence by sentence, when short enough to read, then any other
        commitment that speaks to the question as closely."""
        best = chosen[0]
        text = best.doc.page_content
        start = text.rfind("\n", 0, best.start) + 1
        end = text.find("\n", best.end)
        end = len(text) if end < 0 else end
        if end - start > self.policy.commitment_paragraph:
            return chosen
        paragraph = [_Unit(best.doc, start + s, start + e, score=best.score, coverage=best.coverage)
                     for s, e in sentence_spans(text[start:end])]
        others = [u for u in chosen[1:] if u.doc.metadata.get("programme") and u.coverage >= 0.8 * best.coverage
                  and u.doc.metadata["section_id"] != best.doc.metadata["section_id"]]
        return (paragraph or [best]) + others

    @staticmethod
    def _inline_items(unit: _Unit) -> list[_Unit]:
        text = unit.doc.page_content
        sentence = next(((s, e) for s, e in sentence_spans(text) if s <= unit.start < e), None)
        if sentence is None:
            return []
        start, end = sentence
        intro = _INLINE_LIST.search(text, start, end)
        if intro is None or unit.end <= intro.start() and text.rfind(";", unit.end, intro.start()) >= 0:
            return []     # the best clause is not the list nor the clause that opens it
        items, pos = [], intro.end()
        for part in re.split(r"(;)", text[intro.end():end]):
            if part != ";" and part.strip(" .…"):
                lead = len(part) - len(part.lstrip())
                body = part.rstrip()
                if body.endswith(".") and not body.endswith(".."):
                    body = body[:-1]      # the sentence's full stop, not an ellipsis
                items.append(_Unit(unit.doc, pos + lead, pos + len(body), score=unit.score))
            pos += len(part)
        return items if len(items) >= 2 else []

    @staticmethod
    def _opens_list(unit: _Unit) -> bool:
        """Is this unit a bullet, or the line that introduces bullets ("...:")?"""
        text = unit.doc.page_content
        line_start = text.rfind("\n", 0, unit.start) + 1
        line_end = text.find("\n", unit.end)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if _BULLET_LINE.match(line):
            return True
        following = text[line_end + 1 :].lstrip("\n").split("\n", 1)[0] if line_end >= 0 else ""
        return line.rstrip().endswith(":") and bool(_BULLET_LINE.match(following))

    def _with_table_headers(self, chosen: list[_Unit]) -> list[_Unit]:
        """A table row means little without its header ("| Chỉ tiêu | 2025 | 2026 |").
        The header may sit in an earlier chunk, so it is looked up in the section."""
        out: list[_Unit] = []
        for unit in chosen:
            if unit.text.startswith("|"):
                section = self._section_doc(unit.doc, unit.doc.metadata["section_id"], unit.doc.metadata["section_path"])
                text = section.page_content if section else ""
                row = text.find(unit.text)
                if section is not None and row > 0:
                    header = table_header(section, row)
                    if header and header.start < row and all(h.text != header.text for h in out):
                        header.score, header.header = unit.score, True
                        out.append(header)
                    group = group_row(section, row, header.start if header else 0)
                    if group and all(h.text != group.text for h in out):
                        group.score = unit.score
                        out.append(group)
            if all(h.text != unit.text for h in out):
                out.append(unit)
        return out

    def _compose(self, question: str, chosen: list[_Unit]) -> Answer:
        citations = [
            Citation(
                doc_id=u.doc.metadata["doc_id"], doc_title=u.doc.metadata["doc_title"],
                section_id=u.doc.metadata["section_id"], section_path=u.doc.metadata["section_path"],
                quote=u.text, score=round(min(max(u.score, 0.0), 1.0), 3),
            )
            for u in chosen
        ]
        # Each row is shown under its table's header, cell by cell ("Cơ quan chủ trì:
        # “Bộ Tài chính”; …"); the header itself is not quoted on its own line.
        lines, header, shown = [], None, True
        for u, c in zip(chosen, citations):
            if u.header:
                header, shown = c, False
                continue
            row = _row_line(header.quote, c.quote) if header is not None and header.section_id == c.section_id else None
            if row:
                lines.append(f"- {row} [{c.section_id}]")
                shown = True
                continue
            if not shown:     # a header whose row it does not fit is quoted as it is
                lines.append(f"- “{header.quote.strip()}” [{header.section_id}]")
                shown = True
            lines.append(f"- {_quoted(c.quote.lstrip('-+•*– ').strip())} [{c.section_id}]")
        if len(citations) == 1:
            c = citations[0]
            text = f"Theo báo cáo: {_quoted(c.quote)} [{c.section_id}]"
        else:
            text = "Theo báo cáo:\n" + "\n".join(lines)
        return Answer(question=question, answer=text, found=True, citations=citations, mode=self.mode)


def _quoted(quote: str) -> str:
    """A quote in quotation marks; a flattened table row's cells each in their own
    ("“Thông tư số 08/2019 …”; “Được thay thế bởi …”"), as its paragraphs are cells."""
    parts = row_cells(quote) if "\n" in quote else [quote]
    return "; ".join(f"“{p}”" for p in parts) if len(parts) > 1 else f"“{quote}”"


_ORDINAL_COLUMN = re.compile(r"(?:stt|tt|so tt|so thu tu)", re.IGNORECASE)


def _row_line(header: str, row: str) -> str | None:
    """ "Tên nhiệm vụ: “…”; Cơ quan chủ trì: “Bộ Tài chính”; …" for a table row under its
    header, or None when they are not a header and a row of one table. The row's
    number ("STT") and empty cells are left out; every cell is quoted verbatim."""
    if not (header.lstrip().startswith("|") and row.lstrip().startswith("|")):
        return None
    names, row_cells = cells(header), cells(row)
    if len(names) != len(row_cells) or len(row_cells) < 2:
        return None
    parts = []
    for name, cell in zip(names, row_cells):
        if not cell or _ORDINAL_COLUMN.fullmatch(fold(name).strip()):
            continue
        parts.append(f"{name}: “{cell}”" if name else f"“{cell}”")
    return "; ".join(parts) or None


def ungrounded_numbers(answer: Answer) -> list[str]:
    """Figures stated in the answer that none of its quotes contains (should be empty).
    A refusal states no figure: the periods it lists are the reports' own."""
    if not answer.found:
        return []
    text = re.sub(r"\[[^\]]*\]", " ", answer.answer)    # section ids are labels, not figures
    quotes = " ".join(c.quote for c in answer.citations)
    quoted = set(numbers_in(quotes))
    return [n for n in numbers_in(text) if n not in quoted]

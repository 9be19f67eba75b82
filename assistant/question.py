"""A question read once: diacritics restored, everyday words in the reports' terms, what
kind of answer it asks, the names, documents and years it gives, its weighted key terms.

The retriever and the answerer used to read the question each on its own (restoring,
rewording, reading the intent, weighting twice); now `QuestionAnalyzer.analyze` makes one
`QuestionAnalysis` per question, against the live index snapshot, and both are handed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.coverage import question_identity, question_weights
from assistant.diacritics import DiacriticRestorer
from assistant.document_names import NamedDocument, TitleIndex, named_documents, session_phrases, without_documents
from assistant.intent import Intent, read_intent, read_time, reworded, years_named
from assistant.answer_type import named_bodies
from assistant.naming import name_runs, named_reports
from assistant.report_scope import ReportScope, asked_kind, report_scope, without_naming
from assistant.synonyms import Rewrite, Thesaurus
from ingest.vntext import fold, has_diacritics
from vectorstore.document_index import Snapshot

# Where a question that asks two things parts them: "Học sinh tựu trường ngày nào, còn
# riêng lớp 1 thì ngày nào?", "… do cơ quan nào tham mưu và phải hoàn thành khi nào?".
_ASK_BOUNDARY = re.compile(r",?\s+(?:và|còn|đồng thời|cùng với đó)\s+|,\s+|;\s+", re.IGNORECASE)
# What makes a part of it an ask of its own: a question word.
_ASK_WORD = re.compile(r"(?<!\w)(?:bao nhiêu|bao lâu|bao giờ|khi nào|lúc nào|ngày nào|tháng nào|năm nào|thế nào|"
                       r"ở đâu|ai|gì|nào|mấy(?!\s+(?:năm|tháng|tuần|ngày|hôm)\s+(?:trước|qua|nay|gần đây|vừa qua|rồi)))(?!\w)",
                       re.IGNORECASE)   # ("mấy năm trước": a time, not a count)


@dataclass(frozen=True)
class Ask:
    """One of the things a question asks, with its own kind of answer and key terms."""
    text: str
    intent: Intent
    weights: dict[str, float]


def asks_of(text: str) -> list[str]:
    """The parts of a question that each ask something, with the words around them that
    are not asks themselves ("Khi thời tiết quá khắc nghiệt, ai …") joined to the next
    ask (the last ones to the ask before). One ask or none: []."""
    parts = [p for p in _ASK_BOUNDARY.split(text.strip().rstrip("?").strip()) if p.strip()]
    asks, pending = [], []
    for part in parts:
        pending.append(part)
        if _ASK_WORD.search(part):
            asks.append(", ".join(pending))
            pending = []
    if pending and asks:
        asks[-1] = ", ".join([asks[-1], *pending])
    return asks if len(asks) >= 2 else []


@dataclass
class QuestionAnalysis:
    asked: str                          # as typed
    restored: str                       # diacritics put back when typed without them
    rewrite: Rewrite                    # everyday phrases in the reports' words
    intent: Intent                      # the kind of answer asked, read from both wordings
    weights: dict[str, float]           # topic terms -> idf weight, of the reworded question
    wordings: list[dict[str, float]]    # the weights of each wording (a variant may fit a passage better)
    typed_accents: bool
    named: set[str] = field(default_factory=set)             # reports named by their place or title
    places: list[frozenset[str]] = field(default_factory=list)  # each proper name, as folded word pairs
    documents: list[NamedDocument] = field(default_factory=list)  # documents named by kind and number
    scope: list[str] = field(default_factory=list)           # indexed documents the question names by number
    unknown_documents: list[NamedDocument] = field(default_factory=list)  # named, but not indexed
    bodies: list[str] = field(default_factory=list)          # bodies it names ("thanh tra tinh"), folded
    focus: str = ""                     # a follow-up's own topic ("còn công nghiệp thì sao?")
    focus_weights: dict[str, float] = field(default_factory=dict)
    # The reports it is answered from (assistant/report_scope.py): the period it names,
    # the member of a series for that period, else each series' latest; None: all.
    reports: ReportScope = field(default_factory=ReportScope)
    identity: frozenset[str] = frozenset()   # its words that name a report ("tỉnh", "Bình Phước"): weak evidence
    asks: list[Ask] = field(default_factory=list)   # when it asks two things or more, each of them

    @property
    def text(self) -> str:
        """The question as the system reads it: restored and reworded."""
        return self.rewrite.text

    @property
    def topic(self) -> str:
        """What passages are searched with: the text without the words that said which
        report ("Theo báo cáo 6 tháng đầu năm 2022, ...")."""
        return without_naming(self.rewrite.text, self.reports.naming) if self.reports.naming else self.rewrite.text


class QuestionAnalyzer:
    """Reads questions against the live index; keeps the diacritic model of the
    snapshot it was built for."""

    def __init__(self, thesaurus: Thesaurus | None = None, restore_diacritics: bool = True) -> None:
        self.thesaurus = thesaurus
        self.restore_diacritics = restore_diacritics
        self._restorer: tuple[object, DiacriticRestorer | None] = (None, None)
        self._titles: tuple[object, TitleIndex | None] = (None, None)

    def restorer(self, snapshot: Snapshot) -> DiacriticRestorer:
        if self._restorer[0] is not snapshot.vocabulary:
            self._restorer = (snapshot.vocabulary, DiacriticRestorer(snapshot.vocabulary))
        return self._restorer[1]

    def titles(self, snapshot: Snapshot) -> TitleIndex:
        if self._titles[0] is not snapshot.records:
            self._titles = (snapshot.records, TitleIndex({d: r.title for d, r in snapshot.records.items()}))
        return self._titles[1]

    def _reword(self, question: str, snapshot: Snapshot) -> tuple[str, Rewrite]:
        typed_accents = has_diacritics(question)
        restored = self.restorer(snapshot).restore(question) if self.restore_diacritics else question
        if self.thesaurus is None:
            return restored, Rewrite(restored)
        return restored, self.thesaurus.rewrite(restored, snapshot.lexical, typed_accents)

    def _unnumbered(self, question: str, named: NamedDocument, of_place: set[str], snapshot: Snapshot) -> list[str]:
        """The indexed documents a number no copy prints may be: of its kind, printing no
        number of their own, of its year when both give one, of the place the question
        names, and named by their title. A document whose number is not known is not
        another document's number."""
        year = re.match(r"((?:19|20)\d\d)\b", named.code)
        candidates = {d for d, r in snapshot.records.items() if not r.serial
                      and (not year or not r.date or r.date[:4] == year.group(1))
                      and (not of_place or d in of_place)}
        return list(self.titles(snapshot).unnumbered(question, named.kind, candidates)) if candidates else []

    def analyze(self, question: str, snapshot: Snapshot, focus: str = "",
                doc_ids: list[str] | None = None) -> QuestionAnalysis:
        restored, rewrite = self._reword(question, snapshot)
        intent = reworded(read_intent(question), rewrite.text)
        analysis = QuestionAnalysis(
            asked=question, restored=restored, rewrite=rewrite, intent=intent, weights={}, wordings=[],
            typed_accents=has_diacritics(question),
            named=named_reports(question, snapshot.names, snapshot.places),
            places=name_runs(rewrite.text), documents=named_documents(question), focus=focus,
            bodies=named_bodies(question),
        )
        for named in analysis.documents:
            # "Quyết định 435": the indexed document of that kind and serial number answers
            # (or the plan, scheme or programme a decision of that number issues: "Đề án
            # 982" is the one "Quyết định 982 … phê duyệt Đề án …" approves)
            hits = [d for d, r in snapshot.records.items() if r.serial == named.number
                    and (not r.meta.get("kind") or r.meta.get("kind") == named.kind
                         or fold(named.kind) in fold(r.title).lower())
                    and (not named.code or fold(named.code).lower() in fold(r.meta.get("number", "")).lower())]
            if not hits:
                hits = self._unnumbered(question, named, analysis.named, snapshot)
            if hits:
                analysis.scope.extend(h for h in hits if h not in analysis.scope)
            else:
                analysis.unknown_documents.append(named)

        titles = self.titles(snapshot)
        # "Kế hoạch cải cách hành chính 2026 - 2030 của tỉnh Lâm Đồng …": a document named
        # by its kind and title is the one answering; of several of one title (a series),
        # the period's or the latest, as for any question
        titled = titles.named(rewrite.text) if not analysis.documents else None
        if analysis.scope:
            analysis.reports = ReportScope(reports=list(analysis.scope))
        else:
            candidates = set(titled.doc_ids) if titled else set(analysis.named) or None
            if doc_ids:
                candidates = set(doc_ids) & candidates if candidates else set(doc_ids)
            def speaking_of(year: str) -> set[str]:
                return {d for d, score in snapshot.report_scores(year).items() if score > 0}

            analysis.reports = report_scope(question, snapshot.records, candidates, snapshot.doc_level, speaking_of)

        identifying = session_phrases(rewrite.text)
        if titled:
            # the title said which document, not what is asked of it ("… đặt chỉ tiêu gì")
            analysis.named = set(titled.doc_ids)
            identifying.insert(0, fold(rewrite.text)[titled.start:titled.end].lower())
        analysis.reports.naming.extend(p for p in identifying if p not in analysis.reports.naming)
        kind_phrase = asked_kind(question)[1]
        naming = [*analysis.reports.naming, *([kind_phrase] if kind_phrase else [])]
        if naming:
            # "Theo kế hoạch giai đoạn 2023-2025 của tỉnh ..." said which document; its
            # words are not what is asked ("kế hoạch" is no commitment question).
            future, past, realised = read_time(without_naming(question, naming))
            intent = analysis.intent = replace(intent, future=future, past=past, realised=realised)

        if all(p.startswith("nhiem ky") for p in identifying):
            identifying = []      # a term alone ("bầu cử … nhiệm kỳ 2021-2026") names no council's document
        if identifying and analysis.intent.years:
            # A title's or a session's years name the document ("kỳ họp thứ Năm HĐND tỉnh
            # … khóa XVII (nhiệm kỳ 2016 - 2021)"), not the year its figures are for.
            intent = analysis.intent = replace(analysis.intent, years=years_named(without_naming(question, identifying)))

        analysis.identity = frozenset().union(*(question_identity(w, snapshot.identity)
                                                for w in [question, rewrite.text, *rewrite.variants]))

        def weigh(texts: list[str]) -> list[dict[str, float]]:
            return [question_weights(t, snapshot.lexical, drop_format=intent.percent, identity=analysis.identity)
                    for t in texts]

        naming = analysis.reports.naming
        wordings = [without_naming(w, naming) for w in [rewrite.text, *rewrite.variants]]
        weighed = []
        if analysis.scope:
            # The document named by its number is the one asked about, whatever names
            # other titles share with the question. Its name is then not the topic:
            # "Theo Quyết định 844/QĐ-TTg, việc xây dựng Luật ... hoàn thành khi nào"
            # asks about the law's row, which does not repeat "844/QĐ-TTg".
            analysis.named = set(analysis.scope)
            weighed = weigh([without_documents(w) for w in wordings])
        if not weighed or not weighed[0]:
            weighed = weigh(wordings)     # no document in scope, or nothing but its name was asked
        if not weighed[0] and naming:
            weighed = weigh([rewrite.text, *rewrite.variants])
        analysis.weights = weighed[0]
        analysis.wordings = [weighed[0]] + [w for w in weighed[1:] if w]
        parts = asks_of(analysis.topic)
        analysis.asks = [Ask(a, reworded(read_intent(a), a), w) for a, w in zip(parts, weigh(parts)) if w]
        if focus:
            focus_text = self._reword(focus, snapshot)[1].text
            analysis.focus_weights = question_weights(focus_text, snapshot.lexical, drop_format=intent.percent,
                                                      identity=question_identity(focus_text, snapshot.identity))
        return analysis

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

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.documents import Document

from assistant.models import Answer, Citation
from ingest.segmentation import noun_syllables
from ingest.vntext import fold, has_diacritics, numbers_in, sentence_spans, tokens
from vectorstore.answer_type import answers_figure, satisfies
from vectorstore.coverage import FRAMING, STOP, coverage, question_weights, terms_of
from vectorstore.document_index import Snapshot
from vectorstore.intent import Intent, kind_named, read_intent
from vectorstore.lexical import LexicalIndex

NOT_FOUND = "Xin lỗi, các báo cáo hiện có không chứa thông tin để trả lời câu hỏi này."
NO_FIGURE = (
    "Các báo cáo có đề cập đến nội dung này nhưng không nêu số liệu cụ thể, "
    "nên tôi không thể đưa ra con số."
)
INJECTION = (
    "Tôi chỉ trả lời câu hỏi về nội dung các báo cáo đã được lập chỉ mục và không làm theo "
    "yêu cầu thay đổi cách hoạt động."
)
EMPTY_INDEX = "Chưa có báo cáo nào được lập chỉ mục. Hãy nhập báo cáo trước khi đặt câu hỏi."

_BULLET_LINE = re.compile(r"^\s*[-+•*–]\s+\S")
_ON_BEHALF = re.compile(r"^(?:TM|T\.M|KT|K\.T|TL|T\.L|TUQ)\.\s*\S.*$", re.MULTILINE)
_DATE_LINE = re.compile(r"^[^\n]{0,60}ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}[^\n]*$", re.MULTILINE | re.IGNORECASE)
@dataclass
class _Unit:
    doc: Document
    start: int            # offsets inside doc.page_content
    end: int
    score: float = 0.0
    coverage: float = 0.0       # share of the question's weight in this unit's own words
    terms: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return self.doc.page_content[self.start : self.end]


@dataclass
class AnswerPolicy:
    min_coverage: float = 0.35         # share of the question's weight the best chunk must hold
    min_sentence: float = 0.25         # share the chosen sentence itself must hold
    max_quotes: int = 3
    max_unseen: float = 0.2            # share of the question's weight in nouns no report uses
    second_quote_ratio: float = 0.85   # a further quote must score this close to the best
    candidates: int = 6                # retrieved chunks the answer may quote from
    long_sentence: int = 350           # longer sentences are answered clause by clause


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(
        self,
        stats: Callable[[], Snapshot],
        sections: Callable[[str, str], str | None],
        policy: AnswerPolicy | None = None,
    ) -> None:
        self._stats = stats          # the live index (idf, diacritic model); rebuilt when reports change
        self._sections = sections    # (doc_id, section_id) -> the section's full text
        self.policy = policy or AnswerPolicy()

    # ----- weights --------------------------------------------------------------------
    @staticmethod
    def _question_terms(question: str, snapshot: Snapshot, intent: Intent | None = None) -> dict[str, float]:
        return question_weights(question, snapshot.lexical, drop_format=bool(intent and intent.percent),
                                identity=snapshot.identity)

    _coverage = staticmethod(coverage)
    _terms = staticmethod(terms_of)

    def _unknown_names(self, question: str, stats: LexicalIndex) -> list[str]:
        """Place or body names in the question (runs of capitalised syllables) that no
        indexed report mentions: "GRDP của Đồng Nai" must not be answered with ours."""
        runs: list[list[str]] = []
        # Punctuation separates names ("Bình Long, Chơn Thành" is two names).
        for segment_no, segment in enumerate(re.split(r"[^\w\s]+", question)):
            current: list[str] = []
            for word_no, word in enumerate(segment.split() + [""]):
                sentence_start = segment_no == 0 and word_no == 0
                if word and word[0].isupper() and not word.isupper() and not sentence_start:
                    current.append(word)
                    continue
                if len(current) >= 2:
                    runs.append(current)
                current = []
        unknown = []
        for run in runs:
            folded = [fold(w).lower() for w in run]
            if any(stats.df.get(f"{a}_{b}", 0) == 0 for a, b in zip(folded, folded[1:])):
                unknown.append(" ".join(run))
        return unknown

    # ----- answering --------------------------------------------------------------------
    def answer(self, question: str, docs: list[Document], focus: str = "") -> Answer:
        intent = read_intent(question)
        if intent.injection:
            return self._refuse(question, INJECTION)
        if not docs:
            return self._refuse(question, NOT_FOUND)
        if intent.signer or intent.issued:
            # Who signed / when issued: the signature block and the date line answer,
            # whatever the question's wording shares with them.
            meta = self._signature_or_date(question, self._named_kind(question, docs), intent)
            if meta:
                return meta
        snapshot = self._stats()
        stats = snapshot.lexical
        # "tinh se lam gi de thu hut dau tu": restored first, so that stop words are
        # told apart from topic words ("đâu" vs "đầu tư") and nouns can be tagged.
        restored = snapshot.restorer.restore(question)
        weights = self._question_terms(restored, snapshot, intent)
        if not weights or self._unknown_names(question, stats):
            return self._refuse(question, NOT_FOUND)
        nouns = noun_syllables(restored)
        if has_diacritics(question):
            # As typed: folded, "dê" (goat) would pass for "để" and "đề".
            unseen = sorted({fold(t) for t in tokens(FRAMING.sub(" ", question))
                             if t.isalpha() and t not in STOP and not stats.df_exact.get(t) and fold(t) in nouns})
        else:
            unseen = [t for t in weights if "_" not in t and t.isalpha() and not stats.df.get(t) and t in nouns]
        unseen = [t for t in unseen if t in weights]
        unseen_share = sum(weights[t] for t in unseen) / sum(weights.values())
        if unseen and ((intent.number or intent.percent) or unseen_share >= self.policy.max_unseen):
            # A thing no report ever names ("giá xăng", "mưa") cannot be answered from
            # them: not as a figure at all, nor when it carries much of the question.
            # Unseen verbs ("chiếm") are only phrasing and do not count.
            return self._refuse(question, NOT_FOUND)

        # Sentences from a report of another level (a district's figures for a question
        # about the province) or from a plan for a question about results are not
        # candidates at all.
        units = [u for u in self._score_units(docs[: self.policy.candidates], weights, intent) if self._admissible(u, intent)]
        if focus:
            # A follow-up ("còn công nghiệp thì sao?") is answered about its own topic.
            focus_weights = self._question_terms(snapshot.restorer.restore(focus), snapshot, intent)
            units = [u for u in units if self._coverage(focus_weights, u.terms) >= 0.5]
        if not units:
            return self._refuse(question, NOT_FOUND)
        best = units[0]
        chunk_cov = self._coverage(weights, self._terms(best.doc.metadata["section_path"] + "\n" + best.doc.page_content))
        if chunk_cov < self.policy.min_coverage or best.coverage < self.policy.min_sentence:
            return self._refuse(question, NOT_FOUND)
        # The kind of answer the question needs must be in the sentence we quote: a figure
        # counting the asked unit, a document number, a person. Look a little below the
        # best sentence for one that has it; otherwise the reports do not say. A stand-in
        # must still be about the question, not just carry a figure: "4G đạt 99,2%" does
        # not answer "giải ngân bao nhiêu %".
        names = frozenset(w.lower() for w in re.findall(r"\w+", question) if w[:1].isupper())
        floor = max(self.policy.min_sentence, 0.7 * best.coverage)
        fits = [u for u in units if u.score >= 0.75 * best.score and u.coverage >= floor and self._fits(u, intent, names)]
        if intent.future:
            # "Tỉnh sẽ làm gì ...": what the plan part commits to, when it speaks to it.
            planned = [u for u in units if u.doc.metadata.get("programme") and u.score >= 0.6 * best.score
                       and u.coverage >= floor and self._fits(u, intent, names)]
            fits = planned or fits
        if not fits:
            needs_figure = intent.number or intent.percent or intent.rank
            return self._refuse(question, NO_FIGURE if needs_figure else NOT_FOUND)
        chosen = self._choose([fits[0]] + [u for u in units if u is not fits[0]], intent)
        if intent.listing:
            chosen = self._list_items(chosen) or chosen
        return self._compose(question, self._with_table_headers(chosen))

    def _refuse(self, question: str, message: str) -> Answer:
        return Answer(question=question, answer=message, found=False, mode=self.mode)

    @staticmethod
    def _admissible(unit: _Unit, intent: Intent) -> bool:
        level = unit.doc.metadata.get("doc_level")
        if intent.level and level and level != intent.level:
            return False      # the question is about a province, this report a district
        if intent.past and unit.doc.metadata.get("programme"):
            return False      # "đã chi bao nhiêu" is not answered by next year's target
        return True

    @staticmethod
    def _fits(unit: _Unit, intent: Intent, question_names: frozenset[str] = frozenset()) -> bool:
        return satisfies(unit.text, intent, question_names)

    def _section_doc(self, like: Document, section_id: str) -> Document | None:
        text = self._sections(like.metadata["doc_id"], section_id)
        if not text:
            return None
        return Document(page_content=text, metadata={**like.metadata, "section_id": section_id, "section_path": section_id})

    @staticmethod
    def _named_kind(question: str, docs: list[Document]) -> Document:
        """'Ai ký báo cáo này' with a plan and two reports indexed: the best-ranked
        document whose kind (its title's first two words) the question names."""
        return next((d for d in docs if kind_named(question, d.metadata.get("doc_title", ""))), docs[0])

    def _signature_or_date(self, question: str, top: Document, intent: Intent) -> Answer | None:
        section_id, pattern = ("closing", _ON_BEHALF) if intent.signer else ("preamble", _DATE_LINE)
        doc = self._section_doc(top, section_id)
        if doc is None:
            return None
        match = pattern.search(doc.page_content)
        if not match:
            return None
        end = len(doc.page_content) if intent.signer else match.end()
        unit = _Unit(doc, match.start(), end, score=1.0)
        return self._compose(question, [unit])

    def _score_units(self, docs: list[Document], weights: dict[str, float], intent: Intent) -> list[_Unit]:
        units: list[_Unit] = []
        for rank, doc in enumerate(docs):
            text = doc.page_content
            chunk_terms = self._terms(doc.metadata["section_path"] + "\n" + text)
            chunk_cov = self._coverage(weights, chunk_terms)
            prior = 1.0 / (1 + rank)
            for start, end in sentence_spans(text):
                spans = [(start, end)]
                if end - start > self.policy.long_sentence:
                    spans = [(start + s, start + e) for s, e in sentence_spans(text[start:end], clauses=True)]
                for s, e in spans:
                    unit = _Unit(doc, s, e)
                    unit.terms = self._terms(unit.text)
                    unit.coverage = self._coverage(weights, unit.terms)
                    score = 0.55 * unit.coverage + 0.3 * chunk_cov + 0.15 * prior
                    if intent.number or intent.percent:
                        score += 0.1 if answers_figure(unit.text, intent) else -0.2
                    if intent.future and doc.metadata.get("programme"):
                        score += 0.08
                    if intent.years:
                        # "năm 2023": a sentence of that year, not next year's target.
                        context = doc.metadata["section_path"] + " " + unit.text
                        if any(y in context for y in intent.years):
                            score += 0.08
                        elif re.search(r"\b(?:19|20)\d\d\b", context):
                            score -= 0.08
                    if intent.why and "nguyên nhân" in (doc.metadata["section_path"] + unit.text).lower():
                        score += 0.1
                    if re.fullmatch(r"[\W\d]*", unit.text):
                        score = 0.0
                    unit.score = score
                    units.append(unit)
        units.sort(key=lambda u: -u.score)
        return units

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
        """"Những ... nào / gì" answered by a bulleted list: quote every bullet of the
        section (the list may run over several chunks), when the best sentence is one
        of the bullets or the line that introduces them."""
        best = next((u for u in chosen if self._opens_list(u)), None)
        if best is None:
            return []
        section = self._section_doc(best.doc, best.doc.metadata["section_id"]) or best.doc
        section.metadata["section_path"] = best.doc.metadata["section_path"]
        items, pos = [], 0
        for line in section.page_content.split("\n"):
            if _BULLET_LINE.match(line):
                items.append(_Unit(section, pos, pos + len(line), score=best.score))
            pos += len(line) + 1
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
                section = self._section_doc(unit.doc, unit.doc.metadata["section_id"])
                text = section.page_content if section else ""
                row = text.find(unit.text)
                if section is not None and row > 0:
                    section.metadata["section_path"] = unit.doc.metadata["section_path"]
                    header = self._table_header(section, row)
                    if header and header.start < row and all(h.text != header.text for h in out):
                        header.score = unit.score
                        out.append(header)
            out.append(unit)
        return out

    @staticmethod
    def _table_header(section: Document, row: int) -> _Unit | None:
        """The first row of the table that contains offset `row` (rows may be
        separated by blank lines once normalised)."""
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
        return _Unit(section, header_start, end if end > 0 else len(text))

    def _compose(self, question: str, chosen: list[_Unit]) -> Answer:
        citations = [
            Citation(
                doc_id=u.doc.metadata["doc_id"], doc_title=u.doc.metadata["doc_title"],
                section_id=u.doc.metadata["section_id"], section_path=u.doc.metadata["section_path"],
                quote=u.text, score=round(min(max(u.score, 0.0), 1.0), 3),
            )
            for u in chosen
        ]
        if len(citations) == 1:
            c = citations[0]
            text = f"Theo báo cáo: “{c.quote}” [{c.section_id}]"
        else:
            lines = [f"- “{c.quote.lstrip('-+•*– ').strip()}” [{c.section_id}]" for c in citations]
            text = "Theo báo cáo:\n" + "\n".join(lines)
        return Answer(question=question, answer=text, found=True, citations=citations, mode=self.mode)


def ungrounded_numbers(answer: Answer) -> list[str]:
    """Figures stated in the answer that none of its quotes contains (should be empty)."""
    text = re.sub(r"\[[^\]]*\]", " ", answer.answer)    # section ids are labels, not figures
    quotes = " ".join(c.quote for c in answer.citations)
    quoted = set(numbers_in(quotes))
    return [n for n in numbers_in(text) if n not in quoted]

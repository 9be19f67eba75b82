"""Hybrid retrieval: BM25 (syllables + folded) and dense E5, fused by reciprocal rank.

On these reports BM25 alone puts the right passage first more often than the small
dense model, but misses paraphrases; RRF keeps the strengths of both without having
to calibrate their incomparable scores. Commitment questions ("tỉnh sẽ làm gì ...")
get a boost for chunks inside programme parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.answer_type import satisfies
from assistant.coverage import coverage
from assistant.intent import kind_named
from assistant.question import QuestionAnalysis, QuestionAnalyzer
from assistant.synonyms import Thesaurus
from vectorstore.document_index import DocumentIndex, Snapshot, StoredChunk

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass
class ScoredChunk:
    chunk: StoredChunk
    doc_title: str
    score: float              # fused score, scaled so the best hit is 1.0
    dense: float | None       # cosine similarity, when the dense side found it
    lexical: float | None     # BM25 score, when the lexical side found it
    doc_level: str = ""       # "tinh" / "huyen" / "" for the chunk's report

    def to_document(self) -> Document:
        c = self.chunk
        return Document(
            page_content=c.text,
            metadata={
                "chunk_id": c.chunk_id, "doc_id": c.doc_id, "doc_title": self.doc_title,
                "section_id": c.section_id, "section_path": c.section_path, "heading": c.heading,
                "start": c.start, "end": c.end, "order": c.order, "programme": c.programme,
                "score": round(self.score, 4), "dense": self.dense, "lexical": self.lexical,
                "doc_level": self.doc_level,
            },
        )


class HybridRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: DocumentIndex
    embeddings: Embeddings
    k: int = 8
    fetch_k: int = 40
    rrf_k: int = 20
    mode: Mode = "hybrid"
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    programme_boost: float = 0.5
    restore_diacritics: bool = True
    doc_prior: float = 0.0
    rerank_weight: float = 0.5
    rerank_depth: int = 24
    answer_type_bonus: float = 0.15
    adaptive: float = 4.0      # 0 = fixed weights; >0 = lean on dense when words match poorly
    doc_ids: list[str] | None = None
    thesaurus: Thesaurus | None = None

    analyzer: QuestionAnalyzer | None = None

    def analyze(self, query: str, focus: str = "", doc_ids: list[str] | None = None) -> QuestionAnalysis:
        if self.analyzer is None:
            self.analyzer = QuestionAnalyzer(self.thesaurus, self.restore_diacritics)
        return self.analyzer.analyze(query, self.index.snapshot(), focus, doc_ids)

    def search(self, query: str, doc_ids: list[str] | None = None, k: int | None = None,
               analysis: QuestionAnalysis | None = None) -> list[ScoredChunk]:
        snapshot = self.index.snapshot()
        if not snapshot.live_chunks:
            return []
        doc_ids = doc_ids if doc_ids is not None else self.doc_ids
        analysis = analysis or self.analyze(query, doc_ids=doc_ids)
        if analysis.reports.reports is not None:
            # "Nghị quyết 57 …": answered from Nghị quyết 57; "6 tháng đầu năm 2022": from
            # that period's report of a series (computed within the reports asked for)
            doc_ids = analysis.reports.reports
            if not doc_ids:
                return []
        intent, query, weights = analysis.intent, analysis.topic, analysis.weights
        fused: dict[int, float] = {}
        dense_scores: dict[int, float] = {}
        lexical_scores: dict[int, float] = {}
        lexical_hits = snapshot.search_lexical(query, self.fetch_k, doc_ids) if self.mode != "dense" else []
        # How well do the words match at all? A paraphrase ("bà con nhà nông", "mùa
        # màng") shares few words with any passage: then the dense side leads, and the
        # word-coverage reranker steps back.
        confidence = max((coverage(weights, snapshot.passage_terms(h.index)[0]) for h in lexical_hits[:5]), default=0.0)
        dense_weight = self.dense_weight * (1.0 + self.adaptive * (1.0 - confidence))
        for rank, hit in enumerate(lexical_hits):
            lexical_scores[hit.index] = hit.score
            fused[hit.index] = fused.get(hit.index, 0.0) + self.lexical_weight / (self.rrf_k + rank + 1)
        if self.mode in ("hybrid", "dense"):
            vector = self.embeddings.embed_query(query)
            for rank, (pos, sim) in enumerate(self.index.dense_search(vector, self.fetch_k, snapshot, doc_ids)):
                dense_scores[pos] = sim
                fused[pos] = fused.get(pos, 0.0) + dense_weight / (self.rrf_k + rank + 1)
        if self.rerank_weight:
            fused = self._rerank(snapshot, weights, fused, self.rerank_weight * (confidence if self.adaptive else 1.0), intent)
        # Preferences that no amount of word overlap should undo come last, as factors.
        factors = self._preferences(snapshot, query, intent, doc_ids, analysis)
        for pos in fused:
            fused[pos] *= factors(snapshot.by_position[pos])
        if intent.signer or intent.issued or intent.recipients:
            closing = intent.signer or intent.recipients
            self._route_to_metadata(snapshot, query, "closing" if closing else "preamble", fused, doc_ids)
        return self._top(snapshot, fused, dense_scores, lexical_scores, k or self.k)

    def _preferences(self, snapshot: Snapshot, query: str, intent, doc_ids, analysis: QuestionAnalysis):
        doc_weight: dict[str, float] = {}
        if self.doc_prior and len(snapshot.doc_ids) > 1 and not doc_ids:
            # Questions rarely name their report, but their words lean towards one.
            doc_scores = snapshot.report_scores(query)
            top = max(doc_scores.values(), default=0.0)
            if top > 0:
                doc_weight = {d: score / top for d, score in doc_scores.items()}

        # Names as the user typed them: capitals, and diacritics or their absence.
        named = analysis.named if not doc_ids else set()

        def factor(chunk: StoredChunk) -> float:
            value = 1.0 + self.doc_prior * doc_weight.get(chunk.doc_id, 0.0)
            if named and chunk.doc_id not in named:
                value *= 0.4      # "UBND tỉnh Bình Phước sẽ ...": another report's words do not answer
            level = snapshot.doc_level.get(chunk.doc_id, "")
            if intent.level and level and level != intent.level:
                value *= 0.5      # "tỉnh đã giải ngân bao nhiêu" is not a district's figure
            if self.programme_boost and intent.future and chunk.programme:
                value *= 1.0 + self.programme_boost
            if chunk.section_id == "closing" and not (intent.signer or intent.recipients):
                value *= 0.3      # the recipients list matches many words, answers nothing
            return value

        return factor

    @staticmethod
    def _route_to_metadata(snapshot: Snapshot, query: str, section_id: str, fused: dict[int, float],
                           doc_ids: list[str] | None) -> None:
        """Who signed / when issued: the signature block or the date line answers, though
        it shares no words with the question. Reports in rank order, those whose kind
        the question names ("báo cáo", "kế hoạch") first."""
        ranked_docs: list[str] = []
        for pos, _ in sorted(fused.items(), key=lambda kv: -kv[1]):
            doc = snapshot.by_position[pos].doc_id
            if doc not in ranked_docs:
                ranked_docs.append(doc)
        ranked_docs += [d for d in snapshot.doc_ids if d not in ranked_docs and (not doc_ids or d in doc_ids)]
        ranked_docs.sort(key=lambda d: not kind_named(query, snapshot.records[d].title))
        top = max(fused.values(), default=1.0)
        for rank, doc in enumerate(ranked_docs):
            for pos in snapshot.doc_positions(doc):
                if snapshot.by_position[pos].section_id == section_id:
                    fused[pos] = top * (2.0 - 0.01 * rank)

    def _rerank(self, snapshot: Snapshot, weights: dict[str, float], fused: dict[int, float], strength: float,
                intent) -> dict[int, float]:
        """Re-order the fused head by how much of the question each passage covers,
        its best sentence above all: RRF knows ranks, not whether the words asked
        about stand together in one sentence."""
        head = sorted(fused.items(), key=lambda kv: -kv[1])[: self.rerank_depth]
        if not head:
            return fused
        best = head[0][1]
        typed = intent.number or intent.percent or intent.rank or intent.code or intent.who
        out = {}
        for pos, score in head:
            chunk_terms, sentences = snapshot.passage_terms(pos)
            covered = [(coverage(weights, terms), text) for text, terms in sentences]
            best_sentence = max(c for c, _ in covered)
            out[pos] = score / best + strength * (0.6 * best_sentence + 0.4 * coverage(weights, chunk_terms))
            # "Bao nhiêu hồ sơ": a passage with a sentence that states such a figure
            # (and is about the question) can answer; one without cannot.
            if typed and any(c >= 0.5 * best_sentence and satisfies(text, intent) for c, text in covered):
                out[pos] += self.answer_type_bonus
        return out

    @staticmethod
    def _top(snapshot: Snapshot, fused, dense_scores, lexical_scores, k: int) -> list[ScoredChunk]:
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        best = ranked[0][1] if ranked else 1.0
        return [
            ScoredChunk(
                chunk=snapshot.by_position[pos], doc_title=snapshot.records[snapshot.by_position[pos].doc_id].title,
                score=score / best, dense=dense_scores.get(pos), lexical=lexical_scores.get(pos),
                doc_level=snapshot.doc_level.get(snapshot.by_position[pos].doc_id, ""),
            )
            for pos, score in ranked
        ]

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any) -> list[Document]:
        return [hit.to_document() for hit in self.search(query, kwargs.get("doc_ids"))]


def ranked_sections(hits: list[ScoredChunk]) -> list[tuple[str, str]]:
    """(doc_id, section_id) in rank order, each once: what hit@k is measured on."""
    seen: list[tuple[str, str]] = []
    for hit in hits:
        key = (hit.chunk.doc_id, hit.chunk.section_id)
        if key not in seen:
            seen.append(key)
    return seen

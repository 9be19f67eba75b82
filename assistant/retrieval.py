"""Hybrid retrieval: BM25 (syllables + folded) and dense E5, fused by reciprocal rank.

On these reports BM25 alone puts the right passage first more often than the small
dense model, but misses paraphrases; RRF keeps the strengths of both without having
to calibrate their incomparable scores. Commitment questions ("tỉnh sẽ làm gì ...")
get a boost for chunks inside programme parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.answer_type import satisfies
from assistant.coverage import best_coverage, coverage
from assistant.intent import kind_named
from assistant.policy import LinearModel
from assistant.question import QuestionAnalysis, QuestionAnalyzer
from assistant.synonyms import Thesaurus
from vectorstore.document_index import DocumentIndex, Snapshot, StoredChunk
from vectorstore.lexical import terms_of

Mode = Literal["hybrid", "dense", "lexical"]

# What the learned ranker (scripts/train_ranker.py) reads of each candidate passage: the
# hand-tuned order's own score and rank, each side's score and rank, how much of the
# question its best sentence, its chunk and its headings carry, whether it states the
# kind of answer asked, and the preferences the rules apply as factors.
RANKER_FEATURES = (
    "rules", "rules_rank", "lexical", "lexical_rank", "lexical_found", "dense", "dense_gap", "dense_rank",
    "dense_found", "sentence", "sentence_best_wording", "chunk", "heading", "heading_only", "confidence",
    "lexical_x_confidence", "dense_x_doubt", "typed", "typed_asked", "factor", "programme_future",
    "programme_past", "closing", "preamble", "table", "depth", "length", "same_section_above",
)


@dataclass
class ScoredChunk:
    chunk: StoredChunk
    doc_title: str
    score: float              # fused score, scaled so the best hit is 1.0
    dense: float | None       # cosine similarity, when the dense side found it
    lexical: float | None     # BM25 score, when the lexical side found it
    doc_level: str = ""       # "tinh" / "huyen" / "" for the chunk's report
    share: float | None = None  # the learned ranker's belief that this passage answers

    def to_document(self) -> Document:
        c = self.chunk
        return Document(
            page_content=c.text,
            metadata={
                "chunk_id": c.chunk_id, "doc_id": c.doc_id, "doc_title": self.doc_title,
                "section_id": c.section_id, "section_path": c.section_path, "heading": c.heading,
                "start": c.start, "end": c.end, "order": c.order, "programme": c.programme,
                "score": round(self.score, 4), "dense": self.dense, "lexical": self.lexical,
                "doc_level": self.doc_level, "share": self.share,
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
    local_idf: float = 0.5     # BM25 inside a scope: how far idf is the scope's (settings)
    doc_ids: list[str] | None = None
    thesaurus: Thesaurus | None = None
    # The learned order of the head (assistant/data/ranker.json); None keeps the rules'.
    ranker: LinearModel | None = None
    ranker_depth: int = 24

    analyzer: QuestionAnalyzer | None = None

    def analyze(self, query: str, focus: str = "", doc_ids: list[str] | None = None) -> QuestionAnalysis:
        if self.analyzer is None:
            self.analyzer = QuestionAnalyzer(self.thesaurus, self.restore_diacritics)
        return self.analyzer.analyze(query, self.index.snapshot(), focus, doc_ids)

    def search(self, query: str, doc_ids: list[str] | None = None, k: int | None = None,
               analysis: QuestionAnalysis | None = None,
               collect: list[tuple[int, dict[str, float]]] | None = None) -> list[ScoredChunk]:
        """The passages that best answer `query`, best first. `collect`, when given, receives
        each head candidate's position and ranker features (what scripts/train_ranker.py fits on)."""
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
        lexical_hits = snapshot.search_lexical(query, self.fetch_k, doc_ids, local=self.local_idf) if self.mode != "dense" else []
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
        applied: dict[int, float] = {}
        shares: dict[int, float] = {}
        for pos in fused:
            applied[pos] = factors(snapshot.by_position[pos])
            fused[pos] *= applied[pos]
        if self.ranker is not None or collect is not None:
            rows = self.candidate_features(snapshot, analysis, fused, dense_scores, lexical_scores, applied, confidence)
            if collect is not None:
                collect.extend(rows)
            if self.ranker is not None and rows:
                # The head in the learned order, still above everything below it; each
                # passage's share of the softmax over the head is the ranker's belief that
                # it is the one that answers (fit listwise, so calibrated as such:
                # docs/EVAL.md), which the answer gate reads.
                top = max(fused.values())
                z = np.array([self.ranker.score(features) for _, features in rows])
                p = np.exp(z - z.max())
                p /= p.sum()
                for (pos, _), zi, pi in zip(rows, z, p):
                    fused[pos] = top * (2.0 + math.tanh(zi / 4.0))
                    shares[pos] = float(pi)
        if intent.signer or intent.issued or intent.recipients:
            closing = intent.signer or intent.recipients
            self._route_to_metadata(snapshot, query, "closing" if closing else "preamble", fused, doc_ids)
        return self._top(snapshot, fused, dense_scores, lexical_scores, k or self.k, shares)

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
        # A question about a time before a report's period ("năm 2023" of a plan for
        # 2024-2026) asks of the past: the report's results speak to it, not its programme.
        asked_years = [int(y) for y in intent.years]
        before: dict[str, bool] = {}

        def asks_before(doc_id: str) -> bool:
            if doc_id not in before:
                period = snapshot.records[doc_id].period() if doc_id in snapshot.records else None
                before[doc_id] = period is not None and any(y < int(period.start[:4]) for y in asked_years)
            return before[doc_id]

        def factor(chunk: StoredChunk) -> float:
            value = 1.0 + self.doc_prior * doc_weight.get(chunk.doc_id, 0.0)
            if named and chunk.doc_id not in named:
                value *= 0.4      # "UBND tỉnh Bình Phước sẽ ...": another report's words do not answer
            level = snapshot.doc_level.get(chunk.doc_id, "")
            if intent.level and level and level != intent.level:
                value *= 0.5      # "tỉnh đã giải ngân bao nhiêu" is not a district's figure
            if self.programme_boost and intent.future and chunk.programme:
                value *= 1.0 + self.programme_boost
            elif self.programme_boost and chunk.programme and not intent.future and (
                    intent.realised or asks_before(chunk.doc_id)):
                value /= 1.0 + self.programme_boost   # "hiện có bao nhiêu": what is, not what is planned
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

    def candidate_features(self, snapshot: Snapshot, analysis: QuestionAnalysis, fused: dict[int, float],
                           dense_scores: dict[int, float], lexical_scores: dict[int, float],
                           factors: dict[int, float], confidence: float) -> list[tuple[int, dict[str, float]]]:
        """RANKER_FEATURES of the head of the rules' order (`ranker_depth` passages)."""
        head = sorted(fused.items(), key=lambda kv: -kv[1])[: self.ranker_depth]
        if not head:
            return []
        intent, weights = analysis.intent, analysis.weights
        best = head[0][1] or 1.0
        lexical_order = {p: i for i, p in enumerate(sorted(lexical_scores, key=lambda p: -lexical_scores[p]))}
        dense_order = {p: i for i, p in enumerate(sorted(dense_scores, key=lambda p: -dense_scores[p]))}
        top_lexical = max(lexical_scores.values(), default=0.0) or 1.0
        top_dense = max(dense_scores.values(), default=0.0)
        typed_asked = bool(intent.number or intent.percent or intent.rank or intent.code or intent.who or intent.date)
        rows = []
        seen_sections: set[tuple[str, str]] = set()
        for rank, (pos, score) in enumerate(head):
            chunk = snapshot.by_position[pos]
            chunk_terms, sentences = snapshot.passage_terms(pos)
            covered = [(coverage(weights, terms), text, terms) for text, terms in sentences]
            sentence = max(c for c, _, _ in covered)
            heading = coverage(weights, terms_of(chunk.section_path))
            typed = typed_asked and any(c >= 0.5 * sentence and satisfies(text, intent) for c, text, _ in covered)
            dense = dense_scores.get(pos)
            lexical = lexical_scores.get(pos)
            key = (chunk.doc_id, chunk.section_id)
            doubt = 1.0 - confidence
            rows.append((pos, {
                "rules": score / best, "rules_rank": 1.0 / (1 + rank),
                "lexical": (lexical or 0.0) / top_lexical,
                "lexical_rank": 1.0 / (1 + lexical_order[pos]) if pos in lexical_order else 0.0,
                "lexical_found": float(lexical is not None),
                "dense": dense or 0.0, "dense_gap": (top_dense - dense) if dense is not None else 0.2,
                "dense_rank": 1.0 / (1 + dense_order[pos]) if pos in dense_order else 0.0,
                "dense_found": float(dense is not None),
                "sentence": sentence,
                "sentence_best_wording": max((best_coverage(analysis.wordings, t) for _, _, t in covered), default=0.0),
                "chunk": coverage(weights, chunk_terms), "heading": heading,
                "heading_only": float(heading > 0 and sentence == 0),
                "confidence": confidence, "lexical_x_confidence": confidence * (lexical or 0.0) / top_lexical,
                "dense_x_doubt": doubt * (dense or 0.0),
                "typed": float(typed), "typed_asked": float(typed_asked), "factor": factors.get(pos, 1.0),
                "programme_future": float(chunk.programme and intent.future),
                "programme_past": float(chunk.programme and intent.past),
                "closing": float(chunk.section_id == "closing"), "preamble": float(chunk.section_id == "preamble"),
                "table": float(chunk.text.lstrip().startswith("|")),
                "depth": float(chunk.section_id.count(".")) / 4.0,
                "length": min(len(chunk.text), 2000) / 1000.0,
                "same_section_above": float(key in seen_sections),
            }))
            seen_sections.add(key)
        return rows

    @staticmethod
    def _top(snapshot: Snapshot, fused, dense_scores, lexical_scores, k: int,
             shares: dict[int, float]) -> list[ScoredChunk]:
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        best = ranked[0][1] if ranked else 1.0
        return [
            ScoredChunk(
                chunk=snapshot.by_position[pos], doc_title=snapshot.records[snapshot.by_position[pos].doc_id].title,
                score=score / best, dense=dense_scores.get(pos), lexical=lexical_scores.get(pos),
                doc_level=snapshot.doc_level.get(snapshot.by_position[pos].doc_id, ""),
                share=shares.get(pos),
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

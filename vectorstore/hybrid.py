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

from vectorstore.coverage import coverage, question_weights
from vectorstore.document_index import DocumentIndex, Snapshot, StoredChunk
from vectorstore.intent import read_intent

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
    doc_ids: list[str] | None = None

    def search(self, query: str, doc_ids: list[str] | None = None, k: int | None = None) -> list[ScoredChunk]:
        snapshot = self.index.snapshot()
        if not snapshot.chunks:
            return []
        doc_ids = doc_ids if doc_ids is not None else self.doc_ids
        intent = read_intent(query)
        if self.restore_diacritics:
            query = snapshot.restorer.restore(query)
        fused: dict[int, float] = {}
        dense_scores: dict[int, float] = {}
        lexical_scores: dict[int, float] = {}
        if self.mode in ("hybrid", "lexical"):
            for rank, hit in enumerate(snapshot.lexical.search(query, self.fetch_k, snapshot.mask(doc_ids))):
                lexical_scores[hit.index] = hit.score
                fused[hit.index] = fused.get(hit.index, 0.0) + self.lexical_weight / (self.rrf_k + rank + 1)
        if self.mode in ("hybrid", "dense"):
            vector = self.embeddings.embed_query(query)
            for rank, (pos, sim) in enumerate(self.index.dense_search(vector, self.fetch_k, snapshot, doc_ids)):
                dense_scores[pos] = sim
                fused[pos] = fused.get(pos, 0.0) + self.dense_weight / (self.rrf_k + rank + 1)
        if self.doc_prior and len(snapshot.doc_ids) > 1 and not doc_ids:
            # Questions rarely name their report, but their words lean towards one
            # ("huyện" vs "tỉnh", its topics): a mild preference for that report's chunks.
            doc_scores = snapshot.doc_lexical.scores(query)
            top = float(doc_scores.max()) if len(doc_scores) else 0.0
            if top > 0:
                weight = dict(zip(snapshot.doc_ids, doc_scores / top))
                for pos in fused:
                    fused[pos] *= 1.0 + self.doc_prior * weight[snapshot.chunks[pos].doc_id]
        if intent.level:
            # "tỉnh đã giải ngân bao nhiêu" is not answered by a district's report.
            for pos in fused:
                level = snapshot.doc_level.get(snapshot.chunks[pos].doc_id, "")
                if level and level != intent.level:
                    fused[pos] *= 0.5
        if self.programme_boost and intent.future:
            for pos in fused:
                if snapshot.chunks[pos].programme:
                    fused[pos] *= 1.0 + self.programme_boost
        if self.rerank_weight:
            fused = self._rerank(snapshot, query, intent, fused)
        return self._top(snapshot, fused, dense_scores, lexical_scores, k or self.k)

    def _rerank(self, snapshot: Snapshot, query: str, intent, fused: dict[int, float]) -> dict[int, float]:
        """Re-order the fused head by how much of the question each passage covers,
        its best sentence above all: RRF knows ranks, not whether the words asked
        about stand together in one sentence."""
        head = sorted(fused.items(), key=lambda kv: -kv[1])[: self.rerank_depth]
        if not head:
            return fused
        weights = question_weights(query, snapshot.lexical, drop_format=intent.percent)
        best = head[0][1]
        out = {}
        for pos, score in head:
            chunk_terms, sentence_terms = snapshot.passage_terms(pos)
            best_sentence = max(coverage(weights, t) for t in sentence_terms)
            out[pos] = score / best + self.rerank_weight * (0.6 * best_sentence + 0.4 * coverage(weights, chunk_terms))
        return out

    @staticmethod
    def _top(snapshot: Snapshot, fused, dense_scores, lexical_scores, k: int) -> list[ScoredChunk]:
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        best = ranked[0][1] if ranked else 1.0
        return [
            ScoredChunk(
                chunk=snapshot.chunks[pos], doc_title=snapshot.records[snapshot.chunks[pos].doc_id].title,
                score=score / best, dense=dense_scores.get(pos), lexical=lexical_scores.get(pos),
                doc_level=snapshot.doc_level.get(snapshot.chunks[pos].doc_id, ""),
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

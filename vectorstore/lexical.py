"""BM25 over Vietnamese syllables, with a diacritic-folded twin.

Two bm25s indexes over the same chunks:
- folded: syllables with diacritics stripped ("ty le truong dat chuan") plus bigrams,
  so questions typed without diacritics match;
- exact: syllables as written plus bigrams, which separates words that fold together
  ("tỉnh" vs "tính") when the user did type diacritics.
A query with diacritics is scored on both; one without, on the folded index only.
Bigrams stand in for word segmentation (two-syllable words dominate Vietnamese);
docs/EVAL.md compares this with plain syllables.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np

from ingest.vntext import fold, folded_tokens, has_diacritics, search_tokens, with_bigrams


def index_terms(text: str, bigrams: bool = True) -> tuple[list[str], list[str]]:
    """(folded terms, exact terms) of a text."""
    exact = search_tokens(text)
    folded = [fold(t) for t in exact]
    if bigrams:
        return with_bigrams(folded), with_bigrams(exact)
    return folded, exact


@dataclass
class LexicalHit:
    index: int       # position in the corpus the index was built from
    score: float


class LexicalIndex:
    def __init__(self, texts: list[str], bigrams: bool = True) -> None:
        self.size = len(texts)
        self.bigrams = bigrams
        self._folded = bm25s.BM25()
        self._exact = bm25s.BM25()
        # Document frequencies of folded terms: the answerer weighs question words by
        # how rare they are in what is indexed, and treats unseen words as off-topic.
        self.df: Counter[str] = Counter()
        self.df_exact: Counter[str] = Counter()     # as written: "dê" is not "để"
        if texts:
            folded, exact = zip(*(index_terms(t, bigrams) for t in texts))
            for terms in folded:
                self.df.update(set(terms))
            for terms in exact:
                self.df_exact.update(set(terms))
            # bm25s wants at least one token per document
            self._folded.index([list(f) or ["∅"] for f in folded], show_progress=False)
            self._exact.index([list(e) or ["∅"] for e in exact], show_progress=False)

    def idf(self, term: str) -> float:
        """BM25-style idf; a term never seen gets the rarest possible weight."""
        n = max(self.size, 1)
        df = self.df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        folded, exact = index_terms(query, self.bigrams)
        total = np.asarray(self._folded.get_scores(folded), dtype=np.float32)
        if has_diacritics(query):
            total = total + np.asarray(self._exact.get_scores(exact), dtype=np.float32)
        return total

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[LexicalHit]:
        """Top k by BM25; `allowed` is a boolean mask (e.g. one report only)."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[:k]
        return [LexicalHit(int(i), float(scores[i])) for i in order if scores[i] > 0]


def terms_of(text: str) -> set[str]:
    """Folded syllables and adjacent pairs of a passage: what coverage is counted in."""
    return set(with_bigrams(folded_tokens(text)))

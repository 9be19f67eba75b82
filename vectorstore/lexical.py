"""BM25 over Vietnamese syllables, with a diacritic-folded twin, updated per report.

Two BM25 indexes over the same passages:
- folded: syllables with diacritics stripped ("ty le truong dat chuan") plus bigrams,
  so questions typed without diacritics match;
- exact: syllables as written plus bigrams, which separates words that fold together
  ("tỉnh" vs "tính") when the user did type diacritics.
A query with diacritics is scored on both; one without, on the folded index only.
Bigrams stand in for word segmentation (two-syllable words dominate Vietnamese);
docs/EVAL.md compares this with plain syllables.

The index grows by appending passages (a report's chunks at a time) and shrinks by
tombstoning positions, so ingesting or deleting one report costs that report, not the
collection. Postings live in immutable segments (CSR by term id) merged as an LSM tree
merges runs: a new segment is merged with the last one while that one is at most
MERGE_RATIO times its size, which keeps O(log n) segments and each posting merged
O(log n) times. Term statistics (df, the number of live passages, their mean length)
are kept current and applied at query time, so scores equal those of an index built
from scratch over the live passages (Lucene's BM25, k1 1.5, b 0.75, as bm25s computes).
"""

from __future__ import annotations

import math
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.vntext import fold, folded_tokens, has_diacritics, search_tokens, with_bigrams

K1, B = 1.5, 0.75
MERGE_RATIO = 4
# A merge never makes a segment larger than this: the merge's working arrays (about 20
# bytes a posting) stay bounded, at the price of more segments past it.
MAX_SEGMENT = 4_000_000
# A segment this large is written to a file and memory-mapped (when the index has a
# folder): the postings of an archive stay off the heap, and a question brings in the
# pages of its own terms only.
SPILL_AT = 200_000
EMPTY = "∅"      # a passage with no terms still has length 1, as bm25s counts it


def index_terms(text: str, bigrams: bool = True) -> tuple[list[str], list[str]]:
    """(folded terms, exact terms) of a text."""
    exact = search_tokens(text)
    folded = [fold(t) for t in exact]
    if bigrams:
        return with_bigrams(folded), with_bigrams(exact)
    return folded, exact


@dataclass
class LexicalHit:
    index: int       # position of the passage in the index (the snapshot's chunk position)
    score: float


@dataclass(frozen=True)
class _Segment:
    """Postings of some passages: for each term id present, the positions holding it and
    how often. Never changed once built; a merge makes a new one."""

    term_ids: np.ndarray     # sorted, unique (int32)
    indptr: np.ndarray       # len(term_ids) + 1 (int64)
    docs: np.ndarray         # positions, ascending within a term (int32)
    tf: np.ndarray           # (uint16: a term 65,535 times in one passage is counted so)
    first: int = 0           # the smallest and largest position it holds
    last: int = -1
    file: str | None = field(default=None, compare=False)   # its file's name, when spilled

    @property
    def postings(self) -> int:
        return len(self.docs)

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.repeat(self.term_ids, np.diff(self.indptr)), self.docs, self.tf

    def lookup(self, term_ids: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(index into term_ids asked, positions, tf) for each asked term present."""
        if not len(self.term_ids):
            return
        at = np.searchsorted(self.term_ids, term_ids)
        at_clipped = np.minimum(at, len(self.term_ids) - 1)
        for i in np.flatnonzero(self.term_ids[at_clipped] == term_ids):
            j = at_clipped[i]
            lo, hi = self.indptr[j], self.indptr[j + 1]
            yield int(i), self.docs[lo:hi], self.tf[lo:hi]


def _segment(terms: np.ndarray, docs: np.ndarray, tf: np.ndarray) -> _Segment:
    order = np.lexsort((docs, terms))
    terms, docs, tf = terms[order], docs[order], tf[order]
    term_ids, starts = np.unique(terms, return_index=True)
    indptr = np.append(starts, len(terms)).astype(np.int64)
    return _Segment(term_ids.astype(np.int32), indptr, docs.astype(np.int32),
                    np.minimum(tf, np.iinfo(np.uint16).max).astype(np.uint16),
                    int(docs.min()) if len(docs) else 0, int(docs.max()) if len(docs) else -1)


_ARRAYS = (("term_ids", np.int32), ("indptr", np.int64), ("docs", np.int32), ("tf", np.uint16))


class SegmentFiles:
    """The folder spilled segments live in, one file each: the four arrays back to back,
    each 8-byte aligned. A file is written once, whole, then renamed into place, and never
    changed; the index's saved state names the files it holds."""

    SUFFIX = ".seg"

    def __init__(self, folder: Path, spill_at: int = SPILL_AT) -> None:
        self.folder = Path(folder)
        self.spill_at = spill_at       # postings from which a segment is spilled

    @staticmethod
    def _layout(lengths: list[int]) -> list[tuple[int, int]]:
        out, at = [], 0
        for (_, dtype), n in zip(_ARRAYS, lengths):
            out.append((at, n))
            at += -(-n * np.dtype(dtype).itemsize // 8) * 8
        return out

    def write(self, seg: _Segment, name: str | None = None) -> _Segment:
        """The segment written to a file of its own, returned memory-mapped from it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = name or f"{uuid.uuid4().hex}{self.SUFFIX}"
        arrays = [np.ascontiguousarray(getattr(seg, a), dtype=d) for a, d in _ARRAYS]
        part = self.folder / f"{name}.{os.getpid()}.part"
        with open(part, "wb") as f:
            for array in arrays:
                f.write(array.tobytes())
                f.write(b"\0" * (-array.nbytes % 8))
        os.replace(part, self.folder / name)
        return self.open(name, [len(a) for a in arrays], seg.first, seg.last)

    def open(self, name: str, lengths: list[int], first: int, last: int) -> _Segment:
        layout = self._layout(lengths)
        end = max((offset + n * np.dtype(dtype).itemsize for ((_, dtype), (offset, n)) in zip(_ARRAYS, layout)),
                  default=0)
        # one map of the file, viewed as each array (a zero-length map is refused)
        raw = np.memmap(self.folder / name, dtype=np.uint8, mode="r", shape=(end,)) if end else np.zeros(0, np.uint8)
        mapped = [raw[offset:offset + n * np.dtype(dtype).itemsize].view(dtype)
                  for (_, dtype), (offset, n) in zip(_ARRAYS, layout)]
        return _Segment(*mapped, first=first, last=last, file=name)

    def names(self) -> set[str]:
        return {p.name for p in self.folder.glob(f"*{self.SUFFIX}")} if self.folder.is_dir() else set()

    def remove(self, name: str) -> None:
        try:
            (self.folder / name).unlink()
        except FileNotFoundError:
            pass


class _BM25:
    """One BM25 index (folded or exact terms) over positions 0..capacity-1."""

    def __init__(self, files: SegmentFiles | None = None) -> None:
        self.vocab: dict[str, int] = {}
        self._df = np.zeros(1024, dtype=np.int32)
        self.lengths = np.zeros(0, dtype=np.float32)
        self.segments: list[_Segment] = []
        self.files = files
        self.dropped: list[str] = []     # files of segments merged away, for the owner to delete

    def __getstate__(self) -> dict:
        """Kept on disk with its spilled segments named, not copied: a file another
        process deleted is written again from this process's map of it."""
        state = dict(self.__dict__)
        segments = []
        for seg in self.segments:
            if seg.file is None:
                segments.append(seg)
                continue
            if self.files is not None and not (self.files.folder / seg.file).exists():
                self.files.write(seg, seg.file)
            segments.append(("file", seg.file, [len(getattr(seg, a)) for a, _ in _ARRAYS], seg.first, seg.last))
        state["segments"] = segments
        state["files"] = None
        state["dropped"] = []
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def attach(self, files: SegmentFiles | None) -> None:
        """Map the spilled segments a saved index names, from `files`' folder (the data
        dir may have moved since): a missing file raises, and the caller rebuilds."""
        self.files = files
        opened = []
        for seg in self.segments:
            if isinstance(seg, tuple):
                if files is None:
                    raise FileNotFoundError(f"segment {seg[1]} has no folder")
                opened.append(files.open(seg[1], seg[2], seg[3], seg[4]))
            else:
                opened.append(seg)
        self.segments = opened

    def _keep(self, seg: _Segment) -> _Segment:
        if self.files is not None and seg.postings >= self.files.spill_at:
            return self.files.write(seg)
        return seg

    def term_id(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = len(self.vocab)
            if tid >= len(self._df):
                self._df = np.concatenate([self._df, np.zeros(len(self._df), dtype=np.int32)])
        return tid

    def df(self, term: str) -> int:
        tid = self.vocab.get(term)
        return int(self._df[tid]) if tid is not None else 0

    def add(self, passages: list[list[str]], first: int) -> None:
        terms, docs, tf, lengths = [], [], [], []
        for offset, words in enumerate(passages):
            counts: dict[int, int] = {}
            for word in words or [EMPTY]:
                tid = self.term_id(word)
                counts[tid] = counts.get(tid, 0) + 1
            terms.extend(counts)
            tf.extend(counts.values())
            docs.extend([first + offset] * len(counts))
            lengths.append(len(words) or 1)
        self.lengths = np.concatenate([self.lengths, np.asarray(lengths, dtype=np.float32)])
        if not terms:
            return
        terms_a = np.asarray(terms, dtype=np.int32)
        np.add.at(self._df, terms_a, 1)
        self.segments.append(self._keep(
            _segment(terms_a, np.asarray(docs, dtype=np.int32), np.asarray(tf, dtype=np.float32))))

    def remove(self, dead: np.ndarray) -> None:
        """Take the passages at these positions out of the term statistics (their
        postings stay until the next merge, masked by the live mask). A report's
        positions are one run, so only the segments spanning it are read."""
        lo, hi = int(dead.min()), int(dead.max())
        for seg in self.segments:
            if seg.last < lo or seg.first > hi:
                continue
            hit = np.isin(seg.docs, dead)
            if hit.any():
                np.subtract.at(self._df, np.repeat(seg.term_ids, np.diff(seg.indptr))[hit], 1)

    def merge(self, live: np.ndarray) -> None:
        while len(self.segments) > 1 and self.segments[-2].postings <= MERGE_RATIO * self.segments[-1].postings \
                and self.segments[-2].postings + self.segments[-1].postings <= MAX_SEGMENT:
            a, b = self.segments[-2], self.segments[-1]
            parts = [np.concatenate(x) for x in zip(a.triples(), b.triples())]
            keep = live[parts[1]]        # postings of removed passages go at merge time
            self.segments[-2:] = [self._keep(_segment(parts[0][keep], parts[1][keep], parts[2][keep]))]
            self.dropped.extend(s.file for s in (a, b) if s.file)

    def scores(self, words: list[str], live: np.ndarray, n: int, avgdl: float,
               spans: tuple[np.ndarray, np.ndarray] | None = None, local: float = 0.0) -> np.ndarray:
        out = np.zeros(len(self.lengths), dtype=np.float32)
        # A term asked twice weighs twice, as bm25s's get_scores counts it.
        asked: dict[int, int] = {}
        for word in words:
            tid = self.vocab.get(word)
            if tid is not None:
                asked[tid] = asked.get(tid, 0) + 1
        if not asked or not n:
            return out
        ids = np.fromiter(asked, dtype=np.int32, count=len(asked))
        times = np.fromiter(asked.values(), dtype=np.float32, count=len(asked))
        per_segment = []
        for seg in self.segments:
            found = list(seg.lookup(ids))
            if spans is not None:
                found = [cut for cut in (_within(hit, spans) for hit in found) if cut is not None]
            per_segment.append(found)
        idf = _idf(self._df[ids].astype(np.float64), n)
        if local and spans is not None:
            # Inside the reports a question is scoped to, a word's weight leans on its
            # rarity among their passages: which reports was the scope's question, which
            # of their sections is this one's ("FDI" is in every report of a layout). A
            # few dozen passages estimate rarity loosely, so the collection's stays in.
            inside = np.concatenate([np.arange(a, b) for a, b in zip(spans[0].tolist(), spans[1].tolist())])
            inside = inside[live[inside]] if len(inside) else inside
            if not len(inside):
                return out
            df = np.zeros(len(ids), dtype=np.float64)
            for found in per_segment:
                for i, d, _ in found:
                    df[i] += int(np.count_nonzero(live[d]))
            idf = local * _idf(df, len(inside)) + (1.0 - local) * idf
            avgdl = float(self.lengths[inside].mean())
        idf = (idf * times).astype(np.float32)
        scale = B / max(avgdl, 1e-9)
        for found in per_segment:
            if not found:
                continue
            # all asked terms of a segment in one pass: a posting's share is
            # idf · tf / (tf + k1 · (1 - b + b · len / avgdl))
            docs = np.concatenate([d for _, d, _ in found])
            tf = np.concatenate([f for _, _, f in found]).astype(np.float32)
            idf_each = np.repeat(idf[[i for i, _, _ in found]], [len(d) for _, d, _ in found])
            norm = K1 * ((1 - B) + scale * self.lengths[docs])
            out += np.bincount(docs, weights=idf_each * tf / (norm + tf), minlength=len(out)).astype(np.float32)
        out[~live] = 0.0
        return out


def _idf(df: np.ndarray, n: int) -> np.ndarray:
    return np.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _within(hit: tuple[int, np.ndarray, np.ndarray], spans: tuple[np.ndarray, np.ndarray]):
    """A term's postings inside the spans [start, stop) of positions: a term's positions
    are sorted, so each span is two binary searches, not a pass over the postings."""
    i, docs, tf = hit
    lo, hi = np.searchsorted(docs, spans[0]), np.searchsorted(docs, spans[1])
    pieces = [(a, b) for a, b in zip(lo.tolist(), hi.tolist()) if b > a]
    if not pieces:
        return None
    if len(pieces) == 1:
        return i, docs[pieces[0][0]:pieces[0][1]], tf[pieces[0][0]:pieces[0][1]]
    at = np.concatenate([np.arange(a, b) for a, b in pieces])
    return i, docs[at], tf[at]


class _DocFreq(Mapping):
    """df of a term among the live passages, read as a dict (`stats.df.get(term, 0)`)."""

    def __init__(self, bm25: _BM25) -> None:
        self._bm25 = bm25

    def __getitem__(self, term: str) -> int:
        if term not in self._bm25.vocab:
            raise KeyError(term)
        return self._bm25.df(term)

    def get(self, term, default=None):
        df = self._bm25.df(term)
        return df if df or term in self._bm25.vocab else default

    def __iter__(self):
        return (t for t in self._bm25.vocab if self._bm25.df(t))

    def __len__(self) -> int:
        return int(np.count_nonzero(self._bm25._df[: len(self._bm25.vocab)]))


class LexicalIndex:
    def __init__(self, texts: list[str] = (), bigrams: bool = True, files: SegmentFiles | None = None) -> None:
        self.bigrams = bigrams
        self._folded = _BM25(files)
        self._exact = _BM25(files)
        self.live = np.zeros(0, dtype=bool)
        # A report is added while questions are scored in other threads: both take the
        # lock, held for array work only (terms are made outside it).
        self._lock = threading.RLock()
        self._live_length = [0.0, 0.0]      # summed lengths of live passages (folded, exact)
        # Document frequencies of folded terms: the answerer weighs question words by
        # how rare they are in what is indexed, and treats unseen words as off-topic.
        self.df = _DocFreq(self._folded)
        self.df_exact = _DocFreq(self._exact)     # as written: "dê" is not "để"
        if texts:
            self.add(list(texts))

    def __getstate__(self) -> dict:      # kept on disk (DocumentIndex's cache): no lock
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def attach(self, files: SegmentFiles | None) -> None:
        """After loading a saved index: map its spilled segments from `files`."""
        self._folded.attach(files)
        self._exact.attach(files)

    def spilled(self) -> set[str]:
        """The files this index's segments are in."""
        return {s.file for bm in (self._folded, self._exact) for s in bm.segments if getattr(s, "file", None)}

    def take_dropped(self) -> list[str]:
        """Files of segments merged away since the last call."""
        with self._lock:
            out = self._folded.dropped + self._exact.dropped
            self._folded.dropped, self._exact.dropped = [], []
            return out

    @property
    def size(self) -> int:
        """Live passages."""
        return int(np.count_nonzero(self.live))

    @property
    def capacity(self) -> int:
        """Positions handed out, live or removed: the length of a score vector."""
        return len(self.live)

    def add(self, texts: list[str]) -> range:
        """Index passages at the next positions; returns those positions."""
        folded, exact = zip(*(index_terms(t, self.bigrams) for t in texts)) if texts else ((), ())
        with self._lock:
            first = self.capacity
            self._folded.add(list(folded), first)
            self._exact.add(list(exact), first)
            self.live = np.concatenate([self.live, np.ones(len(texts), dtype=bool)])
            self._live_length[0] += float(self._folded.lengths[first:].sum())
            self._live_length[1] += float(self._exact.lengths[first:].sum())
            self._merge()
            return range(first, self.capacity)

    def remove(self, positions) -> None:
        with self._lock:
            dead = np.asarray([p for p in positions if self.live[p]], dtype=np.int32)
            if not len(dead):
                return
            self._folded.remove(dead)
            self._exact.remove(dead)
            live = self.live.copy()      # a snapshot's mask is its own; this one is replaced whole
            live[dead] = False
            self.live = live
            self._live_length[0] -= float(self._folded.lengths[dead].sum())
            self._live_length[1] -= float(self._exact.lengths[dead].sum())

    def _merge(self) -> None:
        self._folded.merge(self.live)
        self._exact.merge(self.live)

    @property
    def segments(self) -> int:
        return len(self._folded.segments)

    def idf(self, term: str) -> float:
        """BM25-style idf; a term never seen gets the rarest possible weight."""
        n = max(self.size, 1)
        df = self.df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # Scoring only inside spans pays when they are few and small beside the collection:
    # a question about one report of ten thousand reads that report's postings alone.
    SPANS_AT_MOST = 64

    def scores(self, query: str, spans: list[range] | None = None, local: float = 0.0) -> np.ndarray:
        """A score per position (0 for removed ones); with `spans`, positions outside them
        may score 0 as well (they are not read when that is cheaper). `local`: with a few
        spans, a term's idf leans this far (0 to 1) towards its idf among the passages
        inside them, and the mean length is theirs."""
        folded, exact = index_terms(query, self.bigrams)
        within = None
        few = spans is not None and len(spans) <= self.SPANS_AT_MOST
        if few and (local or sum(len(r) for r in spans) * 8 < self.capacity):
            within = (np.asarray([r.start for r in spans], dtype=np.int64), np.asarray([r.stop for r in spans], dtype=np.int64))
        local = local if within is not None else 0.0
        with self._lock:
            n = self.size
            if not n:
                return np.zeros(self.capacity, dtype=np.float32)
            total = self._folded.scores(folded, self.live, n, self._live_length[0] / n, within, local)
            if has_diacritics(query):
                total += self._exact.scores(exact, self.live, n, self._live_length[1] / n, within, local)
            return total

    def search(self, query: str, k: int, allowed: np.ndarray | None = None,
               spans: list[range] | None = None, local: float = 0.0) -> list[LexicalHit]:
        """Top k by BM25; `allowed` is a boolean mask over positions (e.g. one report
        only), `spans` the same positions as ranges when the caller has them; `local`:
        weighed by the statistics of those reports' passages."""
        scores = self.scores(query, spans, local)
        if allowed is not None:
            # positions added after the caller's snapshot was made are not its to see
            mask = np.zeros(len(scores), dtype=bool)
            mask[: min(len(allowed), len(scores))] = allowed[: len(scores)]
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        if not k:
            return []
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        order = top[np.lexsort((top, -scores[top]))]      # best first; ties by position, as a stable sort
        return [LexicalHit(int(i), float(scores[i])) for i in order if scores[i] > 0]


def terms_of(text: str) -> set[str]:
    """Folded syllables and adjacent pairs of a passage: what coverage is counted in."""
    return set(with_bigrams(folded_tokens(text)))

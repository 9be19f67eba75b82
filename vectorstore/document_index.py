"""The store of indexed reports: Chroma collections, the document registry, and the
lexical index derived from them.

Three collections per embedding model (vectors of different models never mix):
- `<ns>-docs`: the registry, one record per report, keyed by doc_id, holding the
  content hash of the version that is live;
- `<ns>-sections`: each section's full text (evidence panel, quotes);
- `<ns>-chunks`: the chunks with their embeddings;
- `<ns>-sources`: what the reader made of each report's file (its text and blocks), so
  every report can be parsed again after a parser change without its file.
Section and chunk records carry `version` = doc_id@hash. Writers add the new version's
records first, then flip the registry record, then delete the old version, so a reader
(in this or another process) only ever sees records of the version the registry names:
a crash at any point leaves the old report or the new one, never a mix.

Everything lives in Chroma, so several app processes sharing one Chroma server see the
same reports. A fifth collection, `<ns>-state`, holds the registry's generation: a token
every writer changes after its switch. A reader checks that one record per question and
reads the registry only when it changed; then it fetches the chunks of the versions that
appeared and drops those of the versions that went, updating its in-memory BM25 per
report (vectorstore/lexical.py), so a report ingested by another process is answerable
after one registry read and that report's chunks, whatever the collection's size.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import threading
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.loaders import LoadedText
from ingest.metadata import Period
from ingest.normalize import Block
from ingest.pipeline import PreparedReport
from ingest.vntext import fold, name_pairs, sentence_spans, tokens
from vectorstore.lexical import SPILL_AT, LexicalIndex, SegmentFiles, terms_of
from vectorstore.vocabulary import SyllableStats

Progress = Callable[[int, int], None]   # (chunks embedded, total)
log = logging.getLogger(__name__)


_COUNCIL_WORDS = frozenset(fold(t) for t in tokens("ủy ban nhân dân tỉnh huyện"))


class StoreError(RuntimeError):
    """The vector store cannot be reached or refused an operation."""


def make_chroma_client(data_dir: Path, chroma_url: str | None = None, database: str | None = None):
    """Embedded PersistentClient under data_dir, or HttpClient for a `chroma run` server.

    `database` picks a Chroma database on the server (created when missing), so several
    independent stores (one per team, one per test) can share one server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if chroma_url:
            from urllib.parse import urlparse

            url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
            host, port, ssl = url.hostname or "127.0.0.1", url.port or 8000, url.scheme == "https"
            if database:
                _ensure_database(host, port, ssl, database)
            return chromadb.HttpClient(
                host=host, port=port, ssl=ssl, settings=chroma_settings,
                database=database or chromadb.DEFAULT_DATABASE,
            )
        path = Path(data_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:  # connection refused, unwritable dir, bad URL ...
        raise StoreError(f"Không kết nối được kho Chroma ({chroma_url or data_dir}): {exc}") from exc


def _ensure_database(host: str, port: int, ssl: bool, database: str) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    admin = chromadb.AdminClient(ChromaSettings(
        chroma_api_impl="chromadb.api.fastapi.FastAPI", chroma_server_host=host,
        chroma_server_http_port=port, chroma_server_ssl_enabled=ssl, anonymized_telemetry=False,
    ))
    try:
        admin.get_database(database)
    except Exception:  # chromadb raises NotFoundError (not exported consistently across versions)
        admin.create_database(database)


@dataclass
class DocumentRecord:
    doc_id: str
    title: str
    content_hash: str
    sections: int
    chunks: int
    indexed_at: str
    source: str = ""
    date: str = ""
    meta: dict = field(default_factory=dict)    # place, issuer, signer, kind, number

    @property
    def version(self) -> str:
        return f"{self.doc_id}@{self.content_hash[:16]}"

    @property
    def ocr(self) -> bool:
        return bool(self.meta.get("ocr"))

    @property
    def serial(self) -> str:
        """The number's serial ("435" of "435/QĐ-UBND"), "" when the copy is unnumbered."""
        match = re.match(r"\d+", self.meta.get("number", ""))
        return match.group(0).lstrip("0") if match else ""

    def period(self) -> Period | None:
        """The period the report covers, as its metadata stores it; None when unread."""
        p = self.meta.get("period") or {}
        if not (p.get("start", "")[:4].isdigit() and p.get("end", "")[:4].isdigit()):
            return None
        return Period(p.get("label", ""), p["start"], p["end"])

    def years(self) -> set[str]:
        """The years the document speaks of: its period, else the year it is dated."""
        period = self.period()
        if period is not None:
            return period.years()
        return {self.date[:4]} if self.date[:4].isdigit() else set()

    def public(self) -> dict:
        out = {
            "doc_id": self.doc_id, "title": self.title, "date": self.date,
            "sections": self.sections, "chunks": self.chunks, "indexed_at": self.indexed_at,
        }
        for key in ("kind", "number", "issuer", "place", "level", "period"):
            if self.meta.get(key):
                out[key] = self.meta[key]      # what the document states about itself (CONTRACT.md)
        if self.ocr:
            out["ocr"] = True        # the text was read from a scan
        return out


@dataclass
class StoredChunk:
    chunk_id: str
    doc_id: str
    section_id: str
    section_path: str
    heading: str
    text: str
    start: int
    end: int
    order: int
    programme: bool

    def search_text(self) -> str:
        return f"{self.section_path}\n{self.text}"


@dataclass
class StoredSection:
    doc_id: str
    section_id: str
    level: int
    heading: str
    section_path: str
    text: str
    order: int
    programme: bool
    kind: str


@dataclass
class IngestResult:
    record: DocumentRecord
    status: str              # "indexed" | "unchanged" | "replaced"

    def public(self) -> dict:
        return {
            "doc_id": self.record.doc_id, "title": self.record.title,
            "sections": self.record.sections, "chunks": self.record.chunks, "status": self.status,
        }


@dataclass
class Snapshot:
    """What is live at one registry state: records, chunks, and a BM25 over them.

    Chunk positions are stable across snapshots: a report's chunks are appended when it
    appears and tombstoned when it goes (`live`), so the lexical index and the per-chunk
    caches carry over from one registry state to the next."""

    signature: tuple
    records: dict[str, DocumentRecord]
    by_position: list[StoredChunk]   # chunks of reports gone since stay there, not live
    positions: dict[str, int]     # chunk id -> position, live chunks only
    lexical: LexicalIndex
    vocabulary: SyllableStats     # the reports' accented spellings, for restoring a question's
    ranges: dict[str, range]      # doc_id -> its chunks' positions
    live: np.ndarray              # position -> live at this registry state
    doc_ids: list[str]            # the live reports, sorted
    doc_lexical: LexicalIndex     # BM25 over whole reports: which report a question is about
    doc_slots: dict[str, int]     # doc_id -> its position in doc_lexical
    doc_level: dict[str, str]     # "tinh" / "huyen": the administrative level a report speaks for
    identity: frozenset[str]      # folded word pairs naming the reports (place, issuer), and "ủy ban nhân dân tỉnh huyện"
    names: dict[str, frozenset[str]] = field(default_factory=dict)   # doc_id -> word pairs of its title, place, issuer
    places: dict[str, frozenset[str]] = field(default_factory=dict)  # doc_id -> word pairs of its place ("Hòa Sơn")
    generation: str | None = None  # the registry's generation token this state was read at

    _terms: "TermsCache" = field(default_factory=lambda: TermsCache())

    @property
    def live_chunks(self) -> int:
        return int(np.count_nonzero(self.live))

    @property
    def chunks(self) -> list[StoredChunk]:
        """The live chunks, in position order (a copy: for listing, not per question)."""
        return [c for c, alive in zip(self.by_position, self.live) if alive]

    def passage_terms(self, pos: int) -> tuple[set[str], list[tuple[str, set[str]]]]:
        """(terms of heading path + chunk, [(sentence, its terms)]), computed once."""
        cached = self._terms.get(pos)
        if cached is None:
            chunk = self.by_position[pos]
            spans = sentence_spans(chunk.text)
            header = next((chunk.text[s:e] for s, e in spans if chunk.text[s:e].startswith("|")), "")
            # A table row is read with its header ("| Chỉ tiêu | Năm 2026 |").
            sentences = [
                (chunk.text[s:e], terms_of(chunk.text[s:e] + (" " + header if chunk.text[s:e].startswith("|") else "")))
                for s, e in spans
            ]
            cached = (terms_of(chunk.search_text()), sentences or [("", set())])
            self._terms.put(pos, cached)
        return cached

    def mask(self, doc_ids: list[str] | None) -> np.ndarray:
        """Positions a search may return: the live chunks of these reports (all when None).
        Always this state's, so a question keeps to the registry state it started at."""
        if not doc_ids:
            return self.live
        out = np.zeros(len(self.live), dtype=bool)
        for doc_id in doc_ids:
            span = self.ranges.get(doc_id)
            if span is not None:
                out[span.start:span.stop] = True
        return out & self.live

    def search_lexical(self, query: str, k: int, doc_ids: list[str] | None = None, local: float = 0.0) -> list:
        """BM25 top k among these reports' live chunks (all when None); `local`: how far
        a word's rarity is read among their passages rather than the collection's."""
        spans = [self.ranges[d] for d in doc_ids if d in self.ranges] if doc_ids else None
        return self.lexical.search(query, k, self.mask(doc_ids), spans, local=local if doc_ids else 0.0)

    def doc_positions(self, doc_id: str) -> range:
        return self.ranges.get(doc_id, range(0))

    def report_scores(self, query: str) -> dict[str, float]:
        """BM25 of the question against each live report as a whole."""
        scores = self.doc_lexical.scores(query)
        return {d: float(scores[slot]) for d, slot in self.doc_slots.items()}


def administrative_level(text: str) -> str:
    """Whether a report speaks for a province or a district: the one it names far more."""
    words = tokens(text)
    province, district = words.count("tỉnh"), words.count("huyện")
    if province > 2 * district:
        return "tinh"
    if district > 2 * province:
        return "huyen"
    return ""


def _record_from(meta: dict, document: str | None) -> DocumentRecord:
    extra = json.loads(document or "{}")
    return DocumentRecord(
        doc_id=meta["doc_id"], title=meta.get("title", ""), content_hash=meta["content_hash"],
        sections=int(meta.get("sections", 0)), chunks=int(meta.get("chunks", 0)),
        indexed_at=meta.get("indexed_at", ""), source=meta.get("source", ""), date=meta.get("date", ""),
        meta=extra,
    )


class DocumentIndex:
    def __init__(self, client, namespace: str, embeddings: Embeddings, embed_batch: int = 16, bigrams: bool = True,
                 cache: Path | None = None, spill_at: int = SPILL_AT):
        self._client = client
        # This process's chunks and lexical index, kept on disk between runs: a new
        # process starts from it and fetches only the versions the registry gained since.
        self._cache = cache
        # Its large postings are files beside it, memory-mapped (vectorstore/lexical.py).
        self._files = SegmentFiles(cache.with_suffix(".segments"), spill_at) if cache is not None and spill_at > 0 else None
        self._saved_files: set[str] = set()           # the segment files the kept index names
        self._saved_versions: int | None = None     # reports in the file on disk, None before one is
        self._unsaved = 0                             # versions added or dropped since
        self._embeddings = embeddings
        self._embed_batch = embed_batch
        self._bigrams = bigrams
        # Writers take the write lock for a whole ingest (embedding may take a minute);
        # readers only take the snapshot lock, so questions are answered meanwhile from
        # the version the registry names.
        self._write_lock = threading.RLock()
        self._snapshot_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._live: _LiveChunks | None = None      # what the snapshots share, updated per report
        # A version's sections never change (a new version gets new records), so they are
        # kept by version: the answerer reads a few sections per question, and fetching
        # a report's whole section list from Chroma each time cost ~4 ms a read.
        self._section_cache: OrderedDict[str, tuple[list[StoredSection], dict[str, StoredSection]]] = OrderedDict()
        self._section_cache_lock = threading.Lock()
        self._vector_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vector_lock = threading.Lock()
        try:
            self._docs = client.get_or_create_collection(f"{namespace}-docs", embedding_function=None)
            self._sections = client.get_or_create_collection(f"{namespace}-sections", embedding_function=None)
            self._chunks = client.get_or_create_collection(
                f"{namespace}-chunks", embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
            self._sources = client.get_or_create_collection(f"{namespace}-sources", embedding_function=None)
            self._state = client.get_or_create_collection(f"{namespace}-state", embedding_function=None)
            if self.generation() is None:
                self._bump_generation()     # a store written before the token: readers get one to compare
        except Exception as exc:
            raise StoreError(f"Không mở được kho Chroma: {exc}") from exc
        self._names: dict[str, tuple[tuple, frozenset[str], frozenset[str], frozenset[str]]] = {}

    # ----- registry -----------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        got = self._docs.get(include=["metadatas", "documents"])
        records = [_record_from(m, d) for m, d in zip(got["metadatas"] or [], got["documents"] or [])]
        return sorted(records, key=lambda r: r.indexed_at)

    def document(self, doc_id: str) -> DocumentRecord | None:
        got = self._docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return _record_from(got["metadatas"][0], got["documents"][0])

    def _by_hash(self, content_hash: str) -> DocumentRecord | None:
        got = self._docs.get(where={"content_hash": content_hash}, include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return _record_from(got["metadatas"][0], got["documents"][0])

    # ----- writing ------------------------------------------------------------------
    def add(self, report: PreparedReport, progress: Progress | None = None) -> IngestResult:
        with self._write_lock:
            existing = self.document(report.doc_id)
            if existing and existing.content_hash == report.content_hash:
                if existing.title != report.title:
                    existing.title = report.title
                    self._put_record(existing)
                    self._bump_generation()
                return IngestResult(existing, "unchanged")
            duplicate = self._by_hash(report.content_hash)
            if duplicate:
                return IngestResult(duplicate, "unchanged")

            meta = report.metadata.to_dict()
            record = DocumentRecord(
                doc_id=report.doc_id, title=report.title, content_hash=report.content_hash,
                sections=len(report.parsed.sections), chunks=len(report.chunks),
                indexed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                source=report.source, date=meta.get("date", ""),
                meta={k: v for k, v in meta.items() if k not in ("title", "date")} | ({"ocr": True} if report.ocr else {}),
            )
            version = record.version
            # Leftovers of an earlier interrupted ingest of this report are invisible
            # (their version is not in the registry); clear them before writing.
            self._delete_versions(report.doc_id, keep=existing.version if existing else None)
            self._write_sections(report, version)
            self._write_chunks(report, version, progress)
            self._put_source(report)
            self._put_record(record)                 # the switch: readers now see the new version
            self._bump_generation()
            self._delete_versions(report.doc_id, keep=version)
            return IngestResult(record, "replaced" if existing else "indexed")

    def delete(self, doc_id: str) -> bool:
        with self._write_lock:
            if self.document(doc_id) is None:
                return False
            self._docs.delete(ids=[doc_id])          # invisible from here on
            self._bump_generation()
            self._delete_versions(doc_id, keep=None)
            self._sources.delete(ids=[doc_id])
            return True

    _GENERATION = "registry"

    def _bump_generation(self) -> None:
        """Tell every reader, in any process, that the registry changed. A token, not a
        counter: two writers need no read-modify-write to make it differ."""
        self._state.upsert(ids=[self._GENERATION], embeddings=[[1.0]], documents=[uuid.uuid4().hex])

    def generation(self) -> str | None:
        """The registry's generation token; None for a store written before it existed
        (then readers compare the registry itself, as they did)."""
        got = self._state.get(ids=[self._GENERATION], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def _put_record(self, record: DocumentRecord) -> None:
        self._docs.upsert(
            ids=[record.doc_id], embeddings=[[1.0]],
            documents=[json.dumps(record.meta, ensure_ascii=False)],
            metadatas=[{
                "doc_id": record.doc_id, "title": record.title, "content_hash": record.content_hash,
                "sections": record.sections, "chunks": record.chunks, "indexed_at": record.indexed_at,
                "source": record.source, "date": record.date,
            }],
        )

    def _put_source(self, report: PreparedReport) -> None:
        loaded = report.loaded
        if loaded is None:
            return
        kept = {"text": loaded.text, "source": loaded.source, "ocr": loaded.ocr, "pages": loaded.pages,
                "blocks": [[b.text, b.table, b.strong] for b in loaded.blocks]}
        self._sources.upsert(ids=[report.doc_id], embeddings=[[1.0]],
                             documents=[json.dumps(kept, ensure_ascii=False)],
                             metadatas=[{"doc_id": report.doc_id, "content_hash": report.content_hash}])

    def source(self, doc_id: str) -> LoadedText | None:
        """What the reader made of the report's file, as it was indexed; None for a report
        indexed before sources were kept."""
        got = self._sources.get(ids=[doc_id], include=["documents"])
        if not got["ids"]:
            return None
        kept = json.loads(got["documents"][0])
        return LoadedText(kept["text"], kept["source"], blocks=[Block(*b) for b in kept["blocks"]],
                          ocr=kept["ocr"], pages=kept["pages"])

    def _delete_versions(self, doc_id: str, keep: str | None) -> None:
        where = {"doc_id": doc_id} if keep is None else {"$and": [{"doc_id": doc_id}, {"version": {"$ne": keep}}]}
        self._chunks.delete(where=where)
        self._sections.delete(where=where)

    def _write_sections(self, report: PreparedReport, version: str) -> None:
        sections = report.parsed.sections
        # Chroma refuses a call larger than its max batch size (5,461 records on the
        # embedded client): a 10,000-section document goes in slices.
        step = max(1, min(self._max_batch(), 1000))
        for first in range(0, len(sections), step):
            batch = range(first, min(first + step, len(sections)))
            self._sections.upsert(
                ids=[f"{version}#s{i:04d}" for i in batch],
                embeddings=[[1.0]] * len(batch),
                documents=[sections[i].text for i in batch],
                metadatas=[{
                    "doc_id": report.doc_id, "version": version, "section_id": sections[i].section_id,
                    "level": sections[i].level, "heading": sections[i].heading,
                    "section_path": sections[i].section_path, "order": i,
                    "programme": sections[i].programme, "kind": sections[i].kind,
                } for i in batch],
            )

    def _max_batch(self) -> int:
        try:
            return int(self._client.get_max_batch_size())
        except Exception:       # an older server without the endpoint: Chroma's smallest default
            return 1000

    def _write_chunks(self, report: PreparedReport, version: str, progress: Progress | None) -> None:
        chunks = report.chunks
        total = len(chunks)
        for i in range(0, total, self._embed_batch):
            batch = chunks[i : i + self._embed_batch]
            vectors = self._embeddings.embed_documents([c.embedding_text() for c in batch])
            self._chunks.upsert(
                ids=[f"{version}#c{c.order:05d}" for c in batch],
                embeddings=vectors,
                documents=[c.text for c in batch],
                metadatas=[{
                    "doc_id": c.doc_id, "version": version, "section_id": c.section_id,
                    "section_path": c.section_path, "heading": c.heading, "start": c.start, "end": c.end,
                    "order": c.order, "programme": c.programme,
                } for c in batch],
            )
            if progress:
                progress(min(i + len(batch), total), total)

    # ----- reading ------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The live state. One small read when nothing changed (the generation token);
        when something did, the registry, then only the chunks of versions new to this
        process (in any process)."""
        generation = self.generation()
        current = self._snapshot
        if current is not None and generation is not None and current.generation == generation:
            return current
        records = {r.doc_id: r for r in self.documents()}
        with self._snapshot_lock:
            current = self._snapshot
            if current is not None and generation is not None and current.generation == generation:
                return current
            self._snapshot = self._advance(records, generation)
            return self._snapshot

    # A store whose positions are mostly tombstones is compacted: rebuilt from its live
    # reports, which costs what the first build did, once per as many replacements.
    _COMPACT_MIN_DEAD = 5000

    def _advance(self, records: dict[str, DocumentRecord], generation: str | None) -> Snapshot:
        signature = tuple(sorted((r.doc_id, r.content_hash) for r in records.values()))
        current = self._snapshot
        if current is not None and current.signature == signature:
            # same versions (a title changed, or another writer's no-op): no chunk moves
            if records == current.records:
                return replace(current, generation=generation)
            return replace(current, generation=generation, records=records, **self._record_views(records))
        versions = {r.version: r for r in records.values()}
        # this process's chunks, else the ones it kept on disk, else none: build
        live = self._live if current is not None else self._load_cache()
        if live is not None and not live.worth_updating(versions, self._COMPACT_MIN_DEAD):
            live = None
        if live is None:
            live = _LiveChunks(self._bigrams, self._files)
        gone = [v for v in live.ranges if v not in versions]
        live.remove(gone)
        new = [v for v in versions if v not in live.ranges]
        for first in range(0, len(new), self._FETCH_VERSIONS):
            batch = new[first:first + self._FETCH_VERSIONS]
            batch_records = {v: versions[v] for v in batch}
            live.add(self._fetch_chunks(batch, batch_records), batch_records)
        self._live = live
        if len(new) > 100:
            _return_freed_memory()      # a build's transient term lists, back to the system
        self._unsaved += len(new) + len(gone)
        if live.ranges and (self._saved_versions is None or self._unsaved >= max(50, len(live.ranges) // 20)):
            self._save_cache(live)
        self._drop_files(live)
        ranges = {versions[v].doc_id: span for v, span in live.ranges.items() if v in versions}
        if current is not None and current.by_position is live.chunks:
            # the same chunks: patch the last snapshot's id map with what changed since
            positions = dict(current.positions)
            for span in live.removed_since_view:
                for pos in span:
                    positions.pop(live.chunks[pos].chunk_id, None)
            positions.update((live.chunks[p].chunk_id, p) for p in range(live.view_mark, len(live.chunks)))
        else:
            positions = {live.chunks[p].chunk_id: p for span in ranges.values() for p in span}
        live.mark_view()
        return Snapshot(
            signature=signature, records=records, by_position=live.chunks, positions=positions,
            lexical=live.lexical, vocabulary=live.vocabulary, ranges=ranges, live=live.lexical.live.copy(),
            doc_ids=sorted(records), doc_lexical=live.doc_lexical,
            doc_slots={versions[v].doc_id: slot for v, slot in live.slots.items() if v in versions},
            doc_level={versions[v].doc_id: level for v, level in live.levels.items() if v in versions},
            generation=generation, _terms=live.terms, **self._record_views(records),
        )

    _FETCH_VERSIONS = 100
    _CACHE_FORMAT = 4       # 3: a date in figures or in words is one term (ingest/vntext.search_tokens);
                            # 4: words joined by a slash ("đồng/suất/lần") are words (ingest/vntext.tokens)

    @contextmanager
    def _cache_lock(self):
        """Processes sharing a data dir save and prune the kept index one at a time."""
        import fcntl

        self._cache.parent.mkdir(parents=True, exist_ok=True)
        with open(self._cache.with_suffix(".lock"), "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _load_cache(self) -> _LiveChunks | None:
        if self._cache is None or not self._cache.is_file():
            return None
        try:
            with self._cache_lock():
                with open(self._cache, "rb") as f:
                    kept = pickle.load(f)
                if kept.get("format") != self._CACHE_FORMAT or kept.get("bigrams") != self._bigrams:
                    return None
                live = kept["live"]
                live.attach(self._files)
            live.view_mark, live.removed_since_view = 0, []
            self._saved_versions, self._unsaved = len(live.ranges), 0
            self._saved_files = live.spilled()
            return live
        except Exception as exc:    # a torn or foreign file, a segment file gone: the store has everything, rebuild
            log.warning("lexical cache %s unreadable (%s); rebuilding from the store", self._cache, exc)
            return None

    def _drop_files(self, live: _LiveChunks) -> None:
        """Delete the files of segments merged away, unless the kept index still names
        them (they go at the next save)."""
        if self._files is None:
            return
        for name in live.take_dropped():
            if name not in self._saved_files:
                self._files.remove(name)

    def _save_cache(self, live: _LiveChunks) -> None:
        """Written whole and renamed, so a reader never opens a torn file; the saves
        grow rarer as the collection grows (every 5% of its reports)."""
        if self._cache is None:
            return
        try:
            part = self._cache.with_suffix(f".{os.getpid()}.part")
            with self._cache_lock():      # (the per-passage terms cache pickles empty)
                with open(part, "wb") as f:
                    pickle.dump({"format": self._CACHE_FORMAT, "bigrams": self._bigrams, "live": live}, f,
                                protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(part, self._cache)
                # Files the kept index no longer names go: another process that still
                # maps one reads on (an unlinked file lives while mapped) and writes it
                # again when it saves.
                self._saved_files = live.spilled()
                for name in self._files.names() - self._saved_files:
                    self._files.remove(name)
            self._saved_versions, self._unsaved = len(live.ranges), 0
        except OSError as exc:      # a full or read-only disk costs the next start time, nothing else
            log.warning("lexical cache not written (%s)", exc)

    def _record_views(self, records: dict[str, DocumentRecord]) -> dict:
        """What the snapshot reads off the registry records alone (names, places,
        identity), worked out once per record as it reads."""
        for doc_id in [d for d in self._names if d not in records]:
            del self._names[doc_id]
        for doc_id, r in records.items():
            key = (r.title, r.meta.get("place", ""), r.meta.get("issuer", ""))
            if doc_id not in self._names or self._names[doc_id][0] != key:
                self._names[doc_id] = (
                    key, name_pairs(" \n ".join(key)), name_pairs(key[1]), name_pairs(" \n ".join(key[1:])))
        views = {d: self._names[d] for d in sorted(records)}
        return dict(
            # A name is its whole run: "Hà Nam" names a report, "năm" alone does not.
            # With a province's worth of places, their single syllables would be half
            # the language ("bình quân", "đồng", "an ninh").
            identity=_COUNCIL_WORDS.union(*(v[3] for v in views.values())),
            names={d: v[1] for d, v in views.items()},
            places={d: v[2] for d, v in views.items()},
        )

    def _fetch_chunks(self, versions: list[str], records: dict[str, DocumentRecord] | None = None) -> dict[str, list[StoredChunk]]:
        if not versions:
            return {}
        got = None
        if records:
            # by id, as sections are: a report's chunks are c00000 … in order
            ids = [f"{v}#c{o:05d}" for v in versions for o in range(records[v].chunks)]
            got = {"ids": [], "metadatas": [], "documents": []}
            for at in range(0, len(ids), 5000):      # under SQLite's limit of bound variables
                part = self._chunks.get(ids=ids[at:at + 5000], include=["metadatas", "documents"])
                for key in got:
                    got[key].extend(part[key])
            if len(got["ids"]) < len(ids):
                got = None
        if got is None:
            where = {"version": {"$in": versions}} if len(versions) > 1 else {"version": versions[0]}
            got = self._chunks.get(where=where, include=["metadatas", "documents"])
        out: dict[str, list[StoredChunk]] = {v: [] for v in versions}
        for cid, meta, text in zip(got["ids"], got["metadatas"], got["documents"]):
            out[meta["version"]].append(StoredChunk(
                chunk_id=cid, doc_id=meta["doc_id"], section_id=meta["section_id"],
                section_path=meta["section_path"], heading=meta["heading"], text=text,
                start=int(meta["start"]), end=int(meta["end"]), order=int(meta["order"]),
                programme=bool(meta["programme"]),
            ))
        for chunks in out.values():
            chunks.sort(key=lambda c: c.order)
        return out

    # A question kept to a few reports is scored exactly against their vectors here: a
    # filtered Chroma query scans the metadata of the whole collection (36 ms at 26,554
    # chunks, growing with it), fetching a report's vectors by id does not, and a
    # version's vectors never change, so they are kept.
    _EXACT_AT_MOST = 4096
    _VECTOR_CACHE = 40_000

    def dense_search(self, vector: list[float], k: int, snapshot: Snapshot, doc_ids: list[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position in snapshot, cosine similarity), best first."""
        versions = [r.version for r in snapshot.records.values() if not doc_ids or r.doc_id in doc_ids]
        if not versions:
            return []
        if doc_ids and sum(len(snapshot.doc_positions(d)) for d in doc_ids) <= self._EXACT_AT_MOST:
            return self._exact_search(np.asarray(vector, dtype=np.float32), k, snapshot,
                                      [r for r in snapshot.records.values() if r.doc_id in doc_ids])
        if len(versions) == len(snapshot.records) and len(versions) > 1:
            # Every report: a filter listing every version costs Chroma a metadata scan
            # per question. Chunks of versions not live here (an ingest half done, one
            # replaced since) are rare; ask for a few more and drop them.
            got = self._chunks.query(query_embeddings=[vector], n_results=min(k + 16, snapshot.live_chunks) or 1,
                                     include=["distances"])
            hits = self._positions(got, snapshot)
            if len(hits) >= min(k, snapshot.live_chunks):
                return hits[:k]
        where = {"version": {"$in": versions}} if len(versions) > 1 else {"version": versions[0]}
        got = self._chunks.query(query_embeddings=[vector], n_results=min(k, snapshot.live_chunks) or 1,
                                 where=where, include=["distances"])
        return self._positions(got, snapshot)

    def _exact_search(self, query: np.ndarray, k: int, snapshot: Snapshot,
                      records: list[DocumentRecord]) -> list[tuple[int, float]]:
        positions, blocks = [], []
        for record in records:
            span = snapshot.doc_positions(record.doc_id)
            if not len(span):
                continue
            vectors = self._vectors(record.version, [snapshot.by_position[p].chunk_id for p in span], len(query))
            positions.append(np.arange(span.start, span.stop))
            blocks.append(vectors)
        if not blocks:
            return []
        sims = np.concatenate(blocks) @ (query / max(float(np.linalg.norm(query)), 1e-12))
        at = np.concatenate(positions)
        order = np.argsort(-sims, kind="stable")[:k]
        return [(int(at[i]), float(sims[i])) for i in order]

    def _vectors(self, version: str, chunk_ids: list[str], dim: int) -> np.ndarray:
        """A version's chunk vectors, unit length, in the order of chunk_ids."""
        with self._vector_lock:
            kept = self._vector_cache.get(version)
            if kept is not None:
                self._vector_cache.move_to_end(version)
                return kept
        got = self._chunks.get(ids=chunk_ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        # a chunk deleted since the snapshot was made scores nothing
        matrix = self._unit(np.asarray([by_id.get(c, np.zeros(dim)) for c in chunk_ids], dtype=np.float32))
        if len(by_id) < len(chunk_ids):
            return matrix          # not kept: that version is going
        with self._vector_lock:
            self._vector_cache[version] = matrix
            held = sum(len(m) for m in self._vector_cache.values())
            while held > self._VECTOR_CACHE and len(self._vector_cache) > 1:
                held -= len(self._vector_cache.popitem(last=False)[1])
        return matrix

    @staticmethod
    def _unit(matrix: np.ndarray) -> np.ndarray:
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)

    @staticmethod
    def _positions(got, snapshot: Snapshot) -> list[tuple[int, float]]:
        hits = []
        for cid, dist in zip(got["ids"][0], got["distances"][0]):
            pos = snapshot.positions.get(cid)
            if pos is not None:
                hits.append((pos, 1.0 - float(dist)))
        return hits

    _SECTION_CACHE_VERSIONS = 64

    def _version_sections(self, doc_id: str, fresh: bool = False) -> tuple[list[StoredSection], dict[str, StoredSection]]:
        # The version live in the last snapshot (made for the question being answered),
        # else the registry's.
        snapshot = None if fresh else self._snapshot
        record = snapshot.records.get(doc_id) if snapshot is not None else None
        record = record or self.document(doc_id)
        if record is None:
            return [], {}
        with self._section_cache_lock:
            cached = self._section_cache.get(record.version)
            if cached is not None:
                self._section_cache.move_to_end(record.version)
                return cached
        # by id, which costs the same at any size; a metadata filter reads the index
        # of the whole collection (37 ms a report at 2,000 reports)
        got = self._sections.get(ids=[f"{record.version}#s{i:04d}" for i in range(record.sections)],
                                 include=["metadatas", "documents"])
        if len(got["ids"]) < record.sections:
            got = self._sections.get(where={"version": record.version}, include=["metadatas", "documents"])
        out = sorted((StoredSection(
            doc_id=m["doc_id"], section_id=m["section_id"], level=int(m["level"]), heading=m["heading"],
            section_path=m["section_path"], text=t, order=int(m["order"]), programme=bool(m["programme"]),
            kind=m["kind"],
        ) for m, t in zip(got["metadatas"], got["documents"])), key=lambda s: s.order)
        entry = (out, {s.section_id: s for s in reversed(out)})     # the first of a repeated id wins
        if not out and not fresh:
            return self._version_sections(doc_id, fresh=True)   # replaced since that snapshot
        if out:       # none yet: the version may still be being written
            with self._section_cache_lock:
                self._section_cache[record.version] = entry
                while len(self._section_cache) > self._SECTION_CACHE_VERSIONS:
                    self._section_cache.popitem(last=False)
        return entry

    def sections(self, doc_id: str) -> list[StoredSection]:
        return list(self._version_sections(doc_id)[0])

    def section(self, doc_id: str, section_id: str) -> StoredSection | None:
        return self._version_sections(doc_id)[1].get(section_id)


class TermsCache:
    """Passage terms by chunk position, the most recently used kept. A passage's term
    sets take about 50 KB, and an archive's questions reach ever more passages: kept
    unbounded, this cache outgrew the indexes themselves (41 MB after 120 questions on
    100 reports). A passage that falls out is recomputed when it comes back."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[int, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, pos: int) -> tuple | None:
        with self._lock:
            item = self._items.get(pos)
            if item is not None:
                self._items.move_to_end(pos)
            return item

    def put(self, pos: int, item: tuple) -> None:
        with self._lock:
            self._items[pos] = item
            self._items.move_to_end(pos)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def pop(self, pos: int, default=None):
        with self._lock:
            return self._items.pop(pos, default)

    def __len__(self) -> int:
        return len(self._items)

    def __getstate__(self) -> dict:      # a cache: never kept on disk
        return {"_size": self._size}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["_size"])


def _return_freed_memory() -> None:
    """glibc keeps what Python freed in its arenas, so a process that built an index
    from a whole store holds the build's peak for good; malloc_trim hands it back."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):     # not glibc: nothing to trim
        pass


class _LiveChunks:
    """The chunks this process holds and the indexes over them, changed a version at a
    time: a new version's chunks are appended, a gone one's tombstoned. Snapshots share
    it; each keeps its own live mask and maps, so a question in flight keeps its state."""

    _ADD_SLICE = 2000

    def __init__(self, bigrams: bool, files: SegmentFiles | None = None) -> None:
        self.chunks: list[StoredChunk] = []
        self.lexical = LexicalIndex(bigrams=bigrams, files=files)
        self.vocabulary = SyllableStats([])
        self.doc_lexical = LexicalIndex(bigrams=bigrams, files=files)     # one passage per report
        self.ranges: dict[str, range] = {}       # version -> chunk positions
        self.slots: dict[str, int] = {}          # version -> position in doc_lexical
        self.levels: dict[str, str] = {}         # version -> administrative level
        self.terms = TermsCache()                # position -> passage terms (Snapshot.passage_terms)
        # what changed since the last snapshot was made, so its chunk-id map is patched
        self.view_mark = 0
        self.removed_since_view: list[range] = []

    def add(self, fetched: dict[str, list[StoredChunk]], records: dict[str, DocumentRecord]) -> None:
        versions = [v for v in fetched if v not in self.ranges]
        chunks = [c for v in versions for c in fetched[v]]
        first = len(self.chunks)
        self.chunks.extend(chunks)
        # in slices, so the terms of a whole store are never held at once
        for at in range(0, len(chunks), self._ADD_SLICE):
            self.lexical.add([c.search_text() for c in chunks[at:at + self._ADD_SLICE]])
        at = first
        profiles = []
        for v in versions:
            self.ranges[v] = range(at, at + len(fetched[v]))
            at += len(fetched[v])
            record = records[v]
            profile = "\n".join([record.title, " ".join(str(x) for x in record.meta.values())]
                                + [c.text for c in fetched[v]])
            profiles.append(profile)
            self.levels[v] = administrative_level(profile)
        for c in chunks:
            self.vocabulary.add(c.search_text())
        for v, slot in zip(versions, self.doc_lexical.add(profiles)):
            self.slots[v] = slot

    def worth_updating(self, versions: dict, min_dead: int) -> bool:
        """False when, with the versions gone from `versions` removed, most positions
        would be tombstones: then a rebuild is cheaper to hold."""
        dead = (self.lexical.capacity - self.lexical.size) + sum(len(r) for v, r in self.ranges.items() if v not in versions)
        return dead <= max(min_dead, self.lexical.capacity - dead)

    def remove(self, versions: list[str]) -> None:
        for v in versions:
            span = self.ranges.pop(v)
            self.lexical.remove(span)
            for pos in span:
                self.vocabulary.remove(self.chunks[pos].search_text())
                self.terms.pop(pos, None)
            self.doc_lexical.remove([self.slots.pop(v)])
            self.levels.pop(v, None)
            self.removed_since_view.append(span)

    def mark_view(self) -> None:
        self.view_mark = len(self.chunks)
        self.removed_since_view = []

    def attach(self, files: SegmentFiles | None) -> None:
        self.lexical.attach(files)
        self.doc_lexical.attach(files)

    def spilled(self) -> set[str]:
        return self.lexical.spilled() | self.doc_lexical.spilled()

    def take_dropped(self) -> list[str]:
        return self.lexical.take_dropped() + self.doc_lexical.take_dropped()

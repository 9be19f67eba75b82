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
same reports; each process rebuilds its in-memory BM25 when the registry changes.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.loaders import LoadedText
from ingest.normalize import Block
from ingest.pipeline import PreparedReport
from ingest.vntext import fold, name_pairs, sentence_spans, tokens
from vectorstore.lexical import LexicalIndex, terms_of
from vectorstore.vocabulary import SyllableStats

Progress = Callable[[int, int], None]   # (chunks embedded, total)


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

    def years(self) -> set[str]:
        """The years the document speaks of: its period, else the year it is dated."""
        period = self.meta.get("period") or {}
        if period.get("start") and period.get("end"):
            return {str(y) for y in range(int(period["start"][:4]), int(period["end"][:4]) + 1)}
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
    """What is live at one registry state: records, chunks, and a BM25 over them."""

    signature: tuple
    records: dict[str, DocumentRecord]
    chunks: list[StoredChunk]
    positions: dict[str, int]
    lexical: LexicalIndex
    vocabulary: SyllableStats     # the reports' accented spellings, for restoring a question's
    doc_of: np.ndarray            # doc_id per chunk, for per-report masks
    doc_ids: list[str]            # one entry per report, in doc_lexical's order
    doc_lexical: LexicalIndex     # BM25 over whole reports: which report a question is about
    doc_level: dict[str, str]     # "tinh" / "huyen": the administrative level a report speaks for
    identity: frozenset[str]      # folded word pairs naming the reports (place, issuer), and "ủy ban nhân dân tỉnh huyện"
    names: dict[str, frozenset[str]] = field(default_factory=dict)   # doc_id -> word pairs of its title, place, issuer
    places: dict[str, frozenset[str]] = field(default_factory=dict)  # doc_id -> word pairs of its place ("Hòa Sơn")

    _terms: dict[int, tuple[set[str], list[tuple[str, set[str]]]]] = field(default_factory=dict)

    def passage_terms(self, pos: int) -> tuple[set[str], list[tuple[str, set[str]]]]:
        """(terms of heading path + chunk, [(sentence, its terms)]), computed once."""
        cached = self._terms.get(pos)
        if cached is None:
            chunk = self.chunks[pos]
            spans = sentence_spans(chunk.text)
            header = next((chunk.text[s:e] for s, e in spans if chunk.text[s:e].startswith("|")), "")
            # A table row is read with its header ("| Chỉ tiêu | Năm 2026 |").
            sentences = [
                (chunk.text[s:e], terms_of(chunk.text[s:e] + (" " + header if chunk.text[s:e].startswith("|") else "")))
                for s, e in spans
            ]
            cached = (terms_of(chunk.search_text()), sentences or [("", set())])
            self._terms[pos] = cached
        return cached

    def mask(self, doc_ids: list[str] | None) -> np.ndarray | None:
        if not doc_ids:
            return None
        return np.isin(self.doc_of, doc_ids)


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
    def __init__(self, client, namespace: str, embeddings: Embeddings, embed_batch: int = 16, bigrams: bool = True):
        self._client = client
        self._embeddings = embeddings
        self._embed_batch = embed_batch
        self._bigrams = bigrams
        # Writers take the write lock for a whole ingest (embedding may take a minute);
        # readers only take the snapshot lock, so questions are answered meanwhile from
        # the version the registry names.
        self._write_lock = threading.RLock()
        self._snapshot_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        # A version's sections never change (a new version gets new records), so they are
        # kept by version: the answerer reads a few sections per question, and fetching
        # a report's whole section list from Chroma each time cost ~4 ms a read.
        self._section_cache: OrderedDict[str, tuple[list[StoredSection], dict[str, StoredSection]]] = OrderedDict()
        self._section_cache_lock = threading.Lock()
        try:
            self._docs = client.get_or_create_collection(f"{namespace}-docs", embedding_function=None)
            self._sections = client.get_or_create_collection(f"{namespace}-sections", embedding_function=None)
            self._chunks = client.get_or_create_collection(
                f"{namespace}-chunks", embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
            self._sources = client.get_or_create_collection(f"{namespace}-sources", embedding_function=None)
        except Exception as exc:
            raise StoreError(f"Không mở được kho Chroma: {exc}") from exc

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
            self._delete_versions(report.doc_id, keep=version)
            self._snapshot = None
            return IngestResult(record, "replaced" if existing else "indexed")

    def delete(self, doc_id: str) -> bool:
        with self._write_lock:
            if self.document(doc_id) is None:
                return False
            self._docs.delete(ids=[doc_id])          # invisible from here on
            self._delete_versions(doc_id, keep=None)
            self._sources.delete(ids=[doc_id])
            self._snapshot = None
            return True

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
        """The live state; rebuilt only when the registry changed (in any process)."""
        records = {r.doc_id: r for r in self.documents()}
        signature = tuple(sorted((r.doc_id, r.content_hash) for r in records.values()))
        with self._snapshot_lock:
            if self._snapshot is not None and self._snapshot.signature == signature:
                return self._snapshot
            versions = [r.version for r in records.values()]
            chunks: list[StoredChunk] = []
            if versions:
                got = self._chunks.get(where={"version": {"$in": versions}}, include=["metadatas", "documents"])
                for cid, meta, text in zip(got["ids"], got["metadatas"], got["documents"]):
                    chunks.append(StoredChunk(
                        chunk_id=cid, doc_id=meta["doc_id"], section_id=meta["section_id"],
                        section_path=meta["section_path"], heading=meta["heading"], text=text,
                        start=int(meta["start"]), end=int(meta["end"]), order=int(meta["order"]),
                        programme=bool(meta["programme"]),
                    ))
            chunks.sort(key=lambda c: (c.doc_id, c.order))
            doc_ids = sorted(records)
            profiles = {d: [records[d].title, " ".join(str(v) for v in records[d].meta.values())] for d in doc_ids}
            for c in chunks:
                profiles[c.doc_id].append(c.text)
            self._snapshot = Snapshot(
                signature=signature, records=records, chunks=chunks,
                positions={c.chunk_id: i for i, c in enumerate(chunks)},
                lexical=LexicalIndex([c.search_text() for c in chunks], bigrams=self._bigrams),
                vocabulary=SyllableStats([c.search_text() for c in chunks]),
                doc_of=np.array([c.doc_id for c in chunks], dtype=object),
                doc_ids=doc_ids,
                doc_lexical=LexicalIndex(["\n".join(profiles[d]) for d in doc_ids], bigrams=self._bigrams),
                doc_level={d: administrative_level("\n".join(profiles[d])) for d in doc_ids},
                # A name is its whole run: "Hà Nam" names a report, "năm" alone does not.
                # With a province's worth of places, their single syllables would be half
                # the language ("bình quân", "đồng", "an ninh").
                identity=frozenset(fold(t) for t in tokens("ủy ban nhân dân tỉnh huyện")) | frozenset(
                    pair for r in records.values()
                    for pair in name_pairs(" \n ".join([r.meta.get("place", ""), r.meta.get("issuer", "")]))
                ),
                names={d: name_pairs(" \n ".join([records[d].title, records[d].meta.get("place", ""),
                                                   records[d].meta.get("issuer", "")])) for d in doc_ids},
                places={d: name_pairs(records[d].meta.get("place", "")) for d in doc_ids},
            )
            return self._snapshot

    def dense_search(self, vector: list[float], k: int, snapshot: Snapshot, doc_ids: list[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position in snapshot, cosine similarity), best first."""
        versions = [r.version for r in snapshot.records.values() if not doc_ids or r.doc_id in doc_ids]
        if not versions:
            return []
        where = {"version": {"$in": versions}} if len(versions) > 1 else {"version": versions[0]}
        got = self._chunks.query(query_embeddings=[vector], n_results=min(k, len(snapshot.chunks)) or 1,
                                 where=where, include=["distances"])
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

"""Loaded text -> a report ready to index: parsed tree, metadata, chunks, content hash."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.chunker import Chunk, chunk_report
from ingest.loaders import InputError, LoadedText
from ingest.metadata import ReportMetadata, extract_metadata
from ingest.sections import ParsedReport, parse_report
from ingest.vntext import slugify

DOC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
# Bump when parsing or chunking changes what is stored for the same text, so that
# re-ingesting an unchanged file after an upgrade re-indexes it instead of "unchanged".
INDEX_FORMAT = "7"


@dataclass
class PreparedReport:
    doc_id: str
    title: str
    source: str
    content_hash: str
    parsed: ParsedReport
    metadata: ReportMetadata
    chunks: list[Chunk]
    ocr: bool = False          # read from page images: the UI says the text may hold misreadings
    loaded: LoadedText | None = None   # what the reader gave: kept so the report can be parsed again


def validate_doc_id(doc_id: str) -> str:
    """Ids travel in URLs and Chroma filters: lower-case ASCII, digits and dashes only."""
    if not DOC_ID_RE.match(doc_id or ""):
        raise InputError(f"Mã văn bản không hợp lệ: {doc_id!r} (chỉ a-z, 0-9, '-') / invalid document id")
    return doc_id


def prepare_report(
    loaded: LoadedText,
    doc_id: str | None = None,
    title: str | None = None,
    max_chunk_chars: int = 900,
    overlap: int = 1,
) -> PreparedReport:
    parsed = parse_report(loaded)
    if not parsed.text.strip():
        raise InputError(f"Văn bản trống sau khi chuẩn hóa: {loaded.source} / empty document")
    metadata = extract_metadata(parsed, fallback_title=title or "")
    if title:
        metadata.title = title.strip()
    # Hash the normalised text: the same report in NFD, UTF-16 or with CRLF is the same report.
    # The heading tree is hashed with it: the same text parsed into another tree (after a
    # parser change) is a new version, so re-indexing replaces it instead of keeping it.
    recipe = f"{INDEX_FORMAT}|{max_chunk_chars}|{overlap}|"
    outline = "\n".join(f"{s.section_id}\t{s.heading}" for s in parsed.sections)
    content_hash = hashlib.sha256((recipe + parsed.text + "\f" + outline).encode("utf-8")).hexdigest()
    if doc_id is None:
        pasted = loaded.source in ("stdin", "paste")
        stem = "" if pasted else Path(loaded.source).stem
        doc_id = slugify(stem) or slugify(metadata.title, max_len=60) or "doc"
        if pasted and not title and (len(metadata.title.split()) < 4 or not metadata.kind):
            # A paste without a real title ("BÁO CÁO" alone, or no title block at all, when
            # the title is only its first paragraph cut short): the content decides its id,
            # so a second such paste never replaces a different first one.
            doc_id = f"{doc_id}-{content_hash[:8]}"
    validate_doc_id(doc_id)
    chunks = chunk_report(parsed, doc_id, max_chars=max_chunk_chars, overlap=overlap)
    if not chunks:
        raise InputError(f"Không tìm thấy nội dung để lập chỉ mục: {loaded.source} / nothing to index")
    return PreparedReport(doc_id, metadata.title, loaded.source, content_hash, parsed, metadata, chunks, loaded.ocr,
                          loaded)

"""The staff audit log: who did what to which report, and when.

It lives in the store beside the reports (a Chroma collection), so every app process
sharing one Chroma server writes to and reads the same log, and a report's history
survives as long as the store does.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Protocol


@dataclass
class AuditEntry:
    at: str             # ISO time, UTC
    who: str            # the staff token's name; "?" for a refused token
    action: str         # ingest | delete | reindex | refused
    doc_id: str = ""
    title: str = ""
    status: str = ""    # indexed | replaced | unchanged | deleted | error | refused
    detail: str = ""    # the file's name, or the error a user saw

    def public(self) -> dict:
        return asdict(self)


class AuditLog(Protocol):
    def record(self, who: str, action: str, doc_id: str = "", title: str = "", status: str = "",
               detail: str = "") -> AuditEntry: ...

    def entries(self, limit: int = 500) -> list[AuditEntry]: ...


class ChromaAuditLog:
    def __init__(self, client, namespace: str) -> None:
        self._log = client.get_or_create_collection(f"{namespace}-audit", embedding_function=None)

    def record(self, who: str, action: str, doc_id: str = "", title: str = "", status: str = "",
               detail: str = "") -> AuditEntry:
        entry = AuditEntry(datetime.now(timezone.utc).isoformat(timespec="seconds"), who, action,
                           doc_id, title[:300], status, detail[:500])
        # The id orders entries (nanoseconds); the random tail keeps two processes apart.
        self._log.add(ids=[f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"], embeddings=[[1.0]],
                      documents=[json.dumps(entry.public(), ensure_ascii=False)],
                      metadatas=[{"at": entry.at, "who": who, "action": action}])
        return entry

    def entries(self, limit: int = 500) -> list[AuditEntry]:
        """The newest `limit` entries, newest first."""
        got = self._log.get(include=["documents"])
        rows = sorted(zip(got["ids"], got["documents"]), reverse=True)[:limit]
        return [AuditEntry(**json.loads(doc)) for _, doc in rows]

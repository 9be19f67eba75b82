"""REST API on the same server as the app (FastAPI; OpenAPI at /openapi.json, docs at /docs).

    POST   /api/ask              {"question", "doc_ids"?, "history"?}  -> the contract's answer JSON
    GET    /api/docs             -> indexed reports
    GET    /api/docs/{doc_id}/sections  -> the report's heading tree, each section's text
    POST   /api/docs             staff: JSON {"text", "title"?, "doc_id"?} or multipart file
    POST   /api/docs/batch       staff: multipart `files` (several, a .zip for its members)
                                 -> one result per file
    DELETE /api/docs/{doc_id}    staff
    POST   /api/reindex          staff: every report parsed again (after a parser change)
    GET    /api/audit            staff: who did what, when (?format=csv for a file)

Staff calls need a token of ASSISTANT_STAFF_TOKENS (name:token,...) or ASSISTANT_STAFF_TOKEN
in `X-Staff-Token` (or a Bearer header); the audit log records the token's name. With
neither set, nothing can change the index through the API.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import defaultdict, deque

from fastapi import APIRouter, FastAPI, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.report_scope import ReportFilter
from assistant.models import Answer, Turn
from assistant.services import AssistantService
from ingest.loaders import InputError, load_bytes, load_text


class AskRequest(BaseModel):
    question: str = Field(..., max_length=2000)
    doc_ids: list[str] | None = None
    history: list[Turn] = Field(default_factory=list, max_length=20)
    # only reports of this place / kind / covering this year (docs --json's fields)
    place: str = Field("", max_length=100)
    kind: str = Field("", max_length=50)
    year: str = Field("", max_length=4)


class TextReport(BaseModel):
    text: str
    title: str | None = None
    doc_id: str | None = None


class RateLimiter:
    """At most `limit` questions per `window` seconds per client (sliding window)."""

    def __init__(self, limit: int = 30, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[client]
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


class BodyLimit:
    """ASGI middleware: a POST /api/docs whose body is over `limit` bytes is answered 413
    before the route reads it: at once from its Content-Length, or, for a body streamed
    without one, as soon as the bytes received pass the limit (never more is held)."""

    PATH = "/api/docs"

    def __init__(self, app, limit: int, advertised: int) -> None:
        self.app, self.limit, self.advertised = app, limit, advertised

    def _too_large(self, size: int) -> JSONResponse:
        return JSONResponse(status_code=413, content={"detail": (
            f"Dữ liệu gửi lên quá lớn ({size / 1_048_576:.1f} MB, tối đa {self.advertised / 1_048_576:.0f} MB) / "
            f"request body too large"
        )})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != self.PATH:
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            size = int(length) if length.isdigit() else -1
            if size < 0:
                response = JSONResponse(status_code=400, content={"detail": "Content-Length không hợp lệ / bad Content-Length"})
            elif size > self.limit:
                response = self._too_large(size)
            else:
                await self.app(scope, receive, send)
                return
            await response(scope, receive, send)
            return
        held, size = [], 0
        while True:
            message = await receive()
            held.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._too_large(size)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay():
            return held.pop(0) if held else await receive()

        await self.app(scope, replay, send)


def build_api(service: AssistantService, limiter: RateLimiter | None = None) -> FastAPI:
    api = FastAPI(title="Trợ lý hỏi đáp báo cáo", version="0.1.0")
    # A report may be max_upload_bytes; the multipart or JSON framing around it adds little.
    api.add_middleware(BodyLimit, limit=service.settings.max_upload_bytes + 64 * 1024,
                       advertised=service.settings.max_upload_bytes)
    router = APIRouter(prefix="/api")
    limiter = limiter or RateLimiter(limit=service.settings.ask_rate_limit)

    def require_staff(x_staff_token: str | None, authorization: str | None) -> str:
        """The staff member's name; a refused token is itself an audit entry."""
        if not service.staff.enabled:
            raise HTTPException(403, "Chức năng nhập báo cáo đang tắt (ASSISTANT_STAFF_TOKEN(S) chưa đặt)")
        given = x_staff_token or (authorization[7:] if authorization and authorization.startswith("Bearer ") else None)
        who = service.staff_member(given, "API: mã nhân viên không đúng")
        if who is None:
            raise HTTPException(401, "Mã nhân viên không đúng")
        return who

    @router.post("/ask", response_model=Answer)
    def ask(body: AskRequest, request: Request) -> Answer:
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client):
            raise HTTPException(429, "Quá nhiều câu hỏi, vui lòng thử lại sau ít phút")
        try:
            return service.ask(body.question, body.doc_ids, body.history, ReportFilter(body.place, body.kind, body.year))
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc

    @router.get("/health")
    def health() -> dict:
        """ready: the model is loaded and the seed reports are indexed (serve starts them
        in the background so it can listen at once)."""
        return {"ready": service.wait_ready(0), "documents": len(service.documents())}

    @router.get("/figures")
    def figures(request: Request, q: str = Query(..., max_length=2000), place: str = "", kind: str = "",
                year: str = "") -> dict:
        """An indicator across the periods of a report series, every point cited."""
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client):
            raise HTTPException(429, "Quá nhiều câu hỏi, vui lòng thử lại sau ít phút")
        try:
            return service.figures_across(q, ReportFilter(place, kind, year))
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc

    @router.get("/docs")
    def docs(place: str = "", kind: str = "", year: str = "") -> list[dict]:
        return [r.public() for r in service.documents_matching(ReportFilter(place, kind, year))]

    @router.post("/docs", status_code=201)
    async def add_doc(
        request: Request,
        file: UploadFile | None = File(None),
        title: str | None = Form(None),
        x_staff_token: str | None = Header(None),
        authorization: str | None = Header(None),
    ) -> dict:
        who = require_staff(x_staff_token, authorization)
        try:
            if file is not None:
                data = await file.read(service.settings.max_upload_bytes + 1)
                loaded = await run_in_threadpool(
                    load_bytes, data, file.filename or "upload.txt", service.settings.max_upload_bytes
                )
                doc_id = None
            else:
                body = TextReport.model_validate(await request.json())
                loaded = load_text(body.text, "paste", service.settings.max_upload_bytes)
                title, doc_id = body.title or title, body.doc_id
            # Parsing and embedding take seconds: off the event loop, or every other
            # request (asks, the UI) would wait for the upload (found by scripts/load_test.py).
            result = await run_in_threadpool(service.ingest, loaded, doc_id=doc_id, title=title, who=who)
            return result.public()
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc
        except ValidationError as exc:  # JSON, but not {"text": "...", "title"?, "doc_id"?}: one line
            fields = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
            raise HTTPException(400, f'Dữ liệu không hợp lệ, cần {{"text": "..."}} ({fields})') from exc
        except ValueError as exc:      # a body that is not JSON
            raise HTTPException(400, f"Dữ liệu không hợp lệ: {exc}") from exc

    @router.delete("/docs/{doc_id}", status_code=204)
    def delete_doc(doc_id: str, x_staff_token: str | None = Header(None), authorization: str | None = Header(None)):
        who = require_staff(x_staff_token, authorization)
        try:
            if not service.delete(doc_id, who=who):
                raise HTTPException(404, "Không có báo cáo này")
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc

    @router.get("/docs/{doc_id}/sections")
    def doc_sections(doc_id: str) -> list[dict]:
        try:
            sections = service.sections(doc_id)
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc
        if not sections:
            raise HTTPException(404, "Không có báo cáo này")
        return [{"section_id": s.section_id, "level": s.level, "heading": s.heading,
                 "section_path": s.section_path, "kind": s.kind, "text": s.text} for s in sections]

    @router.post("/docs/batch", status_code=200)
    async def add_docs(files: list[UploadFile] = File(...), x_staff_token: str | None = Header(None),
                       authorization: str | None = Header(None)) -> list[dict]:
        who = require_staff(x_staff_token, authorization)
        limit = service.settings.max_upload_bytes
        received = []
        for f in files:
            data = await f.read(limit + 1)
            received.append((f.filename or "upload.txt", data))
        return await run_in_threadpool(lambda: [o.public() for o in service.ingest_files(received, who)])

    @router.post("/reindex")
    def reindex(x_staff_token: str | None = Header(None), authorization: str | None = Header(None)) -> list[dict]:
        who = require_staff(x_staff_token, authorization)
        return [o.public() for o in service.reindex(who)]

    @router.get("/audit")
    def audit(format: str = "json", limit: int = 1000, x_staff_token: str | None = Header(None),
              authorization: str | None = Header(None)):
        require_staff(x_staff_token, authorization)
        rows = [e.public() for e in service.audit_entries(max(1, min(limit, 100_000)))]
        if format == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=["at", "who", "action", "doc_id", "title", "status", "detail"])
            writer.writeheader()
            writer.writerows(rows)
            return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="nhat-ky.csv"'})
        return rows

    api.include_router(router)
    return api

"""The staff tab's actions: index a paste, a file, several files or a .zip (with a queue),
re-index, delete, read the audit log. Each needs a staff token; a refused one is logged."""

from __future__ import annotations

import html
import logging
from pathlib import Path

from assistant.services import AssistantService, FileOutcome
from ingest.loaders import InputError, load_path, load_text

log = logging.getLogger(__name__)

_STAGES = {"đọc": "Đang đọc trang", "OCR": "Đang nhận dạng chữ (OCR) trang"}
_OUTCOME = {"indexed": "Đã lập chỉ mục", "replaced": "Đã thay thế phiên bản cũ",
            "unchanged": "Đã có sẵn (trùng nội dung)", "queued": "Đang chờ", "working": "Đang xử lý…"}


def _loaded(service: AssistantService, pasted: str, upload: str | None, progress=None):
    """The report a staff member gave: an uploaded file wins over pasted text."""
    if upload:
        pages = (lambda done, total, stage: progress(done / total, desc=f"{_STAGES.get(stage, stage)} {done}/{total}")) \
            if progress else None
        return load_path(upload, service.settings.max_upload_bytes, progress=pages)
    return load_text(pasted or "", "paste", service.settings.max_upload_bytes)


def _first_file(uploads) -> str | None:
    if isinstance(uploads, (list, tuple)):
        return uploads[0] if uploads else None
    return uploads


def preview_tree(service: AssistantService, pasted: str, upload, title: str) -> str:
    """The parsed heading tree (of the first file), shown before anything is indexed."""
    try:
        report = service.prepare(_loaded(service, pasted, _first_file(upload)), title=title or None)
    except InputError as exc:
        return f"**Lỗi:** {html.escape(str(exc))}"
    lines = [f"**{html.escape(report.title)}** — mã `{report.doc_id}`, {len(report.parsed.sections)} mục, "
             f"{len(report.chunks)} đoạn", ""]
    for section in report.parsed.sections:
        indent = "  " * max(section.level - 1, 0)
        lines.append(f"{indent}- `[{html.escape(section.section_id)}]` {html.escape(section.heading[:100])}")
    return "\n".join(lines)


REFUSED = "**Từ chối:** mã nhân viên không đúng. Không có gì thay đổi."


def _outcome_text(outcome: FileOutcome) -> str:
    if outcome.status == "error":
        return f"Lỗi: {outcome.message}"
    return f"{_OUTCOME[outcome.status]}: {outcome.title} — {outcome.sections} mục, {outcome.chunks} đoạn"


def index_report(service: AssistantService, token: str, pasted: str, upload: str | None, title: str,
                 progress=None) -> str:
    """Staff indexing of one pasted text or file: needs a staff token; reports
    duplicates and replacements."""
    who = service.staff_member(token, "giao diện: lập chỉ mục")
    if who is None:
        return REFUSED
    try:
        loaded = _loaded(service, pasted, upload, progress)
        result = service.ingest(loaded, title=title or None, who=who,
                                progress=(lambda done, total: progress(done / total, desc=f"Đang nhúng {done}/{total} đoạn"))
                                if progress else None)
    except InputError as exc:
        return f"**Lỗi:** {html.escape(str(exc))}. Các báo cáo đã có không bị ảnh hưởng."
    r = result.record
    status = {"indexed": "Đã lập chỉ mục", "replaced": "Đã thay thế phiên bản cũ",
              "unchanged": "Báo cáo này đã có sẵn (trùng nội dung), không lập chỉ mục lại"}[result.status]
    scan = (" Văn bản được nhận dạng từ bản quét (OCR): có thể có chữ đọc sai, hãy đối chiếu bản gốc."
            if r.ocr else "")
    return f"**{status}:** {html.escape(r.title)} — mã `{r.doc_id}`, {r.sections} mục, {r.chunks} đoạn.{scan}"


def _read_and_index(service: AssistantService, path: Path, who: str) -> list[FileOutcome]:
    """One uploaded file, read only when its turn comes (a batch is never all in memory)."""
    limit = service.settings.max_upload_bytes
    try:
        # a .zip may hold several reports: it may be larger than one report may be
        too_big = path.stat().st_size > (4 * limit if path.suffix.lower() == ".zip" else limit)
        data = b"" if too_big else path.read_bytes()
    except OSError as exc:
        log.warning("cannot read upload %s: %s", path.name, exc)
        data, too_big = b"", False
    if not data:
        message = (f"tệp quá lớn (tối đa {limit / 1_048_576:.0f} MB) / file too large" if too_big
                   else "tệp trống hoặc không đọc được / empty or unreadable file")
        service.audit.record(who, "ingest", status="error", detail=f"{path.name}: {message}")
        return [FileOutcome(path.name, "error", message=message)]
    return list(service.ingest_files([(path.name, data)], who))


def index_batch(service: AssistantService, token: str, uploads: list[str]):
    """Several files (a .zip for its members): yields (summary, queue rows) as each file
    is done, so staff watch the queue move."""
    who = service.staff_member(token, "giao diện: lập chỉ mục nhiều tệp")
    if who is None:
        yield REFUSED, []
        return
    names = [Path(path).name for path in uploads]
    waiting = lambda first: [[name, _OUTCOME["queued"]] for name in names[first:]]   # noqa: E731
    yield f"Đang xử lý {len(names)} tệp…", waiting(0)
    done: list[list] = []
    for n, path in enumerate(uploads):
        yield (f"Đang xử lý tệp {n + 1}/{len(names)}: {names[n]}",
               done + [[names[n], _OUTCOME["working"]]] + waiting(n + 1))
        done += [[o.name, _outcome_text(o)] for o in _read_and_index(service, Path(path), who)]
        yield f"Đã xử lý {n + 1}/{len(names)} tệp.", done + waiting(n + 1)
    errors = sum(1 for row in done if row[1].startswith("Lỗi"))
    yield (f"**Xong:** {len(done)} tệp, {len(done) - errors} thành công, {errors} lỗi. "
           "Các báo cáo đã có không bị ảnh hưởng bởi tệp lỗi."), done


def reindex_all(service: AssistantService, token: str):
    who = service.staff_member(token, "giao diện: lập chỉ mục lại")
    if who is None:
        return REFUSED, []
    rows = [[o.title or o.name, _outcome_text(o)] for o in service.reindex(who)]
    return f"**Lập chỉ mục lại xong:** {len(rows)} báo cáo.", rows


AUDIT_HEADERS = ["Lúc", "Người", "Thao tác", "Mã báo cáo", "Tiêu đề", "Kết quả", "Chi tiết"]


def audit_rows(service: AssistantService, token: str) -> tuple[str, list[list]]:
    who = service.staff_member(token, "giao diện: xem nhật ký")
    if who is None:
        return REFUSED, []
    rows = [[e.at, e.who, e.action, e.doc_id, e.title, e.status, e.detail] for e in service.audit_entries()]
    return f"Nhật ký: {len(rows)} mục gần nhất.", rows


def delete_report(service: AssistantService, token: str, doc_id: str) -> str:
    who = service.staff_member(token, "giao diện: xóa báo cáo")
    if who is None:
        return REFUSED
    try:
        deleted = service.delete((doc_id or "").strip(), who=who)
    except InputError as exc:
        return f"**Lỗi:** {html.escape(str(exc))}"
    return f"Đã xóa `{html.escape(doc_id)}`." if deleted else f"Không có báo cáo `{html.escape(doc_id)}`."


REPORT_HEADERS = ["Tiêu đề", "Số", "Ngày", "Số mục", "Số đoạn", "Lập chỉ mục lúc", "Mã"]


def report_rows(service: AssistantService) -> list[list]:
    return [[r.title + (" (OCR)" if r.ocr else ""), r.meta.get("number", ""), r.date, r.sections, r.chunks,
             r.indexed_at, r.doc_id] for r in service.documents()]

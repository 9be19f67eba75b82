"""The Gradio front end and the REST API on one server. It only wires: every decision
lives in AssistantService (and the API's routes in assistant/api.py).

Tabs: "Hỏi đáp" (chat, evidence chips that open the reader, the answer to copy with its
sources, the conversation as .md/.docx), "Đọc báo cáo" (a report by its heading tree;
deep links ?doc=...&section=...), "Cam kết" (commitments, their follow-through in later
reports, filters, CSV/XLSX), "Số liệu", "Nhập báo cáo" (staff: several files or a .zip,
a queue, re-index, the audit log).
"""

from __future__ import annotations

import html
import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr  # noqa: E402

from assistant.api import build_api  # noqa: E402
from assistant.models import Answer, Turn  # noqa: E402
from assistant.services import AssistantService, FileOutcome  # noqa: E402
from assistant.takeaway import (  # noqa: E402
    answer_text, conversation_docx, conversation_markdown, date_vi, table_csv, table_xlsx,
)
from assistant.settings import Settings  # noqa: E402
from ingest.loaders import InputError, load_path, load_text  # noqa: E402

log = logging.getLogger(__name__)

LOW_RELEVANCE = 0.45
CSS = """
#evidence-panel .citation-chip { display: inline-block; cursor: pointer; padding: 2px 10px; margin: 4px 0;
  border-radius: 12px; background: #fde8d7; font-weight: 600; max-width: 100%; white-space: normal; }
#evidence-panel details[open] > .citation-chip { background: #f97316; color: white; }
#evidence-panel mark, #reader-section mark, .evidence mark { background: #fde047; }
#evidence-panel .low-relevance { color: #b45309; font-weight: 600; }
.reader-link { font-size: 0.9em; }
#reader-outline ul { list-style: none; padding-left: 1em; margin: 0; }
#reader-outline li { margin: 2px 0; }
#reader-outline .current > a { font-weight: 700; background: #fde8d7; border-radius: 4px; padding: 0 4px; }
#reader-outline a { text-decoration: none; }
.section-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.status-done { color: #15803d; font-weight: 600; } .status-ongoing { color: #1d4ed8; font-weight: 600; }
.status-not { color: #b91c1c; font-weight: 600; } .status-none { color: #6b7280; }
table td, table th { white-space: normal !important; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  .gradio-container { padding: 4px !important; }
  #reader-outline { max-height: 40vh; overflow-y: auto; }
  .tab-container button, [role="tab"] { padding: 4px 8px !important; font-size: 0.9em; }
}
"""
EXAMPLES = [
    "Tốc độ tăng trưởng GRDP 6 tháng đầu năm 2024 của tỉnh là bao nhiêu?",
    "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?",
    "tinh se lam gi de ho tro doanh nghiep",
    "Những tồn tại, hạn chế trong 6 tháng đầu năm là gì?",
]
STATUS_CLASS = {"đã hoàn thành": "status-done", "đang thực hiện": "status-ongoing",
                "chưa thực hiện": "status-not", "chưa có thông tin": "status-none"}


def _message_text(content) -> str:
    """Gradio 6 gives message content as a list of blocks; older code gives strings."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_message_text(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return ""


def history_turns(history: list[dict]) -> list[Turn]:
    turns: list[Turn] = []
    for message in history or []:
        role, text = message.get("role"), _message_text(message.get("content"))
        if role == "user":
            turns.append(Turn(question=text))
        elif role == "assistant" and turns:
            turns[-1].answer = html.unescape(text)      # replies are shown escaped (chat_markdown)
    return turns


def chat_markdown(text: str) -> str:
    """A reply as the chat shows it (Markdown): tags quoted from a report stay visible
    text (&lt;script&gt;), never markup."""
    return html.escape(text, quote=False)


def reader_link(doc_id: str, section_id: str = "") -> str:
    """The deep link that opens the reader at a section (relative: the app may be mounted
    under a prefix)."""
    query = {"doc": doc_id} | ({"section": section_id} if section_id else {})
    return "?" + urlencode(query, quote_via=quote)


def _marked(body: str, quotes) -> str:
    """The text, escaped, with every quote found in it marked."""
    quotes = [quotes] if isinstance(quotes, str) else list(quotes)
    spans = sorted((at, at + len(q)) for q in quotes if q and (at := body.find(q)) >= 0)
    out, done = [], 0
    for start, end in spans:
        if start < done:              # overlapping quotes: one mark
            start = done
        if start >= end:
            continue
        out += [html.escape(body[done:start]), "<mark>", html.escape(body[start:end]), "</mark>"]
        done = end
    return "".join(out) + html.escape(body[done:])


EXCERPT_CHARS = 1500


def _in_context(body: str, quotes) -> str:
    """The section's text with the quotes marked; a long section (a whole appendix's task
    table) shows the quotes' lines and their neighbours, the rest one click away."""
    quotes = [quotes] if isinstance(quotes, str) else list(quotes)
    found = [(at, at + len(q)) for q in quotes if q and (at := body.find(q)) >= 0]
    if len(body) <= EXCERPT_CHARS or not found:
        return f"<div class='section-text'>{_marked(body, quotes)}</div>"
    start, end = min(a for a, _ in found), max(b for _, b in found)
    first = body.rfind("\n", 0, max(0, body.rfind("\n", 0, start))) + 1
    after = body.find("\n", end)
    last = len(body) if after < 0 else (body.find("\n", after + 1) if body.find("\n", after + 1) >= 0 else len(body))
    excerpt = ("… " if first > 0 else "") + _marked(body[first:last], quotes) + (" …" if last < len(body) else "")
    return (f"<div class='section-text'>{excerpt}</div>"
            f"<details><summary>Xem toàn bộ mục ({len(body):,} ký tự)</summary>".replace(",", ".")
            + f"<div class='section-text'>{_marked(body, quotes)}</div></details>")


def heading_of(service: AssistantService, doc_id: str, section_id: str) -> str:
    section = service.index.section(doc_id, section_id)
    return section.heading if section else ""


def evidence_html(service: AssistantService, answer: Answer) -> str:
    """One chip per cited section ("[A.II.2] Tồn tại, hạn chế"), however many quotes the
    answer takes from it; clicking it opens its evidence: report, section path, score,
    the section's text with every quoted sentence marked, and a link that opens the
    reader at that section."""
    if not answer.found:
        return f"<div class='evidence-empty'>{html.escape(answer.answer)}</div>"
    grouped: dict[tuple[str, str], list] = {}
    for c in answer.citations:
        grouped.setdefault((c.doc_id, c.section_id), []).append(c)
    parts = []
    for n, ((doc_id, section_id), cited) in enumerate(grouped.items(), start=1):
        c = cited[0]
        section = service.index.section(doc_id, section_id)
        body = section.text if section else "\n".join(x.quote for x in cited)
        heading = section.heading if section else ""
        score = max(x.score for x in cited)
        warning = (
            "<p class='low-relevance'>⚠️ Độ liên quan thấp: hãy đọc kỹ đoạn trích trước khi sử dụng.</p>"
            if score < LOW_RELEVANCE else ""
        )
        record = service.index.snapshot().records.get(doc_id)     # cached: no store call per chip
        if record is not None and record.ocr:
            warning += ("<p class='ocr-text'>📷 Văn bản nhận dạng từ bản quét (OCR): "
                        "có thể có chữ đọc sai, hãy đối chiếu bản gốc.</p>")
        label = f"[{section_id}]" + (f" {heading[:80]}" if heading else "")
        count = f" · {len(cited)} trích dẫn" if len(cited) > 1 else ""
        parts.append(
            f"<details class='evidence' id='evidence-{n}'>"
            f"<summary class='citation-chip'>{html.escape(label)}{count}</summary>"
            f"<p><b>{html.escape(c.doc_title)}</b> — điểm liên quan {score:.2f}</p>"
            f"<p class='path'>{html.escape(c.section_path)}</p>{warning}"
            f"{_in_context(body, [x.quote for x in cited])}"
            f"<p><a class='reader-link' href='{html.escape(reader_link(doc_id, section_id))}' target='_blank'>"
            f"Mở mục này trong trình đọc ↗</a></p></details>"
        )
    return "<p>Trích dẫn (bấm để xem đoạn gốc):</p>" + "\n".join(parts)


# ----- report reader ------------------------------------------------------------------
def _parents(sections) -> dict[str, str | None]:
    """Each section's parent: the longest other id its own id extends ("A.I.4.(1)" ->
    "A.I.4"; an attachment's "Phụ lục.preamble" -> "Phụ lục"). Levels cannot say it: the
    preamble and the closing are level 0 beside level-1 parts."""
    ids = {s.section_id for s in sections}
    parents = {}
    for s in sections:
        parts = s.section_id.split(".")
        parents[s.section_id] = next((".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)
                                      if ".".join(parts[:n]) in ids), None)
    return parents


def outline_html(service: AssistantService, doc_id: str, current: str = "") -> str:
    """The heading tree, collapsible; the path down to the current section is open. Each
    heading is a deep link."""
    sections = service.sections(doc_id) if doc_id else []
    if not sections:
        return "<p>Chọn một báo cáo để đọc.</p>"
    parents = _parents(sections)
    children: dict[str | None, list] = {}
    for s in sections:
        children.setdefault(parents[s.section_id], []).append(s)
    on_path, at = set(), current
    while at:
        on_path.add(at)
        at = parents.get(at)

    def item(s) -> str:
        link = (f"<a href='{html.escape(reader_link(doc_id, s.section_id))}' target='_self' "
                f"data-section='{html.escape(s.section_id)}'>[{html.escape(s.section_id)}] "
                f"{html.escape(s.heading[:120])}</a>")
        css = " class='current'" if s.section_id == current else ""
        below = children.get(s.section_id, [])
        if not below:
            return f"<li{css}>{link}</li>"
        opened = " open" if s.section_id in on_path else ""
        return f"<li{css}><details{opened}><summary>{link}</summary><ul>{''.join(map(item, below))}</ul></details></li>"

    return f"<ul>{''.join(item(s) for s in children.get(None, []))}</ul>"


def section_choices(service: AssistantService, doc_id: str) -> list[tuple[str, str]]:
    return [(f"[{s.section_id}] {s.heading[:90]}", s.section_id) for s in service.sections(doc_id)] if doc_id else []


def section_html(service: AssistantService, doc_id: str, section_id: str) -> str:
    """One section as the reader shows it: where it sits, its text, the figures and
    commitments read from it, and the link to send."""
    if not doc_id:
        return ""
    record = service.index.document(doc_id)
    section = service.index.section(doc_id, section_id) if section_id else None
    if record is None:
        return "<p>Không có báo cáo này.</p>"
    about = ", ".join(x for x in (record.meta.get("number", ""), date_vi(record.date)) if x)
    head = f"<h3>{html.escape(record.title)}</h3>" + (f"<p>{html.escape(about)}</p>" if about else "")
    if section is None:
        return head + "<p>Chọn một mục trong mục lục.</p>"
    parts = [head, f"<p class='path'>{html.escape(section.section_path)}</p>",
             f"<h4 id='reader-heading'>[{html.escape(section.section_id)}] {html.escape(section.heading)}</h4>",
             f"<div class='section-text'>{html.escape(section.text)}</div>"]
    inside = lambda sid: sid == section_id or sid.startswith(section_id + ".")   # noqa: E731
    # A part's own text is often its heading alone: what it holds is its subsections.
    shown = len(section.text)
    for sub in service.sections(doc_id):
        if sub.section_id != section_id and inside(sub.section_id) and shown < 30_000:
            parts.append(f"<div class='subsection'><small>[{html.escape(sub.section_id)}]</small>"
                         f"<div class='section-text'>{html.escape(sub.text)}</div></div>")
            shown += len(sub.text)
    figures = [f for f in service.figures(doc_ids=[doc_id]) if inside(f["section_id"])]
    if figures:
        parts.append("<h4>Số liệu</h4><ul>" + "".join(
            f"<li><b>{html.escape(f['value'])} {html.escape(f['unit'])}</b> — {html.escape(f['measure'][:140])} "
            f"[{html.escape(f['section_id'])}]</li>" for f in figures[:50]) + "</ul>")
    commitments = [c for c in service.commitments(doc_ids=[doc_id]) if inside(c["section_id"])]
    if commitments:
        parts.append("<h4>Cam kết</h4><ul>" + "".join(
            f"<li>{html.escape((c['task'] or c['text'])[:300])}"
            + (f" — <i>chủ trì: {html.escape(c['agency'])}</i>" if c["agency"] else "")
            + (f" — <i>thời hạn: {html.escape(c['deadline'])}</i>" if c["deadline"] else "")
            + f" [{html.escape(c['section_id'])}]</li>" for c in commitments[:100]) + "</ul>")
    link = reader_link(doc_id, section_id)
    parts.append(f"<p>Liên kết đến mục này: <a class='deep-link' href='{html.escape(link)}'>{html.escape(link)}</a></p>")
    return "\n".join(parts)


# ----- staff ----------------------------------------------------------------------------
_STAGES = {"đọc": "Đang đọc trang", "OCR": "Đang nhận dạng chữ (OCR) trang"}
_OUTCOME = {"indexed": "Đã lập chỉ mục", "replaced": "Đã thay thế phiên bản cũ",
            "unchanged": "Đã có sẵn (trùng nội dung)", "error": "Lỗi", "queued": "Đang chờ",
            "working": "Đang xử lý…"}


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


def _staff(service: AssistantService, token: str, what: str) -> str | None:
    """The staff member's name, or None (and the refusal is an audit entry)."""
    who = service.staff.who(token)
    if who is None:
        service.audit.record("?", "refused", status="refused", detail=f"giao diện: {what}")
    return who


def _outcome_text(status: str, outcome) -> str:
    if outcome is None:
        return _OUTCOME[status]
    if outcome.status == "error":
        return f"Lỗi: {outcome.message}"
    return f"{_OUTCOME[outcome.status]}: {outcome.title} — {outcome.sections} mục, {outcome.chunks} đoạn"


def index_report(service: AssistantService, token: str, pasted: str, upload: str | None, title: str,
                 progress=None) -> str:
    """Staff indexing of one pasted text or file: needs a staff token; reports
    duplicates and replacements."""
    who = _staff(service, token, "lập chỉ mục")
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


def index_batch(service: AssistantService, token: str, uploads: list[str]):
    """Several files (a .zip for its members): yields (summary, queue rows) as each file
    is done, so staff watch the queue move."""
    who = _staff(service, token, "lập chỉ mục nhiều tệp")
    if who is None:
        yield REFUSED, []
        return
    files = []
    for path in uploads:
        p = Path(path)
        try:
            size = p.stat().st_size
            data = p.read_bytes() if size <= service.settings.max_upload_bytes * 4 else b""
        except OSError as exc:
            data, size = b"", 0
            log.warning("cannot read upload %s: %s", p.name, exc)
        files.append((p.name, data))
    rows = [[name, _OUTCOME["queued"]] for name, _ in files]
    yield f"Đang xử lý {len(files)} tệp…", rows
    done: list[list] = []
    for n, (name, data) in enumerate(files):
        rows[n][1] = _OUTCOME["working"]
        yield f"Đang xử lý tệp {n + 1}/{len(files)}: {name}", done + rows[n:]
        outcomes = list(service.ingest_files([(name, data)], who)) if data else [
            FileOutcome(name, "error", message="tệp quá lớn hoặc không đọc được / file too large or unreadable")]
        done += [[o.name, _outcome_text(o.status, o)] for o in outcomes]
        yield f"Đã xử lý {n + 1}/{len(files)} tệp.", done + rows[n + 1:]
    errors = sum(1 for row in done if row[1].startswith("Lỗi"))
    yield (f"**Xong:** {len(done)} tệp, {len(done) - errors} thành công, {errors} lỗi. "
           "Các báo cáo đã có không bị ảnh hưởng bởi tệp lỗi."), done


def reindex_all(service: AssistantService, token: str):
    who = _staff(service, token, "lập chỉ mục lại")
    if who is None:
        return REFUSED, []
    rows = [[o.title or o.name, _outcome_text(o.status, o)] for o in service.reindex(who)]
    return f"**Lập chỉ mục lại xong:** {len(rows)} báo cáo.", rows


AUDIT_HEADERS = ["Lúc", "Người", "Thao tác", "Mã báo cáo", "Tiêu đề", "Kết quả", "Chi tiết"]


def audit_rows(service: AssistantService, token: str) -> tuple[str, list[list]]:
    who = _staff(service, token, "xem nhật ký")
    if who is None:
        return REFUSED, []
    rows = [[e.at, e.who, e.action, e.doc_id, e.title, e.status, e.detail] for e in service.audit_entries()]
    return f"Nhật ký: {len(rows)} mục gần nhất.", rows


def delete_report(service: AssistantService, token: str, doc_id: str) -> str:
    who = _staff(service, token, "xóa báo cáo")
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


def quote_html(service: AssistantService, doc_id: str, section_id: str, quote_text: str, label: str = "") -> str:
    """Evidence for a table row: the section with the row's text highlighted."""
    section = service.index.section(doc_id, section_id)
    if section is None:
        return ""
    record = service.index.snapshot().records.get(doc_id)
    title = record.title if record else doc_id
    return (f"<details class='evidence' open><summary>{html.escape(label)}[{html.escape(section_id)}] "
            f"{html.escape(section.heading[:80])} — {html.escape(title)}</summary>"
            f"<p class='path'>{html.escape(section.section_path)}</p>"
            f"{_in_context(section.text, quote_text)}"
            f"<p><a class='reader-link' href='{html.escape(reader_link(doc_id, section_id))}' target='_blank'>"
            f"Mở trong trình đọc ↗</a></p></details>")


# ----- commitments and figures ----------------------------------------------------------
COMMITMENT_HEADERS = ["Báo cáo", "Mục", "Nội dung cam kết", "Cơ quan chủ trì", "Thời hạn", "Chỉ tiêu / sản phẩm",
                      "Tình trạng"]
FIGURE_HEADERS = ["Báo cáo", "Mục", "Giá trị", "Đơn vị", "Chỉ số"]
STATUSES = ["đã hoàn thành", "đang thực hiện", "chưa thực hiện", "chưa có thông tin"]


def _status_text(row: dict) -> str:
    return row["status"] + (" · quá hạn" if row["overdue"] else "")


def tracker_rows(service: AssistantService, search: str = "", doc_ids=None, agency: str = "", status: str = "",
                 overdue_first: bool = False) -> list[dict]:
    return service.tracker(search, doc_ids or None, agency or "", status or "", bool(overdue_first))


def commitment_rows(service: AssistantService, search: str = "", doc_ids=None, agency: str = "", status: str = "",
                    overdue_first: bool = False) -> list[list]:
    return [[c["doc_title"], c["section_id"], c["task"] or c["text"], c["agency"], c["deadline"],
             c["target"] or c["output"], _status_text(c)]
            for c in tracker_rows(service, search, doc_ids, agency, status, overdue_first)]


def commitment_html(service: AssistantService, row: dict) -> str:
    """A commitment's own passage, and its follow-through in a later report, cited."""
    own = quote_html(service, row["doc_id"], row["section_id"], row["text"], "Cam kết ")
    found = row["evidence"]
    css = STATUS_CLASS.get(row["status"], "")
    if not found:
        later = ("<p class='status-none'>Tình trạng: chưa có thông tin — chưa có báo cáo nào sau kế hoạch nói "
                 "đến nhiệm vụ này.</p>")
    else:
        later = (f"<p class='{css}'>Tình trạng: {html.escape(row['status'])}</p>"
                 + quote_html(service, found["doc_id"], found["section_id"], found["quote"], "Báo cáo sau: "))
    return own + later


EXPORT_HEADERS = ["Báo cáo", "Số", "Ngày", "Mục", "Nội dung cam kết", "Cơ quan chủ trì", "Cơ quan phối hợp",
                  "Thời hạn", "Chỉ tiêu / sản phẩm", "Tình trạng", "Quá hạn", "Bằng chứng", "Báo cáo bằng chứng",
                  "Mục bằng chứng"]


def export_rows(rows: list[dict]) -> list[list]:
    out = []
    for c in rows:
        e = c["evidence"] or {}
        out.append([c["doc_title"], c["doc_number"], c["doc_date"], c["section_id"], c["task"] or c["text"],
                    c["agency"], c["partners"], c["deadline"], c["target"] or c["output"], c["status"],
                    "có" if c["overdue"] else "", e.get("quote", ""), e.get("doc_title", ""), e.get("section_id", "")])
    return out


def _export_file(data: bytes, name: str) -> str:
    folder = Path(tempfile.mkdtemp(prefix="export-"))
    path = folder / name
    path.write_bytes(data)
    return str(path)


def figure_rows(service: AssistantService, search: str = "", doc_ids=None) -> list[list]:
    return [[f["doc_title"], f["section_id"], f["value"], f["unit"], f["measure"]]
            for f in service.figures(search, doc_ids or None)]


# ----- the app --------------------------------------------------------------------------
def build_ui(service: AssistantService) -> gr.Blocks:
    def doc_choices():
        return [(f"{r.title}" + (f" ({r.date})" if r.date else ""), r.doc_id) for r in service.documents()]

    records = lambda: service.index.snapshot().records      # noqa: E731
    heading = lambda doc_id, section_id: heading_of(service, doc_id, section_id)   # noqa: E731

    def take_away(answers: list[dict]):
        """The copy text of the last answer and the conversation as .md and .docx."""
        if not answers:
            return "", None, None
        parsed = [Answer.model_validate(a) for a in answers]
        folder = Path(tempfile.mkdtemp(prefix="conversation-"))
        md, docx = folder / "hoi-dap.md", folder / "hoi-dap.docx"
        md.write_text(conversation_markdown(parsed, records(), heading), encoding="utf-8")
        docx.write_bytes(conversation_docx(parsed, records(), heading))
        return answer_text(parsed[-1], records(), heading), str(md), str(docx)

    def respond(message: str, history: list[dict], doc_ids: list[str] | None, answers: list[dict]):
        """A generator: in generative mode the reply grows token by token, then the
        checked answer (or its extractive fallback) replaces it, with its citation chips."""
        history, answers = list(history or []), list(answers or [])
        message = (message or "").strip()
        if not message:
            yield history, gr.update(), "", answers, gr.update(), gr.update(), gr.update()
            return
        turns = history_turns(history)
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        keep = (gr.update(),) * 3
        try:
            partial = ""
            for item in service.ask_stream(message, doc_ids or None, turns):
                if isinstance(item, Answer):
                    history[-1] = {"role": "assistant", "content": chat_markdown(item.answer)}
                    answers.append(item.model_dump())
                    yield (history, evidence_html(service, item), "", answers) + take_away(answers)
                else:
                    partial += item
                    history[-1] = {"role": "assistant", "content": chat_markdown(partial)}
                    yield (history, gr.update(), "", answers) + keep
        except InputError as exc:
            history[-1] = {"role": "assistant", "content": chat_markdown(f"Lỗi: {exc}")}
            yield (history, "", "", answers) + keep

    with gr.Blocks(title="Trợ lý báo cáo") as demo:
        gr.Markdown("## Trợ lý hỏi đáp báo cáo\nCâu trả lời trích nguyên văn từ báo cáo, kèm mục [A.I.4.(1)] để đối chiếu.")
        answers = gr.State([])
        with gr.Tabs(overflow_behavior="wrap") as tabs:   # every tab visible on a phone, no hidden menu
            with gr.Tab("Hỏi đáp", id="ask"):
                with gr.Row():
                    with gr.Column(scale=3, min_width=300):
                        chat = gr.Chatbot(label="Hội thoại", height=480)
                        question = gr.Textbox(label="Câu hỏi", placeholder="Nhập câu hỏi (có thể gõ không dấu)…")
                        with gr.Row():
                            send = gr.Button("Hỏi", variant="primary")
                            clear = gr.Button("Xóa hội thoại")
                        gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
                    with gr.Column(scale=2, min_width=300):
                        docs = gr.Dropdown(choices=doc_choices(), multiselect=True, label="Chỉ tìm trong báo cáo")
                        evidence = gr.HTML(label="Bằng chứng", elem_id="evidence-panel")
                        copy_text = gr.Textbox(label="Câu trả lời kèm nguồn (để sao chép)", lines=4,
                                               buttons=["copy"], interactive=False, elem_id="takeaway")
                        with gr.Row():
                            md_file = gr.DownloadButton("Tải hội thoại (.md)", value=None, size="sm")
                            docx_file = gr.DownloadButton("Tải hội thoại (.docx)", value=None, size="sm")
            with gr.Tab("Đọc báo cáo", id="reader"):
                with gr.Row():
                    r_doc = gr.Dropdown(choices=doc_choices(), label="Báo cáo", scale=2)
                    r_section = gr.Dropdown(choices=[], label="Mục", scale=2)
                with gr.Row():
                    with gr.Column(scale=1, min_width=280):
                        r_outline = gr.HTML(elem_id="reader-outline")
                    with gr.Column(scale=2, min_width=300):
                        r_view = gr.HTML(elem_id="reader-section")

                def open_doc(doc_id):
                    choices = section_choices(service, doc_id)
                    first = choices[0][1] if choices else None
                    return (gr.update(choices=choices, value=first), outline_html(service, doc_id, first or ""),
                            section_html(service, doc_id, first or ""))

                def open_section(doc_id, section_id):
                    return outline_html(service, doc_id, section_id or ""), section_html(service, doc_id, section_id or "")

                r_doc.input(open_doc, r_doc, [r_section, r_outline, r_view])
                r_section.input(open_section, [r_doc, r_section], [r_outline, r_view])
            with gr.Tab("Cam kết", id="commitments"):
                gr.Markdown("Các nhiệm vụ, cam kết của các kế hoạch, chương trình và báo cáo; tình trạng đọc từ "
                            "các báo cáo sau đó (bấm một dòng để xem bằng chứng).")
                with gr.Row():
                    c_search = gr.Textbox(label="Tìm (có thể gõ không dấu)", min_width=200)
                    c_docs = gr.Dropdown(choices=doc_choices(), multiselect=True, label="Báo cáo", min_width=200)
                    c_agency = gr.Textbox(label="Cơ quan chủ trì", min_width=160)
                    c_status = gr.Dropdown(choices=[("Mọi tình trạng", "")] + [(s, s) for s in STATUSES], value="",
                                           label="Tình trạng", min_width=160)
                    c_overdue = gr.Checkbox(label="Quá hạn lên đầu", min_width=120)
                c_table = gr.Dataframe(headers=COMMITMENT_HEADERS, value=[], interactive=False, wrap=True,
                                       label="Cam kết", elem_id="commitments-table", 
                                       # fixed widths: on a phone the table scrolls sideways in its
                                       # frame instead of squeezing a column to a letter a line
                                       column_widths=["190px", "80px", "340px", "160px", "140px", "160px", "130px"])
                with gr.Row():
                    c_csv = gr.Button("Xuất CSV", size="sm")
                    c_xlsx = gr.Button("Xuất Excel (.xlsx)", size="sm")
                c_file = gr.File(label="Tệp xuất", interactive=False, height=90)
                c_evidence = gr.HTML()
                c_filters = [c_search, c_docs, c_agency, c_status, c_overdue]

                def show_commitment(search, doc_ids, agency, status, overdue, event: gr.SelectData):
                    rows = tracker_rows(service, search, doc_ids, agency, status, overdue)
                    return commitment_html(service, rows[event.index[0]]) if event.index[0] < len(rows) else ""

                def export(kind, *filters):
                    rows = export_rows(tracker_rows(service, *filters))
                    if kind == "csv":
                        return _export_file(table_csv(EXPORT_HEADERS, rows), "cam-ket.csv")
                    return _export_file(table_xlsx(EXPORT_HEADERS, rows), "cam-ket.xlsx")

                for control in c_filters:
                    control.change(lambda *f: commitment_rows(service, *f), c_filters, c_table)
                c_table.select(show_commitment, c_filters, c_evidence)
                c_csv.click(lambda *f: export("csv", *f), c_filters, c_file)
                c_xlsx.click(lambda *f: export("xlsx", *f), c_filters, c_file)
            with gr.Tab("Số liệu", id="figures"):
                with gr.Row():
                    f_search = gr.Textbox(label="Tìm chỉ số (có thể gõ không dấu)")
                    f_docs = gr.Dropdown(choices=doc_choices(), multiselect=True, label="Báo cáo")
                f_table = gr.Dataframe(headers=FIGURE_HEADERS, value=[], interactive=False, wrap=True,
                                       label="Số liệu")
                f_evidence = gr.HTML()

                def show_figure(search, doc_ids, event: gr.SelectData):
                    row = service.figures(search, doc_ids or None)[event.index[0]]
                    return quote_html(service, row["doc_id"], row["section_id"], row["sentence"])

                f_search.change(lambda q, d: figure_rows(service, q, d), [f_search, f_docs], f_table)
                f_docs.change(lambda q, d: figure_rows(service, q, d), [f_search, f_docs], f_table)
                f_table.select(show_figure, [f_search, f_docs], f_evidence)
            with gr.Tab("Nhập báo cáo", id="staff"):
                if not service.staff.enabled:
                    gr.Markdown(
                        "Chức năng nhập báo cáo đang **tắt**. Để bật, khởi động máy chủ với biến môi trường "
                        "`ASSISTANT_STAFF_TOKENS=<tên>:<mã bí mật>,...` (hoặc `ASSISTANT_STAFF_TOKEN=<mã>`) và nhập "
                        "đúng mã ở đây."
                    )
                token = gr.Textbox(label="Mã nhân viên", type="password")
                with gr.Row():
                    pasted = gr.Textbox(label="Dán nội dung báo cáo", lines=10, min_width=300)
                    upload = gr.File(label="hoặc tải tệp (nhiều tệp, hoặc một tệp .zip)", type="filepath",
                                     file_count="multiple", min_width=300, elem_id="staff-upload",
                                     file_types=[".txt", ".md", ".docx", ".doc", ".pdf", ".html", ".htm", ".png",
                                                 ".jpg", ".jpeg", ".tif", ".tiff", ".zip"])
                title = gr.Textbox(label="Tiêu đề (không bắt buộc)")
                with gr.Row():
                    preview_btn = gr.Button("Xem trước cấu trúc")
                    index_btn = gr.Button("Lập chỉ mục", variant="primary")
                status = gr.Markdown()
                queue = gr.Dataframe(headers=["Tệp", "Kết quả"], value=[], interactive=False, wrap=True,
                                     label="Hàng đợi", elem_id="staff-queue")
                tree = gr.Markdown()
                reports = gr.Dataframe(headers=REPORT_HEADERS, value=report_rows(service), interactive=False,
                                       wrap=True, label="Báo cáo đã có")
                with gr.Row():
                    delete_id = gr.Textbox(label="Mã báo cáo cần xóa")
                    delete_btn = gr.Button("Xóa báo cáo", variant="stop")
                with gr.Row():
                    reindex_btn = gr.Button("Phân tích lại mọi báo cáo (sau khi nâng cấp bộ phân tích)")
                    audit_btn = gr.Button("Xem nhật ký")
                audit = gr.Dataframe(headers=AUDIT_HEADERS, value=[], interactive=False, wrap=True,
                                     label="Nhật ký thao tác", elem_id="audit-log")

                def do_index(tok, text, ups, ttl, progress=gr.Progress()):
                    ups = [u for u in (ups or []) if u]
                    if len(ups) > 1 or (ups and ups[0].lower().endswith(".zip")):
                        for message, rows in index_batch(service, tok, ups):
                            yield message, rows, gr.update(), gr.update()
                    else:
                        message = index_report(service, tok, text, ups[0] if ups else None, ttl, progress)
                        yield message, [], gr.update(), gr.update()
                    yield gr.update(), gr.update(), report_rows(service), gr.update(choices=doc_choices())

                def do_delete(tok, doc_id):
                    return delete_report(service, tok, doc_id), report_rows(service), gr.update(choices=doc_choices())

                def do_reindex(tok):
                    message, rows = reindex_all(service, tok)
                    return message, rows, report_rows(service)

                preview_btn.click(lambda text, up, ttl: preview_tree(service, text, up, ttl), [pasted, upload, title], tree)
                index_btn.click(do_index, [token, pasted, upload, title], [status, queue, reports, docs])
                delete_btn.click(do_delete, [token, delete_id], [status, reports, docs])
                reindex_btn.click(do_reindex, token, [status, queue, reports])
                audit_btn.click(lambda tok: audit_rows(service, tok), token, [status, audit])
        outputs = [chat, evidence, question, answers, copy_text, md_file, docx_file]
        send.click(respond, [question, chat, docs, answers], outputs)
        question.submit(respond, [question, chat, docs, answers], outputs)
        clear.click(lambda: ([], "", "", [], "", None, None), None, outputs)

        def on_load(request: gr.Request):
            """Fresh choices and tables; a deep link (?doc=...&section=...) opens the reader there."""
            choices = doc_choices()
            params = dict(request.query_params) if request is not None else {}
            doc_id, section_id = params.get("doc", ""), params.get("section", "")
            known = {c[1] for c in choices}
            reader = [gr.update(choices=choices), gr.update(), "<p>Chọn một báo cáo để đọc.</p>", "", gr.update()]
            if doc_id in known:
                sections = section_choices(service, doc_id)
                if section_id not in {s[1] for s in sections}:
                    section_id = sections[0][1] if sections else ""
                reader = [gr.update(choices=choices, value=doc_id), gr.update(choices=sections, value=section_id or None),
                          outline_html(service, doc_id, section_id), section_html(service, doc_id, section_id),
                          gr.Tabs(selected="reader")]
            return [gr.update(choices=choices)] * 3 + reader + [commitment_rows(service), figure_rows(service)]

        demo.load(on_load, None, [docs, c_docs, f_docs, r_doc, r_section, r_outline, r_view, tabs, c_table, f_table])
    return demo


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, seeds: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    service = AssistantService(settings)
    # Listen at once; the model loads and the seed reports are indexed behind it
    # (a question asked meanwhile waits for that instead of failing).
    service.start_in_background([Path(seed) for seed in seeds or []])
    import uvicorn

    # Gradio 6 takes page CSS at launch/mount time, not in the Blocks constructor.
    app = gr.mount_gradio_app(build_api(service), build_ui(service).queue(default_concurrency_limit=4), path="/", css=CSS)
    uvicorn.run(app, host=host, port=port, log_level="warning")

"""The Gradio front end and the REST API on one server. It only wires: every decision
lives in AssistantService (and the API's routes in assistant/api.py).

Tab "Hỏi đáp": chat with cited answers and an evidence panel (quote highlighted in its
section, score, low-relevance warning), a report filter and example questions.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr  # noqa: E402

from assistant.api import build_api, staff_token_ok  # noqa: E402
from assistant.models import Answer, Turn  # noqa: E402
from assistant.services import AssistantService  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.loaders import InputError, load_path, load_text  # noqa: E402

log = logging.getLogger(__name__)

LOW_RELEVANCE = 0.45
CSS = """
#evidence-panel .citation-chip { display: inline-block; cursor: pointer; padding: 2px 10px; margin: 4px 0;
  border-radius: 12px; background: #fde8d7; font-weight: 600; }
#evidence-panel details[open] > .citation-chip { background: #f97316; color: white; }
#evidence-panel mark { background: #fde047; }
#evidence-panel .low-relevance { color: #b45309; font-weight: 600; }
"""
EXAMPLES = [
    "Tốc độ tăng trưởng GRDP 6 tháng đầu năm 2024 của tỉnh là bao nhiêu?",
    "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?",
    "tinh se lam gi de ho tro doanh nghiep",
    "Những tồn tại, hạn chế trong 6 tháng đầu năm là gì?",
]


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


def evidence_html(service: AssistantService, answer: Answer) -> str:
    """One chip per citation ("[A.I.4.(1)]"); clicking it opens its evidence: report,
    section path, score, the section's text with the quoted sentence marked."""
    if not answer.found:
        return f"<div class='evidence-empty'>{html.escape(answer.answer)}</div>"
    parts = []
    for n, c in enumerate(answer.citations, start=1):
        section = service.index.section(c.doc_id, c.section_id)
        body = section.text if section else c.quote
        start = body.find(c.quote)
        if start >= 0:
            marked = (
                html.escape(body[:start]) + "<mark>" + html.escape(c.quote) + "</mark>"
                + html.escape(body[start + len(c.quote):])
            )
        else:
            marked = html.escape(body)
        warning = (
            "<p class='low-relevance'>⚠️ Độ liên quan thấp: hãy đọc kỹ đoạn trích trước khi sử dụng.</p>"
            if c.score < LOW_RELEVANCE else ""
        )
        record = service.index.snapshot().records.get(c.doc_id)     # cached: no store call per chip
        if record is not None and record.ocr:
            warning += ("<p class='ocr-text'>📷 Văn bản nhận dạng từ bản quét (OCR): "
                        "có thể có chữ đọc sai, hãy đối chiếu bản gốc.</p>")
        parts.append(
            f"<details class='evidence' id='evidence-{n}'>"
            f"<summary class='citation-chip'>[{html.escape(c.section_id)}]</summary>"
            f"<p><b>{html.escape(c.doc_title)}</b> — điểm liên quan {c.score:.2f}</p>"
            f"<p class='path'>{html.escape(c.section_path)}</p>{warning}"
            f"<div class='section-text' style='white-space:pre-wrap'>{marked}</div></details>"
        )
    return "<p>Trích dẫn (bấm để xem đoạn gốc):</p>" + "\n".join(parts)


_STAGES = {"đọc": "Đang đọc trang", "OCR": "Đang nhận dạng chữ (OCR) trang"}


def _loaded(service: AssistantService, pasted: str, upload: str | None, progress=None):
    """The report a staff member gave: an uploaded file wins over pasted text."""
    if upload:
        pages = (lambda done, total, stage: progress(done / total, desc=f"{_STAGES.get(stage, stage)} {done}/{total}")) \
            if progress else None
        return load_path(upload, service.settings.max_upload_bytes, progress=pages)
    return load_text(pasted or "", "paste", service.settings.max_upload_bytes)


def preview_tree(service: AssistantService, pasted: str, upload: str | None, title: str) -> str:
    """The parsed heading tree, shown before anything is indexed."""
    try:
        report = service.prepare(_loaded(service, pasted, upload), title=title or None)
    except InputError as exc:
        return f"**Lỗi:** {html.escape(str(exc))}"
    lines = [f"**{html.escape(report.title)}** — mã `{report.doc_id}`, {len(report.parsed.sections)} mục, "
             f"{len(report.chunks)} đoạn", ""]
    for section in report.parsed.sections:
        indent = "  " * max(section.level - 1, 0)
        lines.append(f"{indent}- `[{html.escape(section.section_id)}]` {html.escape(section.heading[:100])}")
    return "\n".join(lines)


def index_report(service: AssistantService, token: str, pasted: str, upload: str | None, title: str,
                 progress=None) -> str:
    """Staff indexing: needs the staff token; reports duplicates and replacements."""
    expected = service.settings.staff_token.get_secret_value() if service.settings.staff_token else None
    if not staff_token_ok(expected, token):
        return "**Từ chối:** mã nhân viên không đúng. Không có gì thay đổi."
    try:
        loaded = _loaded(service, pasted, upload, progress)
        result = service.ingest(loaded, title=title or None,
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


def delete_report(service: AssistantService, token: str, doc_id: str) -> str:
    expected = service.settings.staff_token.get_secret_value() if service.settings.staff_token else None
    if not staff_token_ok(expected, token):
        return "**Từ chối:** mã nhân viên không đúng. Không có gì thay đổi."
    try:
        deleted = service.delete((doc_id or "").strip())
    except InputError as exc:
        return f"**Lỗi:** {html.escape(str(exc))}"
    return f"Đã xóa `{html.escape(doc_id)}`." if deleted else f"Không có báo cáo `{html.escape(doc_id)}`."


def report_rows(service: AssistantService) -> list[list]:
    return [[r.doc_id, r.title + (" (OCR)" if r.ocr else ""), r.date, r.sections, r.chunks, r.indexed_at]
            for r in service.documents()]


def quote_html(service: AssistantService, doc_id: str, section_id: str, quote: str) -> str:
    """Evidence for a table row: the section with the row's text highlighted."""
    section = service.index.section(doc_id, section_id)
    if section is None:
        return ""
    body = section.text
    start = body.find(quote)
    marked = (html.escape(body[:start]) + "<mark>" + html.escape(quote) + "</mark>" + html.escape(body[start + len(quote):])
              if start >= 0 else html.escape(body))
    return (f"<details class='evidence' open><summary>[{html.escape(section_id)}] {html.escape(doc_id)}</summary>"
            f"<p class='path'>{html.escape(section.section_path)}</p>"
            f"<div class='section-text' style='white-space:pre-wrap'>{marked}</div></details>")


COMMITMENT_HEADERS = ["Báo cáo", "Mục", "Nội dung cam kết", "Thời hạn", "Chỉ tiêu"]
FIGURE_HEADERS = ["Báo cáo", "Mục", "Giá trị", "Đơn vị", "Chỉ số"]


def commitment_rows(service: AssistantService, search: str = "", doc_ids=None) -> list[list]:
    return [[c["doc_id"], c["section_id"], c["text"], c["deadline"], c["target"]]
            for c in service.commitments(search, doc_ids or None)]


def figure_rows(service: AssistantService, search: str = "", doc_ids=None) -> list[list]:
    return [[f["doc_id"], f["section_id"], f["value"], f["unit"], f["measure"]]
            for f in service.figures(search, doc_ids or None)]


def build_ui(service: AssistantService) -> gr.Blocks:
    def doc_choices():
        return [(f"{r.title} ({r.doc_id})", r.doc_id) for r in service.documents()]

    def respond(message: str, history: list[dict], doc_ids: list[str] | None):
        """A generator: in generative mode the reply grows token by token, then the
        checked answer (or its extractive fallback) replaces it, with its citation chips."""
        history = list(history or [])
        message = (message or "").strip()
        if not message:
            yield history, gr.update(), ""
            return
        turns = history_turns(history)
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        try:
            partial = ""
            for item in service.ask_stream(message, doc_ids or None, turns):
                if isinstance(item, Answer):
                    history[-1] = {"role": "assistant", "content": chat_markdown(item.answer)}
                    yield history, evidence_html(service, item), ""
                else:
                    partial += item
                    history[-1] = {"role": "assistant", "content": chat_markdown(partial)}
                    yield history, gr.update(), ""
        except InputError as exc:
            history[-1] = {"role": "assistant", "content": chat_markdown(f"Lỗi: {exc}")}
            yield history, "", ""

    with gr.Blocks(title="Trợ lý báo cáo") as demo:
        gr.Markdown("## Trợ lý hỏi đáp báo cáo\nCâu trả lời trích nguyên văn từ báo cáo, kèm mục [A.I.4.(1)] để đối chiếu.")
        with gr.Tab("Hỏi đáp"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Hội thoại", height=480)
                    question = gr.Textbox(label="Câu hỏi", placeholder="Nhập câu hỏi (có thể gõ không dấu)…")
                    with gr.Row():
                        send = gr.Button("Hỏi", variant="primary")
                        clear = gr.Button("Xóa hội thoại")
                    gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
                with gr.Column(scale=2):
                    docs = gr.Dropdown(choices=doc_choices(), multiselect=True, label="Chỉ tìm trong báo cáo")
                    evidence = gr.HTML(label="Bằng chứng")
        with gr.Tab("Cam kết"):
            gr.Markdown("Các nhiệm vụ, cam kết trong phần chương trình công tác / phương hướng của các báo cáo.")
            with gr.Row():
                c_search = gr.Textbox(label="Tìm (có thể gõ không dấu)")
                c_docs = gr.Dropdown(choices=doc_choices(), multiselect=True, label="Báo cáo")
            c_table = gr.Dataframe(headers=COMMITMENT_HEADERS, value=commitment_rows(service), interactive=False,
                                   wrap=True, label="Cam kết")
            c_evidence = gr.HTML()

            def show_commitment(search, doc_ids, event: gr.SelectData):
                row = commitment_rows(service, search, doc_ids)[event.index[0]]
                return quote_html(service, row[0], row[1], row[2])

            c_search.change(lambda q, d: commitment_rows(service, q, d), [c_search, c_docs], c_table)
            c_docs.change(lambda q, d: commitment_rows(service, q, d), [c_search, c_docs], c_table)
            c_table.select(show_commitment, [c_search, c_docs], c_evidence)
        with gr.Tab("Số liệu"):
            with gr.Row():
                f_search = gr.Textbox(label="Tìm chỉ số (có thể gõ không dấu)")
                f_docs = gr.Dropdown(choices=doc_choices(), multiselect=True, label="Báo cáo")
            f_table = gr.Dataframe(headers=FIGURE_HEADERS, value=figure_rows(service), interactive=False, wrap=True,
                                   label="Số liệu")
            f_evidence = gr.HTML()

            def show_figure(search, doc_ids, event: gr.SelectData):
                row = service.figures(search, doc_ids or None)[event.index[0]]
                return quote_html(service, row["doc_id"], row["section_id"], row["sentence"])

            f_search.change(lambda q, d: figure_rows(service, q, d), [f_search, f_docs], f_table)
            f_docs.change(lambda q, d: figure_rows(service, q, d), [f_search, f_docs], f_table)
            f_table.select(show_figure, [f_search, f_docs], f_evidence)
        with gr.Tab("Nhập báo cáo"):
            if service.settings.staff_token is None:
                gr.Markdown(
                    "Chức năng nhập báo cáo đang **tắt**. Để bật, khởi động máy chủ với biến môi trường "
                    "`ASSISTANT_STAFF_TOKEN=<mã bí mật>` và nhập đúng mã đó ở đây."
                )
            token = gr.Textbox(label="Mã nhân viên", type="password")
            with gr.Row():
                pasted = gr.Textbox(label="Dán nội dung báo cáo", lines=10)
                upload = gr.File(label="hoặc tải tệp (.txt, .md, .docx, .pdf)", type="filepath",
                                 file_types=[".txt", ".md", ".docx", ".pdf"])
            title = gr.Textbox(label="Tiêu đề (không bắt buộc)")
            with gr.Row():
                preview_btn = gr.Button("Xem trước cấu trúc")
                index_btn = gr.Button("Lập chỉ mục", variant="primary")
            status = gr.Markdown()
            tree = gr.Markdown()
            reports = gr.Dataframe(headers=["Mã", "Tiêu đề", "Ngày", "Số mục", "Số đoạn", "Lập chỉ mục lúc"],
                                   value=report_rows(service), interactive=False, label="Báo cáo đã có")
            with gr.Row():
                delete_id = gr.Textbox(label="Mã báo cáo cần xóa")
                delete_btn = gr.Button("Xóa báo cáo", variant="stop")

            def do_index(tok, text, up, ttl, progress=gr.Progress()):
                message = index_report(service, tok, text, up, ttl, progress)
                return message, report_rows(service), gr.update(choices=doc_choices())

            def do_delete(tok, doc_id):
                return delete_report(service, tok, doc_id), report_rows(service), gr.update(choices=doc_choices())

            preview_btn.click(lambda text, up, ttl: preview_tree(service, text, up, ttl), [pasted, upload, title], tree)
            index_btn.click(do_index, [token, pasted, upload, title], [status, reports, docs])
            delete_btn.click(do_delete, [token, delete_id], [status, reports, docs])
        send.click(respond, [question, chat, docs], [chat, evidence, question])
        question.submit(respond, [question, chat, docs], [chat, evidence, question])
        clear.click(lambda: ([], "", ""), None, [chat, evidence, question])
        demo.load(lambda: [gr.update(choices=doc_choices())] * 3 + [commitment_rows(service), figure_rows(service)],
                  None, [docs, c_docs, f_docs, c_table, f_table])
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

"""The Gradio front end and the REST API on one server. It only wires: every decision
lives in AssistantService (and the API's routes in assistant/api.py).

Tabs: "Hỏi đáp" (chat, evidence chips that open the reader, the answer to copy with its
sources, the conversation as .md/.docx), "Đọc báo cáo" (a report by its heading tree;
deep links ?doc=...&section=...), "Cam kết" (commitments, their follow-through in later
reports, filters, CSV/XLSX), "Số liệu", "Nhập báo cáo" (staff: several files or a .zip,
a queue, re-index, the audit log).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr  # noqa: E402

from assistant.api import build_api  # noqa: E402
from assistant.report_scope import ReportFilter  # noqa: E402
from webui.trend import TREND_HEADERS, trend  # noqa: E402
from assistant.models import Answer  # noqa: E402
from assistant.services import AssistantService  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.takeaway import answer_text, conversation_docx, conversation_markdown, table_csv, table_xlsx  # noqa: E402
from ingest.loaders import InputError  # noqa: E402
from webui.commitments import (  # noqa: E402
    COMMITMENT_HEADERS, EXPORT_HEADERS, FIGURE_HEADERS, STATUSES, _export_file, commitment_html, commitment_rows,
    export_rows, figure_rows, tracker_rows,
)
from webui.evidence import chat_markdown, evidence_html, heading_of, history_turns, quote_html  # noqa: E402
from webui.reader import outline_html, section_choices, section_html  # noqa: E402
from webui.staff import (  # noqa: E402
    AUDIT_HEADERS, REPORT_HEADERS, audit_rows, delete_report, index_batch, index_report, preview_tree, reindex_all,
    report_rows,
)

# What the tests and scripts call as app.* (the staff tab's actions, the evidence panel).
__all__ = ["build_ui", "serve", "index_report", "delete_report", "preview_tree", "report_rows", "quote_html",
           "evidence_html"]

log = logging.getLogger(__name__)

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

    def filter_choices():
        """Places, kinds and years the indexed reports state (docs --json's fields)."""
        recs = service.documents()
        places = sorted({r.meta["place"] for r in recs if r.meta.get("place")})
        kinds = sorted({r.meta["kind"] for r in recs if r.meta.get("kind")})
        years = sorted({y for r in recs for y in r.years()}, reverse=True)
        return ([("Mọi địa phương", "")] + [(p, p) for p in places], [("Mọi loại", "")] + [(k, k) for k in kinds],
                [("Mọi năm", "")] + [(y, y) for y in years])

    def respond(message: str, history: list[dict], doc_ids: list[str] | None, place: str, kind: str, year: str,
                answers: list[dict]):
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
            filters = ReportFilter(place or "", kind or "", year or "")
            for item in service.ask_stream(message, doc_ids or None, turns, filters):
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
                        places, kinds, years = filter_choices()
                        with gr.Row():
                            f_place = gr.Dropdown(choices=places, value="", label="Địa phương", min_width=120,
                                                  elem_id="filter-place")
                            f_kind = gr.Dropdown(choices=kinds, value="", label="Loại văn bản", min_width=120,
                                                 elem_id="filter-kind")
                            f_year = gr.Dropdown(choices=years, value="", label="Năm", min_width=90, elem_id="filter-year")
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
                gr.Markdown("#### Một chỉ tiêu qua các kỳ báo cáo")
                with gr.Row():
                    t_question = gr.Textbox(label="Chỉ tiêu, hỏi như một câu hỏi", scale=3, elem_id="trend-question",
                                            placeholder="Tốc độ tăng trưởng GRDP của tỉnh là bao nhiêu?")
                    t_button = gr.Button("Xem qua các kỳ", scale=1, elem_id="trend-button")
                t_note = gr.HTML(elem_id="trend-note")
                t_table = gr.Dataframe(headers=TREND_HEADERS, value=[], interactive=False, wrap=True,
                                       label="Qua các kỳ", elem_id="trend-table")
                t_chart = gr.LinePlot(x="Kỳ", y="Giá trị", label="Biểu đồ", elem_id="trend-chart", height=300)

                def show_trend(q):
                    rows, frame, note = trend(service, q)
                    # the periods in time order, not alphabetically
                    return rows, gr.LinePlot(value=frame, sort=list(frame["Kỳ"])), note

                t_button.click(show_trend, t_question, [t_table, t_chart, t_note])
                t_question.submit(show_trend, t_question, [t_table, t_chart, t_note])

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
        asked = [question, chat, docs, f_place, f_kind, f_year, answers]
        send.click(respond, asked, outputs)
        question.submit(respond, asked, outputs)
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
            filters = [gr.update(choices=c) for c in filter_choices()]
            return [gr.update(choices=choices)] * 3 + reader + [commitment_rows(service), figure_rows(service)] + filters

        demo.load(on_load, None, [docs, c_docs, f_docs, r_doc, r_section, r_outline, r_view, tabs, c_table, f_table,
                                  f_place, f_kind, f_year])
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

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

from assistant.api import build_api  # noqa: E402
from assistant.models import Answer, Turn  # noqa: E402
from assistant.services import AssistantService  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.loaders import InputError  # noqa: E402

log = logging.getLogger(__name__)

LOW_RELEVANCE = 0.45
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
            turns[-1].answer = text
    return turns


def evidence_html(service: AssistantService, answer: Answer) -> str:
    """Each citation: report, section path, the section text with the quote marked, score."""
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
        parts.append(
            f"<details class='evidence' id='evidence-{n}' {'open' if n == 1 else ''}>"
            f"<summary>[{html.escape(c.section_id)}] {html.escape(c.doc_title)} — điểm {c.score:.2f}</summary>"
            f"<p class='path'>{html.escape(c.section_path)}</p>{warning}"
            f"<div class='section-text' style='white-space:pre-wrap'>{marked}</div></details>"
        )
    return "\n".join(parts)


def build_ui(service: AssistantService) -> gr.Blocks:
    def doc_choices():
        return [(f"{r.title} ({r.doc_id})", r.doc_id) for r in service.documents()]

    def respond(message: str, history: list[dict], doc_ids: list[str] | None):
        """A generator: in generative mode the reply grows token by token, then the
        checked answer (or its extractive fallback) replaces it."""
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
                    history[-1] = {"role": "assistant", "content": item.answer}
                    yield history, evidence_html(service, item), ""
                else:
                    partial += item
                    history[-1] = {"role": "assistant", "content": partial}
                    yield history, gr.update(), ""
        except InputError as exc:
            history[-1] = {"role": "assistant", "content": f"Lỗi: {exc}"}
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
        send.click(respond, [question, chat, docs], [chat, evidence, question])
        question.submit(respond, [question, chat, docs], [chat, evidence, question])
        clear.click(lambda: ([], "", ""), None, [chat, evidence, question])
        demo.load(lambda: gr.update(choices=doc_choices()), None, docs)
    return demo


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, seeds: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    service = AssistantService(settings)
    if seeds and not service.documents():
        for seed in seeds:
            if Path(seed).is_file():
                result = service.ingest_path(seed)
                log.info("seeded %s (%s)", result.record.doc_id, result.status)
    import uvicorn

    app = gr.mount_gradio_app(build_api(service), build_ui(service).queue(default_concurrency_limit=4), path="/")
    uvicorn.run(app, host=host, port=port, log_level="warning")

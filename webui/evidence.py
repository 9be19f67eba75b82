"""The chat's turns and the evidence of an answer: a chip per cited section, the quotes
marked in their section's text, and the links that open the reader there."""

from __future__ import annotations

import html
from urllib.parse import quote, urlencode

from assistant.models import Answer, Turn
from assistant.services import AssistantService

LOW_RELEVANCE = 0.45


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
    several = len({doc_id for doc_id, _ in grouped}) > 1     # a series' reports: say whose chip it is
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
        if several and record is not None and (record.meta.get("period") or {}).get("label"):
            label += f" · {record.meta['period']['label']}"
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

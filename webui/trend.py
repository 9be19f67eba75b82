"""The Số liệu tab's "one indicator across periods": a table and a chart, every point cited."""

from __future__ import annotations

import html

import pandas as pd

from assistant.services import AssistantService

TREND_HEADERS = ["Kỳ báo cáo", "Số liệu", "Báo cáo", "Mục", "Trích dẫn"]


def trend(service: AssistantService, question: str) -> tuple[list[list], pd.DataFrame, str]:
    """(table rows, chart data, a note) for an indicator asked as a question."""
    empty = pd.DataFrame({"Kỳ": [], "Giá trị": []})
    if not (question or "").strip():
        return [], empty, ""
    try:
        result = service.figures_across(question)
    except Exception as exc:  # bad input: said in the note, the tab stays usable
        return [], empty, f"<p>Lỗi: {html.escape(str(exc))}</p>"
    points = result["points"]
    if not points:
        note = result["answer"] if not result["found"] else "Câu trả lời không có số liệu để so sánh qua các kỳ."
        return [], empty, f"<p>{html.escape(note)}</p>"
    rows = [[p["period"], p["figure"], p["doc_title"], p["section_id"], p["quote"]] for p in points]
    charted = [p for p in points if p["value"] is not None]
    frame = pd.DataFrame({"Kỳ": [p["period"] for p in charted], "Giá trị": [p["value"] for p in charted]})
    note = f"<p>{len(points)} kỳ báo cáo; mỗi số liệu trích nguyên văn từ mục ghi bên cạnh.</p>"
    return rows, frame, note

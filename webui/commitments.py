"""The commitments tracker and the figures table as rows, the evidence of a commitment and
of its follow-through, and the exports."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from assistant.services import AssistantService
from webui.evidence import quote_html

STATUS_CLASS = {"đã hoàn thành": "status-done", "đang thực hiện": "status-ongoing",
                "chưa thực hiện": "status-not", "chưa có thông tin": "status-none"}


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

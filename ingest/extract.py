"""Commitments and key figures, read out of a report's sections.

- A *commitment* is an item (a bullet, a numbered task, a sentence) of a programme part
  ("Chương trình công tác ...", "Phương hướng, nhiệm vụ ...", a plan's tasks), with its
  deadline ("trước ngày 31/01/2025", "trong quý IV/2025", "đến năm 2027") and target
  ("đạt 95%", "100% ... trực tuyến") when the text states them.
- A *key figure* is a number with its unit ("7,76%", "412,6 tỷ đồng", "45 ha",
  "197/390 trường") and the words before it that say what it measures.
Every text returned is an exact substring of its section, so it can be shown as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.vntext import sentence_spans

_DEADLINE = re.compile(
    r"(?:trước|trong|đến|đến hết|chậm nhất|hoàn thành trong|hoàn thành trước|vào)\s+"
    r"(?:ngày\s+\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{1,2}/\d{4}|quý\s+[IV]{1,3}/\d{4}|tháng\s+\d{1,2}/\d{4}|năm\s+\d{4}|"
    r"cuối năm\s+\d{4}|6 tháng cuối năm(?:\s+\d{4})?)",
    re.IGNORECASE,
)
_TARGET = re.compile(
    r"(?:phấn đấu|đạt|tối thiểu|ít nhất|không dưới|trên|lên|xuống còn|còn dưới|giảm)\s+[^.;:]{0,60}?"
    r"\d+(?:[.,]\d+)*\s*(?:%|tỷ đồng|triệu đồng|ha|km|trường|xã|hồ sơ|lao động|người)",
    re.IGNORECASE,
)
_UNITS = (
    r"%|điểm %|tỷ đồng|triệu đồng|nghìn tỷ đồng|nghìn đồng|USD|triệu USD|ha|km|m2|tấn|con|người|lao động|hộ|"
    r"trường|xã|huyện|dự án|công trình|doanh nghiệp|hợp tác xã|hồ sơ|thủ tục|văn bản|quyết định|kế hoạch|"
    r"chỉ tiêu|giấy phép|sản phẩm|tài khoản|trạm|giường bệnh|bác sĩ|đơn|lượt|căn nhà|km đường|"
    r"tờ trình|thông báo|báo cáo|nhóm giải pháp|nhiệm vụ|tiêu chí|chỉ thị|bộ dữ liệu|thôn|cơ sở"
)
_FIGURE = re.compile(rf"(?<![\w/.,])(\d+(?:[.,]\d+)*(?:/\d+)?)\s*({_UNITS})(?![\w])")
_BULLET = re.compile(r"^\s*[-+•*–]\s+")


@dataclass
class Commitment:
    section_id: str
    text: str                 # the item, or a task table's whole row (exact substring of the section)
    deadline: str = ""
    target: str = ""
    agency: str = ""          # who leads it: a task table's "Cơ quan chủ trì" cell
    partners: str = ""        # "Cơ quan phối hợp"
    output: str = ""          # "Kết quả" / "Sản phẩm"
    task: str = ""            # the task cell of a table row ("" for prose items)


# Columns of a task table (STT | Nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Kết quả |
# Thời gian hoàn thành): which header says which, folded and lower-cased.
_COLUMNS = (
    ("partners", re.compile(r"phoi hop")),
    ("agency", re.compile(r"chu tri|co quan thuc hien|don vi thuc hien|co quan, don vi|trach nhiem")),
    ("deadline", re.compile(r"thoi gian|thoi han|tien do|nam hoan thanh")),
    ("output", re.compile(r"ket qua|san pham|hinh thuc")),
    ("task", re.compile(r"nhiem vu|noi dung|giai phap|ten de an|cong viec|hoat dong|chi tieu")),
)


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def task_columns(header: str) -> dict[str, int] | None:
    """Which column holds the task, the agency, the deadline... or None when the header
    is not a task table's (it names no task, or neither an agency nor a deadline)."""
    from ingest.vntext import fold

    columns: dict[str, int] = {}
    for i, cell in enumerate(_cells(header)):
        folded = fold(cell).lower()
        for name, pattern in _COLUMNS:
            if name not in columns and pattern.search(folded):
                columns[name] = i
                break
    if "task" not in columns or not ({"agency", "deadline"} & columns.keys()):
        return None
    return columns


def _table_commitments(section) -> list[Commitment]:
    """One commitment per row of a task table in the section, with its agency and
    deadline; group rows ("| I. Đổi mới … |") and the header are not tasks."""
    found = []
    columns: dict[str, int] | None = None
    in_table = False
    for line in section.text.split("\n"):
        if not line.strip():
            continue                   # rows are blocks: blank lines between them
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table:               # a table's first row is its header
            in_table = True
            columns = task_columns(line)
            continue
        if columns is None:
            continue
        cells = _cells(line)

        def cell(name: str) -> str:
            i = columns.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        task = cell("task")
        if len(task) < 10 or not (cell("agency") or cell("deadline")):
            continue                   # a group row ("| I | Cải cách thể chế | | |")
        deadline = cell("deadline")
        target = _TARGET.search(task)
        found.append(Commitment(
            section_id=section.section_id, text=line, deadline=deadline, target=target.group(0) if target else "",
            agency=cell("agency"), partners=cell("partners"), output=cell("output"), task=task,
        ))
    return found


@dataclass
class Figure:
    section_id: str
    value: str
    unit: str
    measure: str      # the clause the figure stands in: what it measures
    sentence: str     # the sentence it stands in (exact substring of the section)


def _items(text: str, heading: str) -> list[str]:
    """Bullets and sentences of a section's own text, its short title line left out."""
    out = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or (line == heading.strip() and len(line) < 120):
            continue
        if _BULLET.match(line):
            out.append(line)
            continue
        for start, end in sentence_spans(line):
            sentence = line[start:end]
            if len(sentence) > 25:
                out.append(sentence)
    return out


def commitments(sections) -> list[Commitment]:
    """`sections`: objects with section_id, heading, text and programme (parsed or stored)."""
    found = []
    for section in sections:
        rows = _table_commitments(section) if "|" in section.text else []
        found.extend(rows)
        if not getattr(section, "programme", False):
            continue
        for item in _items(section.text, section.heading):
            if item.startswith("|") and rows:
                continue        # the task table's rows are already commitments, cell by cell
            if item.rstrip().endswith(":") and len(item) < 200:
                continue        # "... chú trọng các nhiệm vụ sau:" introduces, it commits to nothing
            if item.isupper():
                continue        # a part's title line ("NHIỆM VỤ, MỤC TIÊU ... 2025-2027")
            deadline = _DEADLINE.search(item)
            target = _TARGET.search(item)
            found.append(Commitment(
                section_id=section.section_id, text=item,
                deadline=deadline.group(0) if deadline else "", target=target.group(0) if target else "",
            ))
    return found


def figures(sections) -> list[Figure]:
    found = []
    for section in sections:
        if getattr(section, "kind", "section") in ("preamble", "closing"):
            continue
        for item in _items(section.text, section.heading):
            for match in _FIGURE.finditer(item):
                start = max(item.rfind(c, 0, match.start()) for c in (",", ";", ":")) + 1
                ends = [i for i in (item.find(c, match.end()) for c in (",", ";", ".", ":")) if i >= 0]
                clause = item[start : min(ends) if ends else len(item)].strip(" -+•")
                words = clause.split()
                found.append(Figure(section.section_id, match.group(1), match.group(2),
                                    " ".join(words[:18]) + (" …" if len(words) > 18 else ""), item))
    return found

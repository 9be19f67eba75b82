"""Answers to take away: an answer as plain text with numbered sources (report, number,
date, section and its heading, the exact quote), and a whole conversation as Markdown or
a Word file for meeting notes."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from assistant.models import Answer
from vectorstore.document_index import DocumentRecord

HeadingOf = Callable[[str, str], str]       # (doc_id, section_id) -> the section's heading


@dataclass
class Source:
    n: int
    title: str
    number: str
    date: str
    section_id: str
    heading: str
    quote: str

    def line(self) -> str:
        about = ", ".join(x for x in (f"số {self.number}" if self.number else "", date_vi(self.date)) if x)
        heading = self.heading if len(self.heading) <= 100 else self.heading[:100].rsplit(" ", 1)[0] + "…"
        where = f"mục [{self.section_id}]" + (f" {heading}" if heading else "")
        return f"[{self.n}] {self.title}" + (f" ({about})" if about else "") + f", {where}: “{self.quote}”"


def date_vi(date: str) -> str:
    """2024-06-15 -> ngày 15/06/2024; 2024-06 -> tháng 06/2024; "" stays ""."""
    parts = date.split("-")
    if len(parts) == 3:
        return f"ngày {parts[2]}/{parts[1]}/{parts[0]}"
    if len(parts) == 2:
        return f"tháng {parts[1]}/{parts[0]}"
    return date


def sources(answer: Answer, records: dict[str, DocumentRecord], heading_of: HeadingOf) -> list[Source]:
    out = []
    for n, c in enumerate(answer.citations, start=1):
        record = records.get(c.doc_id)
        meta = record.meta if record else {}
        out.append(Source(n, c.doc_title, meta.get("number", ""), record.date if record else "", c.section_id,
                          heading_of(c.doc_id, c.section_id), c.quote))
    return out


def answer_text(answer: Answer, records: dict[str, DocumentRecord], heading_of: HeadingOf) -> str:
    """What "copy" puts on the clipboard: the answer, then its numbered sources."""
    listed = sources(answer, records, heading_of) if answer.found else []
    if not listed:
        return answer.answer
    return answer.answer + "\n\nNguồn:\n" + "\n".join(s.line() for s in listed)


def conversation_markdown(answers: list[Answer], records: dict[str, DocumentRecord], heading_of: HeadingOf) -> str:
    lines = ["# Hỏi đáp báo cáo", ""]
    for n, answer in enumerate(answers, start=1):
        lines += [f"## {n}. {answer.question}", "", answer.answer, ""]
        listed = sources(answer, records, heading_of) if answer.found else []
        if listed:
            lines += ["**Nguồn:**", ""] + [f"- {s.line()}" for s in listed] + [""]
    return "\n".join(lines)


def conversation_docx(answers: list[Answer], records: dict[str, DocumentRecord], heading_of: HeadingOf) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("Hỏi đáp báo cáo", level=1)
    for n, answer in enumerate(answers, start=1):
        doc.add_heading(f"{n}. {answer.question}", level=2)
        doc.add_paragraph(answer.answer)
        listed = sources(answer, records, heading_of) if answer.found else []
        if listed:
            doc.add_paragraph("Nguồn:").runs[0].bold = True
            for s in listed:
                doc.add_paragraph(s.line(), style="List Bullet")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def table_csv(headers: list[str], rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Vietnamese text right."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([_as_text(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _as_text(value):
    """A cell starting with "=", "+", "-" or "@" would be a formula in a spreadsheet: a
    quote keeps it text (a report's "- Sở Nội vụ" bullet, or hostile text)."""
    return f"'{value}" if isinstance(value, str) and value[:1] in "=+-@" else value


def table_xlsx(headers: list[str], rows: list[list], sheet: str = "Cam kết") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":      # text starting with "=" is text here, never a formula
                cell.data_type = "s"
    for column in ws.columns:
        width = min(60, max(10, *(len(str(c.value or "")) for c in column)))
        ws.column_dimensions[column[0].column_letter].width = width
        for c in column[1:]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

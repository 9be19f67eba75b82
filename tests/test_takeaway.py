"""Answers to take away and the commitments tracker, on the real service, the bundled
report and a real plan with a later report of the same body (UBND tỉnh Lâm Đồng)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from assistant.followthrough import DONE, NOT_DONE, ONGOING, UNKNOWN, deadline_end, read_status
from assistant.takeaway import answer_text, conversation_docx, conversation_markdown, table_csv, table_xlsx
from tests.conftest import ROOT, SAMPLE

REAL = ROOT / "eval" / "corpus" / "real"
PLAN = REAL / "kh-ubnd-lam-dong-cchc-2026-2030.docx"
LATER = REAL / "bc-ubnd-lam-dong-cchc-quy-1-2026.docx"


@pytest.fixture(scope="module")
def service(tmp_path_factory, embeddings):
    from assistant.services import AssistantService
    from tests.conftest import store_settings

    service = AssistantService(store_settings(tmp_path_factory.mktemp("tracker") / "data"), embeddings=embeddings)
    for path in (SAMPLE, PLAN, LATER):
        service.ingest_path(path)
    return service


def _heading(service):
    return lambda doc_id, section_id: service.index.section(doc_id, section_id).heading


def test_an_answer_copies_with_numbered_sources_report_number_date_and_section(service):
    answer = service.ask("Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?")
    text = answer_text(answer, service.index.snapshot().records, _heading(service))
    body, sources = text.split("\n\nNguồn:\n")
    assert "50,51%" in body
    first = sources.splitlines()[0]
    assert first.startswith("[1] Báo cáo") and "[A.I.4.(5)]" in first and "50,51%" in first
    section = service.index.section(answer.citations[0].doc_id, "A.I.4.(5)")
    assert section.heading[:60] in first                            # the section named by its heading


def test_a_conversation_downloads_as_markdown_and_word(service):
    import docx

    answers = [service.ask("Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?"),
               service.ask("Giá vàng hôm nay bao nhiêu?")]
    records = service.index.snapshot().records
    md = conversation_markdown(answers, records, _heading(service))
    assert md.count("\n## ") == 2 and "**Nguồn:**" in md and "[A.I.4.(5)]" in md
    doc = docx.Document(io.BytesIO(conversation_docx(answers, records, _heading(service))))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "1. Tỷ lệ trường đạt chuẩn quốc gia" in text and "2. Giá vàng hôm nay" in text
    assert text.count("Nguồn:") == 1                      # the refusal has no sources to list


def test_the_attached_plans_task_rows_carry_agency_and_deadline_and_a_later_reports_status(service):
    rows = [r for r in service.tracker("kiem tra cai cach hanh chinh") if r["doc_id"] == "kh-ubnd-lam-dong-cchc-2026-2030"]
    row = next(r for r in rows if r["agency"] == "Sở Nội vụ")
    assert row["task"].startswith("Tham mưu ban hành Kế hoạch kiểm tra công tác cải cách hành chính")
    assert "tháng 01 hằng năm" in row["deadline"]
    assert row["evidence"]["doc_id"] == "bc-ubnd-lam-dong-cchc-quy-1-2026"
    section = service.index.section(row["evidence"]["doc_id"], row["evidence"]["section_id"])
    assert row["evidence"]["quote"] in section.text                     # the evidence is an exact quote
    assert "Kế hoạch số 962/KH-UBND" in row["evidence"]["quote"] and row["status"] == DONE


def test_tracker_filters_by_agency_and_status_and_puts_overdue_first(service):
    by_agency = service.tracker(agency="so tu phap")
    assert by_agency and all("Sở Tư pháp" in r["agency"] for r in by_agency)
    unknown = service.tracker(status=UNKNOWN)
    assert unknown and all(r["status"] == UNKNOWN and r["evidence"] is None for r in unknown)
    late = service.tracker(overdue_first=True, today=date(2031, 1, 1))
    flags = [r["overdue"] for r in late]
    assert any(flags) and flags == sorted(flags, reverse=True)         # every overdue row before the rest
    assert not any(r["overdue"] for r in service.tracker(today=date(2020, 1, 1)))
    # A plan is followed only by reports not dated before it: the bundled 2024 report
    # (another province) is never evidence for the 2026 plan.
    assert all(r["evidence"]["doc_id"] != "bao-cao-binh-phuoc-6-thang-2024"
               for r in service.tracker() if r["evidence"])


@pytest.mark.parametrize("sentence, status", [
    ("Ủy ban nhân dân tỉnh ban hành Kế hoạch số 962/KH-UBND ngày 21/01/2026 về kiểm tra", DONE),
    ("Đến nay đã hoàn thành 15/21 nhiệm vụ được giao", DONE),
    ("Các sở, ngành chưa hoàn thành việc rà soát vị trí việc làm", NOT_DONE),
    ("Tỉnh tiếp tục triển khai, nâng cấp Trung tâm điều hành thông minh", ONGOING),
    ("Các địa phương đang xây dựng đề án vị trí việc làm", ONGOING),
])
def test_a_status_is_read_from_the_evidence_own_words(sentence, status):
    assert read_status(sentence) == status


def test_deadlines_end_where_the_cell_says():
    assert deadline_end("Quý II/2026") == date(2026, 6, 30)
    assert deadline_end("Giai đoạn 2026-2030") == date(2030, 12, 31)
    assert deadline_end("Trước ngày 15/9/2026") == date(2026, 9, 15)
    assert deadline_end("Thường xuyên") is None


def test_exports_open_in_a_spreadsheet_and_hostile_cells_stay_text():
    from openpyxl import load_workbook

    rows = [["Kế hoạch CCHC", "=HYPERLINK(\"http://x\")", "- Sở Nội vụ", 3]]
    book = load_workbook(io.BytesIO(table_xlsx(["Báo cáo", "Nội dung", "Cơ quan", "Số"], rows)))
    cells = [c.value for c in book.active[2]]
    assert cells[0] == "Kế hoạch CCHC" and cells[1].startswith("=HYPERLINK") and book.active["B2"].data_type == "s"
    csv_text = table_csv(["Báo cáo", "Nội dung", "Cơ quan", "Số"], rows).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'- Sở Nội vụ" in csv_text

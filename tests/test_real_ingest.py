"""Formats staff receive, indexed end to end with the real parts (packaged model, Chroma
in a temp dir): a scan read by OCR and answered from its first page, a legacy .doc and
a portal's .html through the CLI and the staff tab, a gazette PDF's task table in the
commitments, and a document with more sections than Chroma takes in one call."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app
from ingest.loaders import load_bytes
from ingest.pipeline import prepare_report
from tests.conftest import ROOT, store_env

REAL = ROOT / "eval" / "corpus" / "real"
TOKEN = "ma-nhan-vien-thu"
needs_ocr = pytest.mark.skipif(
    not __import__("ingest.ocr", fromlist=["tools_available"]).tools_available(),
    reason="tesseract-ocr-vie / poppler-utils are not installed (make install)",
)


def scan_of_the_first_pages(pages: int = 3) -> bytes:
    """An image-only PDF of the real QĐ 844 (pages 1-3), as a scanner would make it."""
    from PIL import Image

    with __import__("tempfile").TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-f", "1", "-l", str(pages),
                        str(REAL / "qd-844-ttg-2026-ke-hoach-bhyt.pdf"), f"{tmp}/p"], check=True, timeout=60)
        images = [Image.open(p).convert("L") for p in sorted(Path(tmp).glob("p*.png"))]
        buf = io.BytesIO()
        images[0].save(buf, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return buf.getvalue()


@needs_ocr
def test_a_scanned_decision_is_read_by_ocr_and_answers_from_its_first_page(make_service, tmp_path):
    service = make_service(staff_token=TOKEN)
    seen: list[tuple[int, int, str]] = []
    loaded = load_bytes(scan_of_the_first_pages(), "qd-844-ban-quet.pdf", progress=lambda *p: seen.append(p))
    assert loaded.ocr and loaded.pages == 3
    assert [p[:2] for p in seen if p[2] == "OCR"] == [(1, 3), (2, 3), (3, 3)]      # one report per page
    result = service.ingest(loaded)
    assert result.status == "indexed" and result.record.ocr
    assert result.record.public()["ocr"] is True
    answer = service.ask("Quyết định 844/QĐ-TTg ban hành kèm theo văn bản gì?")
    assert answer.found, answer.answer
    assert "Kế hoạch hành động thực hiện Chỉ thị số 52-CT/TW" in answer.answer, answer.answer
    assert answer.citations[0].section_id == "Điều 1"
    signer = service.ask("Ai ký Quyết định 844/QĐ-TTg?")
    assert signer.found and "Phạm Thị Thanh Trà" in signer.answer, signer.answer
    # The staff tab and the evidence panel say the text came from a scan.
    rows = app.report_rows(service)
    assert any("(OCR)" in row[0] for row in rows)                 # beside the title
    assert "OCR" in app.evidence_html(service, answer)


def run_cli(args, data_dir):
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **store_env(data_dir)}, timeout=600)


def test_a_legacy_doc_and_a_portal_html_page_ingest_through_the_cli(tmp_path):
    doc = REAL / "kh-ubnd-lam-dong-2026-phong-chong-ma-tuy.doc"
    page = REAL / "nq-99-2025-hdnd-quang-ninh-noi-dung-muc-chi-bau-cu.html"
    result = run_cli(["ingest", str(doc), str(page), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["status"] == second["status"] == "indexed"
    assert first["sections"] >= 50 and second["sections"] >= 50
    asked = run_cli(["ask", "Đảm bảo ít nhất bao nhiêu phần trăm địa bàn cấp xã không ma túy trong năm 2026?",
                     "--json"], tmp_path)
    answer = json.loads(asked.stdout)
    assert answer["found"] and "40%" in answer["answer"], answer["answer"]
    assert answer["citations"][0]["doc_id"] == "kh-ubnd-lam-dong-2026-phong-chong-ma-tuy"


def test_a_pdf_is_read_page_by_page_with_progress_on_stderr(tmp_path):
    result = run_cli(["ingest", str(REAL / "qd-844-ttg-2026-ke-hoach-bhyt.pdf")], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "đọc trang 1/15" in result.stderr and "đọc trang 15/15" in result.stderr
    assert result.stdout.startswith("indexed: qd-844-ttg-2026-ke-hoach-bhyt")


def test_the_staff_tab_indexes_a_doc_and_an_html_page(make_service, tmp_path):
    service = make_service(staff_token=TOKEN)
    for name in ("kh-ubnd-lam-dong-2026-phong-chong-ma-tuy.doc", "nq-99-2025-hdnd-quang-ninh-noi-dung-muc-chi-bau-cu.html"):
        message = app.index_report(service, TOKEN, "", str(REAL / name), "")
        assert message.startswith("**Đã lập chỉ mục:**"), message
    answer = service.ask("Chi khắc dấu phục vụ bầu cử ở Quảng Ninh là bao nhiêu đồng một dấu?")
    assert answer.found and "400.000 đồng/dấu" in answer.answer, answer.answer
    assert answer.citations[0].doc_id == "nq-99-2025-hdnd-quang-ninh-noi-dung-muc-chi-bau-cu"


def test_the_task_table_of_an_indexed_plan_is_in_the_commitments(make_service):
    service = make_service()
    service.ingest(load_bytes((REAL / "qd-844-ttg-2026-ke-hoach-bhyt.pdf").read_bytes(), "qd-844-ttg-2026-ke-hoach-bhyt.pdf"))
    found = service.commitments("truyen thong, pho bien, giao duc phap luat ve thuc hien bao hiem y te")
    row = next(c for c in found if c["section_id"] == "Phụ lục")
    assert row["agency"] == "Bộ Tài chính" and row["deadline"] == "Quý I/2027", row


def test_a_document_with_more_sections_than_one_chroma_call_takes_is_stored_whole(make_service):
    """All of a report's sections used to go to Chroma in one call; the embedded client
    refuses more than 5,461 records at once. 10,000 numbered sections are stored in slices."""
    service = make_service()
    body = "\n".join(
        f"Chương {c}\nNHÓM NHIỆM VỤ THỨ {c}\nMục {m}\nNHIỆM VỤ CỦA MỤC {m}\n" + "\n".join(f"{k}. Nhiệm vụ {k} của mục {m}, chương {c}." for k in range(1, 11))
        for c in range(1, 101) for m in range(1, 11))
    report = prepare_report(load_bytes(f"KẾ HOẠCH\nThực hiện nhiệm vụ\n\n{body}\n".encode(), "ke-hoach-lon.txt"))
    assert len(report.parsed.sections) > 10_000
    service.index._write_sections(report, "ke-hoach-lon@test")
    stored = service.index._sections.get(where={"version": "ke-hoach-lon@test"}, include=[])
    assert len(stored["ids"]) == len(report.parsed.sections)

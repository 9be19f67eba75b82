"""The served app, as `make run` starts it: a real server process on loopback, seeded
with the sample report, asked through Gradio's own client."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
import sys
import urllib.request

import pytest

from tests.conftest import ROOT, SAMPLE, free_port, store_env, wait_for_http


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = {**os.environ, **store_env(tmp_path_factory.mktemp("app")),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    log = tmp_path_factory.mktemp("log") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--seed", str(SAMPLE)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    wait_for_http(url, proc, 120, f"app server (log: {log})")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_page_is_vietnamese(server):
    with urllib.request.urlopen(server, timeout=10) as response:
        html = response.read().decode("utf-8")
    assert "Trợ lý báo cáo" in html


def test_chat_answers_with_citation_and_evidence(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    history, evidence, cleared, copy_text, markdown, _docx = client.predict(
        "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?", [], [], api_name="/respond",
    )
    assert cleared == ""
    assert "Nguồn:" in copy_text and "[1]" in copy_text          # the answer to copy, with its sources
    assert "50,51%" in Path(markdown).read_text(encoding="utf-8")
    reply = history[-1]
    assert reply["role"] == "assistant"
    text = str(reply["content"])
    assert "50,51%" in text and "[A.I.4.(5)]" in text
    assert "<mark>" in evidence and "50,51%" in evidence
    assert "Bình Phước" in evidence or "Báo cáo" in evidence


def test_chat_refuses_out_of_scope(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    history, evidence, *_ = client.predict("Giá vé máy bay đi Đà Lạt là bao nhiêu?", [], [], api_name="/respond")
    assert "không chứa thông tin" in str(history[-1]["content"])
    assert "<mark>" not in evidence


def test_staff_indexing_needs_the_token_and_reports_duplicates(make_service):
    import app

    service = make_service(staff_token="s3cret")
    report = "BÁO CÁO\n\nI. Kết quả\n\n1. Nông nghiệp\n\nDiện tích lúa đạt 1.200 ha.\n"
    assert "Từ chối" in app.index_report(service, "wrong", report, None, "")
    assert service.documents() == []
    tree = app.preview_tree(service, report, None, "")
    assert "[I.1]" in tree and service.documents() == []          # preview indexes nothing
    assert "Đã lập chỉ mục" in app.index_report(service, "s3cret", report, None, "")
    assert "đã có sẵn" in app.index_report(service, "s3cret", report, None, "")
    other = report.replace("1.200", "1.350")
    assert "Đã lập chỉ mục" in app.index_report(service, "s3cret", other, None, "")
    assert len(service.documents()) == 2, "a second untitled paste must not replace the first"
    assert "1.200 ha" in service.ask("Diện tích lúa đạt bao nhiêu ha?", doc_ids=[service.documents()[0].doc_id]).answer
    bad = app.index_report(service, "s3cret", "\x00\x01" * 300, None, "")
    assert "Lỗi" in bad and len(service.documents()) == 2
    doc_id = service.documents()[0].doc_id
    assert "Từ chối" in app.delete_report(service, "wrong", doc_id) and len(service.documents()) == 2
    assert "Đã xóa" in app.delete_report(service, "s3cret", doc_id) and len(service.documents()) == 1


def test_staff_indexing_is_off_without_a_token(make_service):
    import app

    service = make_service()
    assert "Từ chối" in app.index_report(service, "", "BÁO CÁO\n\nI. Kết quả\n\nTăng 6%.\n", None, "")
    assert service.documents() == []


def test_commitments_and_figures_of_the_sample(make_service):
    import app

    service = make_service()
    service.ingest_path(SAMPLE)
    items = service.commitments()
    sections = {c["section_id"] for c in items}
    assert {f"B.{i}" for i in range(1, 10)} <= sections          # every programme item
    assert all(s == "B" or s.startswith("B.") for s in sections)   # and nothing from the results part
    for c in items:
        assert c["text"] in service.index.section(c["doc_id"], c["section_id"]).text
    found = service.commitments("to phan ung nhanh")                 # typed without diacritics
    assert [c["section_id"] for c in found] == ["B.5"]
    figures = service.figures()
    assert any(f["value"] == "50,51" and f["unit"] == "%" and f["section_id"] == "A.I.4.(5)" for f in figures)
    assert any(f["value"] == "956" and f["unit"] == "quyết định" for f in figures)
    assert not any(f["section_id"] in ("preamble", "closing") for f in figures)
    evidence = app.quote_html(service, found[0]["doc_id"], "B.5", found[0]["text"])
    assert "<mark>" in evidence and "Tổ phản ứng nhanh" in evidence

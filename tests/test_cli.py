"""The CLI as the contract fixes it: JSON shapes, stdin batches, exit codes, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CHROMA_SERVER, DONG_LAM, ROOT, SAMPLE, store_env


def run(args, data_dir, stdin: str | None = None, **env):
    environment = {**os.environ, **store_env(data_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True, text=True,
        cwd=ROOT, env=environment, timeout=300,
    )


def assert_user_error(result):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("error: ")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store with the sample report, indexed through the CLI once for this module."""
    data = tmp_path_factory.mktemp("cli")
    result = run(["ingest", str(SAMPLE), "--json"], data)
    assert result.returncode == 0, result.stderr
    return data, json.loads(result.stdout)


def test_ingest_json_and_reingest_unchanged(store):
    data, first = store
    assert first == {
        "doc_id": "bao-cao-binh-phuoc-6-thang-2024",
        "title": "Báo cáo tình hình công tác 6 tháng đầu năm và Chương trình công tác 6 tháng cuối năm 2024",
        "sections": 31, "chunks": first["chunks"], "status": "indexed",
    }
    again = run(["ingest", str(SAMPLE), "--json"], data)
    assert json.loads(again.stdout)["status"] == "unchanged"


def test_docs_json_lists_reports(store):
    data, _ = store
    docs = json.loads(run(["docs", "--json"], data).stdout)
    assert [d["doc_id"] for d in docs] == ["bao-cao-binh-phuoc-6-thang-2024"]
    assert {"doc_id", "title", "date", "sections", "chunks", "indexed_at"} <= set(docs[0])
    assert docs[0]["date"] == "2024-06-14"
    # what the report states about itself (CONTRACT.md): kind, place, the period it covers
    assert (docs[0]["kind"], docs[0]["place"]) == ("báo cáo", "Bình Phước")
    assert docs[0]["period"] == {"label": "6 tháng đầu năm 2024", "start": "2024-01", "end": "2024-06"}


def test_ask_json_contract(store):
    data, _ = store
    result = run(["ask", "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu phần trăm?", "--json"], data)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"question", "answer", "found", "citations", "mode", "timings_ms"}
    assert answer["found"] and answer["mode"] == "extractive"
    assert "50,51%" in answer["answer"] and "[A.I.4.(5)]" in answer["answer"]
    citation = answer["citations"][0]
    assert set(citation) == {"doc_id", "doc_title", "section_id", "section_path", "quote", "score"}
    assert citation["section_id"] == "A.I.4.(5)"
    assert citation["section_path"].startswith("A. TÌNH HÌNH CÔNG TÁC 6 THÁNG ĐẦU NĂM 2024 › I. Kết quả chủ yếu › 4.")
    assert set(answer["timings_ms"]) == {"retrieve", "answer", "total"}


def test_ask_reads_one_question_per_stdin_line(store):
    data, _ = store
    questions = "Có bao nhiêu chỉ tiêu chủ yếu đã đạt kế hoạch?\n\nGiá vàng hôm nay là bao nhiêu?\n"
    result = run(["ask", "--json"], data, stdin=questions)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["found"] for a in answers] == [True, False]
    assert answers[1]["citations"] == [] and "không" in answers[1]["answer"]


def test_ask_with_history_answers_follow_up(store, tmp_path):
    data, _ = store
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{
        "question": "Tốc độ tăng trưởng GRDP 6 tháng đầu năm của tỉnh là bao nhiêu?", "answer": "7,76%",
    }]), encoding="utf-8")
    result = run(["ask", "còn sản xuất công nghiệp thì sao?", "--json", "--history", str(history)], data)
    answer = json.loads(result.stdout)
    assert answer["found"] and "14,25%" in answer["answer"]


def test_sections_json(store):
    data, _ = store
    result = run(["sections", str(DONG_LAM), "--json"], data)
    sections = json.loads(result.stdout)
    assert [s["section_id"] for s in sections][:4] == ["preamble", "I", "I.1", "I.1.a)"]
    assert all(set(s) == {"section_id", "level", "heading", "text"} for s in sections)


def test_eval_reports_metrics(store, tmp_path):
    data, _ = store
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "x1", "q": "UBND tỉnh đã cấp bao nhiêu giấy phép?", "facts": [["37"]],
                    "sections": ["A.I.3"], "kind": "number"}, ensure_ascii=False) + "\n"
        + json.dumps({"id": "x2", "q": "Giá vé máy bay đi Hà Nội là bao nhiêu?", "facts": [],
                      "sections": [], "kind": "out-of-scope"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    result = run(["eval", str(questions), "--json"], data)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["overall"]["facts"] == 1.0
    assert report["overall"]["hit@1"] == 1.0
    assert report["by_kind"]["out-of-scope"]["refused_oos"] == 1.0
    # Several files are scored as one set; the same id twice is a user error.
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"id": "x3", "q": "Có bao nhiêu thông báo kết luận?", "facts": [["183"]],
                                "sections": ["A.I.3"], "kind": "number"}, ensure_ascii=False) + "\n", encoding="utf-8")
    both = run(["eval", str(questions), str(more), "--json"], data)
    assert both.returncode == 0, both.stderr
    assert json.loads(both.stdout)["overall"]["n"] == 3
    assert_user_error(run(["eval", str(questions), str(questions)], data))


def test_delete_then_docs_empty(tmp_path):
    data = tmp_path / "del"
    assert run(["ingest", str(DONG_LAM)], data).returncode == 0
    result = run(["delete", "bao-cao-huyen-dong-lam-2023"], data)
    assert result.returncode == 0
    assert json.loads(run(["docs", "--json"], data).stdout) == []
    assert_user_error(run(["delete", "bao-cao-huyen-dong-lam-2023"], data))


def test_ingest_from_stdin_with_title(tmp_path):
    text = "BÁO CÁO\n\nI. Kết quả\n\n1. Kinh tế\n\nTổng sản phẩm tăng 6,5%.\n"
    result = run(["ingest", "-", "--title", "Báo cáo thử nghiệm", "--json"], tmp_path / "stdin", stdin=text)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == "Báo cáo thử nghiệm" and record["doc_id"] == "bao-cao-thu-nghiem"


@pytest.mark.parametrize(
    "args, files",
    [
        (["ingest", "{tmp}/empty.txt"], {"empty.txt": b"   \n\n "}),
        (["ingest", "{tmp}/binary.txt"], {"binary.txt": bytes(range(256)) * 40}),
        (["ingest", "{tmp}/missing.txt"], {}),
        (["ingest", "{tmp}/report.xls"], {"report.xls": b"whatever"}),
        (["delete", "../../etc"], {}),
        (["ask", "   "], {}),
        (["sections", "{tmp}/missing.txt"], {}),
        (["eval", "{tmp}/bad.jsonl"], {"bad.jsonl": b"{not json\n"}),
        (["frobnicate"], {}),
    ],
    ids=["empty", "binary", "missing", "unsupported", "bad-doc-id", "empty-question", "sections-missing", "bad-eval", "unknown-command"],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, files):
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    result = run([a.format(tmp=tmp_path) for a in args], tmp_path / "data")
    assert_user_error(result)


def test_bad_input_leaves_index_intact(store, tmp_path):
    data, first = store
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 1000)
    assert_user_error(run(["ingest", str(tmp_path / "binary.txt")], data))
    docs = json.loads(run(["docs", "--json"], data).stdout)
    assert [(d["doc_id"], d["chunks"]) for d in docs] == [(first["doc_id"], first["chunks"])]


def test_ingest_and_ask_work_with_no_network_at_all(tmp_path):
    """Inside a network namespace with no interface up: nothing may phone home."""
    import shutil

    if CHROMA_SERVER:
        pytest.skip("a namespace without network cannot reach the Chroma server; the embedded pass covers this")
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here (needs unshare and root)")
    data = tmp_path / "offline"
    env = {**os.environ, **store_env(data)}
    ingest = subprocess.run([unshare, "-n", sys.executable, "-m", "assistant", "ingest", str(DONG_LAM), "--json"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert ingest.returncode == 0, ingest.stderr
    ask = subprocess.run([unshare, "-n", sys.executable, "-m", "assistant", "ask", "--json",
                          "Thu ngân sách nhà nước trên địa bàn huyện năm 2023 ước được bao nhiêu tỷ đồng?"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert ask.returncode == 0, ask.stderr
    assert "412,6" in json.loads(ask.stdout)["answer"]

"""scripts/load_test.py end to end, small: 4 askers for 8 s while one report is uploaded."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import DONG_LAM, ROOT


def test_load_script_runs_clean_with_an_upload(tmp_path):
    out = tmp_path / "load.json"
    argv = [sys.executable, str(ROOT / "scripts/load_test.py"), "--quiet", "--askers", "4", "--duration", "8",
            "--ingest", str(DONG_LAM), "--ingest-delay", "2", "--hard-limit", "85", "--json", str(out)]
    # timeout a little over --hard-limit: the script bounds itself, this only guards the guard
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=100)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["failures"]["count"] == 0, report["failures"]
    latency = report["ask"]["latency_ms"]["overall"]
    assert latency["n"] > 0 and latency["p50"] > 0 and latency["max"] >= latency["p99"] >= latency["p50"]
    assert report["memory"]["peak_rss_mib"] > 0 and report["memory"]["vmhwm_mib"] > 0
    [upload] = report["ingest"]["uploads"]
    assert upload["ok"] and upload["doc_id"] == DONG_LAM.stem and upload["seconds"] > 0
    assert {"check": f"{DONG_LAM.stem} listed by GET /api/docs", "ok": True} in report["checks"]
    assert all(check["ok"] for check in report["checks"])
    # An upload must not hold the askers up: questions are answered while it runs (when
    # ingest ran on the event loop, not one answer came back until the upload ended).
    assert report["ask"]["throughput_during_ingest_per_s"] > 0

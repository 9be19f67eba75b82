"""The same store behind a real `chroma run` server on loopback (ASSISTANT_CHROMA_URL)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import DONG_LAM, loopback_server

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.fail("the chroma CLI should be installed with chromadb")
    argv = [str(CHROMA if CHROMA.exists() else "chroma"), "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
            "--host", "127.0.0.1", "--port", "{port}"]
    with loopback_server(argv, "/api/v2/heartbeat", 60, "chroma server") as url:
        yield url


def test_two_services_share_reports_through_the_server(chroma_url, make_service, tmp_path):
    first = make_service(tmp_path / "a", chroma_url=chroma_url)
    second = make_service(tmp_path / "b", chroma_url=chroma_url)
    assert first.ingest_path(DONG_LAM).status == "indexed"
    assert [r.doc_id for r in second.documents()] == ["bao-cao-huyen-dong-lam-2023"]
    answer = second.ask("Thu ngân sách nhà nước trên địa bàn huyện năm 2023 ước được bao nhiêu tỷ đồng?")
    assert answer.found and "412,6" in answer.answer
    assert second.ingest_path(DONG_LAM).status == "unchanged"
    assert second.delete("bao-cao-huyen-dong-lam-2023")
    assert first.documents() == []
    # Nothing was written under the local data dirs: the server holds the store.
    assert not (tmp_path / "a" / "chroma").exists()


def test_two_processes_see_each_others_reports(chroma_url, tmp_path):
    """A CLI process indexes into the server; another process lists it and answers from it."""
    import json
    import os
    import subprocess

    from tests.conftest import ROOT

    def cli(*args, data):
        env = {**os.environ, "ASSISTANT_CHROMA_URL": chroma_url, "ASSISTANT_CHROMA_DATABASE": "two-processes",
               "ASSISTANT_DATA_DIR": str(tmp_path / data)}
        return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    first = cli("ingest", str(DONG_LAM), "--json", data="a")
    assert first.returncode == 0, first.stderr
    listed = cli("docs", "--json", data="b")
    assert [d["doc_id"] for d in json.loads(listed.stdout)] == ["bao-cao-huyen-dong-lam-2023"]
    answer = cli("ask", "--json", "Thu ngân sách nhà nước trên địa bàn huyện năm 2023 ước được bao nhiêu tỷ đồng?",
                 data="b")
    assert json.loads(answer.stdout)["found"] and "412,6" in json.loads(answer.stdout)["answer"]

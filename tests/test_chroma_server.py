"""The same store behind a real `chroma run` server on loopback (ASSISTANT_CHROMA_URL)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DONG_LAM, free_port

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    if not CHROMA.exists() and not shutil.which("chroma"):
        pytest.fail("the chroma CLI should be installed with chromadb")
    port = free_port()
    proc = subprocess.Popen(
        [str(CHROMA if CHROMA.exists() else "chroma"), "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


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

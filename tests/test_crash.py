"""A process killed (SIGKILL) while it indexes leaves the old report or the new one,
never half of each: registry, Chroma and the lexical index agree afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.conftest import ROOT, SAMPLE, store_env

WRITER = """
import sys
from pathlib import Path
from assistant.services import AssistantService
from assistant.settings import Settings
from ingest.loaders import LoadedText

service = AssistantService(Settings(data_dir=Path(sys.argv[1])))
text = Path(sys.argv[2]).read_text(encoding="utf-8")
def progress(done, total):
    print(f"progress {done}/{total}", flush=True)
service.ingest(LoadedText(text, "bao-cao-binh-phuoc-6-thang-2024.txt"), progress=progress)
print("finished", flush=True)
"""


def kill_during_ingest(data_dir, report_path) -> list[str]:
    """Start a writer process and SIGKILL it right after its first batch of chunks."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), str(report_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, **store_env(data_dir), "PYTHONPATH": str(ROOT)},
    )
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if line.startswith("progress"):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen
    return seen


def visible_state(service):
    snapshot = service.index.snapshot()
    records = service.documents()
    stored = service.index._chunks.get(where={"doc_id": "bao-cao-binh-phuoc-6-thang-2024"}, include=["metadatas"])
    return snapshot, records, stored


def test_kill_while_replacing_keeps_the_old_version(make_service, tmp_path, sample_text):
    data = tmp_path / "store"
    make_service(data).ingest_path(SAMPLE)
    changed = tmp_path / "changed.txt"
    changed.write_text(sample_text.replace("ước tăng 7,76%", "ước tăng 9,99%"), encoding="utf-8")

    seen = kill_during_ingest(data, changed)
    assert "finished" not in seen

    service = make_service(data)
    snapshot, records, stored = visible_state(service)
    [record] = records
    versions = {m["version"] for m in stored["metadatas"]}
    assert record.version in versions and len(versions) == 2, "the killed run left its first batch behind"
    # What readers see is exactly the old version, in Chroma and in BM25 alike.
    assert {c.chunk_id.split("#")[0] for c in snapshot.chunks} == {record.version}
    assert len(snapshot.chunks) == record.chunks == snapshot.lexical.size
    answer = service.ask("Tốc độ tăng trưởng GRDP 6 tháng đầu năm là bao nhiêu?")
    assert "7,76%" in answer.answer and "9,99" not in answer.answer

    # Indexing the new version again completes and clears the leftovers.
    from ingest.loaders import LoadedText

    result = service.ingest(LoadedText(changed.read_text(encoding="utf-8"), SAMPLE.name))
    assert result.status == "replaced"
    snapshot, records, stored = visible_state(service)
    assert {m["version"] for m in stored["metadatas"]} == {records[0].version}
    assert len(stored["ids"]) == records[0].chunks
    assert "9,99%" in service.ask("Tốc độ tăng trưởng GRDP 6 tháng đầu năm là bao nhiêu?").answer


def test_kill_during_first_ingest_leaves_nothing_visible(make_service, tmp_path):
    data = tmp_path / "fresh"
    kill_during_ingest(data, SAMPLE)
    service = make_service(data)
    snapshot, records, _ = visible_state(service)
    assert records == [] and snapshot.chunks == []
    assert not service.ask("Tốc độ tăng trưởng GRDP là bao nhiêu?").found
    assert service.ingest_path(SAMPLE).status == "indexed"

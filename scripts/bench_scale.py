"""The store at the scale of an archive: how a process holding many reports answers, how
much memory it takes, and how soon it answers from a report another process ingests.

    .venv/bin/python scripts/bench_scale.py --data data/confusable-1000 --reports 724 \\
        [--clone 10000] [--questions 80] [--json OUT] [--skip-server]

The store at --data (the confusable corpus' store, scripts/eval_confusable.py) is copied
to a temporary dir first; --clone N then grows the copy to N reports by writing copies
of its reports into Chroma directly under new ids (records, sections, chunks and their
stored vectors: no parsing, no embedding), so 10,000 reports fit the machine. Copies
share their texts, so quality is not measured here (eval_confusable.py does that); cost is.

Each measure runs in a fresh process (its peak RSS is its own):
- embedded: the copy opened with Chroma's PersistentClient. Time to the first snapshot
  (reading every chunk and building the lexical index), RSS after it, retrieval and ask
  p50/p95 over the questions (each asked once unmeasured, so its embedding is cached),
  the per-question cost of seeing that nothing changed, then a new report ingested
  in the same process and the time of the first question answered from it;
- restart: a new process on the same store, starting from the lexical index the first
  one kept on disk (data_dir/lexical/): time to the first snapshot, RSS, latencies;
- server: `chroma run` on the copy, two app processes. The reader builds its snapshot
  over HTTP and answers; the writer, another process, ingests a new report; the time
  from the writer's return to the reader's first answer citing that report is the
  "answerable from another process" time. Then the writer deletes it and the reader's
  next question no longer cites it.
Disk: the copy's size before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1) if values else 0.0


def du_mib(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def make_service(data: Path, chroma_url: str | None = None):
    from assistant.services import AssistantService
    from assistant.settings import Settings
    from confusable_corpus import PROVINCES, SERIES, TemplateEmbeddings
    from vectorstore.embeddings import make_embeddings

    settings = Settings(data_dir=data, chroma_url=chroma_url)
    names = [s.place for s in SERIES] + list(PROVINCES)
    inner = make_embeddings(settings.embeddings, data / "models", settings.embedding_dtype)
    return AssistantService(settings, embeddings=TemplateEmbeddings(inner, names))


def new_report(index: int):
    """A report of the confusable corpus beyond the store's (the index-th past 1,000)."""
    from confusable_corpus import corpus, questions

    reports = corpus(1000 + index + 1)
    report = reports[-1]
    asked = [q for q in questions([report]) if q["kind"] == "named"]
    return report, asked[0]["q"]


# ----- growing the copy ---------------------------------------------------------------
def clone(data: Path, target: int) -> dict:
    """Copies of the store's reports under new ids until it holds `target` reports."""
    service = make_service(data)
    index = service.index
    records = index.documents()
    started = time.perf_counter()
    sections = index._sections.get(include=["metadatas", "documents"])
    chunks = index._chunks.get(include=["metadatas", "documents", "embeddings"])
    live = {r.version for r in records}
    by_version_s: dict[str, list[int]] = {}
    for i, m in enumerate(sections["metadatas"]):
        by_version_s.setdefault(m["version"], []).append(i)
    by_version_c: dict[str, list[int]] = {}
    for i, m in enumerate(chunks["metadatas"]):
        by_version_c.setdefault(m["version"], []).append(i)
    step = min(index._max_batch(), 5000)
    copy, have = 0, len(records)
    pending: dict[str, list] = {"s": [], "c": []}

    def flush(kind: str, force: bool = False) -> None:
        rows = pending[kind]
        while rows and (force or len(rows) >= step):
            batch, pending[kind] = rows[:step], rows[step:]
            rows = pending[kind]
            collection = index._sections if kind == "s" else index._chunks
            collection.add(ids=[r[0] for r in batch], embeddings=[r[1] for r in batch],
                           documents=[r[2] for r in batch], metadatas=[r[3] for r in batch])

    while have < target:
        copy += 1
        for record in records:
            if have >= target:
                break
            if record.version not in live:
                continue
            doc_id = f"{record.doc_id}-k{copy}"
            content_hash = hashlib.sha256(f"{record.content_hash}|{copy}".encode()).hexdigest()
            from vectorstore.document_index import DocumentRecord
            twin = DocumentRecord(doc_id=doc_id, title=record.title, content_hash=content_hash,
                                  sections=record.sections, chunks=record.chunks, indexed_at=record.indexed_at,
                                  source=record.source, date=record.date, meta=dict(record.meta))
            version = twin.version
            for i in by_version_s.get(record.version, []):
                m = dict(sections["metadatas"][i], doc_id=doc_id, version=version)
                pending["s"].append((f"{version}#s{m['order']:04d}", [1.0], sections["documents"][i], m))
            for i in by_version_c.get(record.version, []):
                m = dict(chunks["metadatas"][i], doc_id=doc_id, version=version)
                pending["c"].append((f"{version}#c{m['order']:05d}", list(chunks["embeddings"][i]),
                                     chunks["documents"][i], m))
            flush("s")
            flush("c")
            index._put_record(twin)
            have += 1
    flush("s", True)
    flush("c", True)
    index._bump_generation()
    return {"reports": have, "seconds": round(time.perf_counter() - started, 1)}


# ----- the measures, each in its own process -----------------------------------------
def questions(limit: int, service=None) -> list[str]:
    """The confusable corpus' questions about the reports the store was built from (its
    copies, "-k<n>", are not counted), so each asks of reports the store holds."""
    import re

    from confusable_corpus import corpus
    from confusable_corpus import questions as make

    size = 724
    if service is not None:
        size = sum(1 for r in service.documents() if not re.search(r"-k\d+$", r.doc_id)) or size
    return [q["q"] for q in make(corpus(size))][:limit]


def timed_asks(service, qs: list[str]) -> dict:
    for q in qs:                      # unmeasured: caches each question's embedding
        service.ask(q)
    retrieval, ask, narrow, wide = [], [], [], []
    for q in qs:
        t = time.perf_counter()
        service.retriever.search(q)
        retrieval.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        service.ask(q)
        ask.append((time.perf_counter() - t) * 1000)
        # Copies keep their report's place and period: a question kept to one report
        # of the source store is kept to all its copies (docs/SCALE.md).
        kept = service.retriever.analyze(q).reports.reports
        (narrow if kept is not None and len(kept) <= 5 else wide).append(ask[-1])
    return {"retrieval_p50_ms": pct(retrieval, 0.5), "retrieval_p95_ms": pct(retrieval, 0.95),
            "ask_p50_ms": pct(ask, 0.5), "ask_p95_ms": pct(ask, 0.95), "questions": len(qs),
            "ask_kept_to_5_reports_n": len(narrow), "ask_kept_to_5_reports_p50_p95_ms": [pct(narrow, 0.5), pct(narrow, 0.95)],
            "ask_wider_n": len(wide), "ask_wider_p50_p95_ms": [pct(wide, 0.5), pct(wide, 0.95)],
            "rss_anon_file_after_asks_mib": [status_mib("RssAnon"), status_mib("RssFile")]}


def cold_snapshot(service) -> dict:
    t = time.perf_counter()
    snapshot = service.index.snapshot()
    seconds = time.perf_counter() - t
    return {"reports": len(snapshot.records), "chunks": snapshot.live_chunks,
            "snapshot_s": round(seconds, 1), "rss_after_snapshot_mib": status_mib("VmRSS")}


def unchanged_check(service) -> dict:
    times = []
    for _ in range(50):
        t = time.perf_counter()
        service.index.snapshot()
        times.append((time.perf_counter() - t) * 1000)
    return {"unchanged_check_p50_ms": pct(times, 0.5)}


def role_embedded(args) -> dict:
    from ingest.loaders import LoadedText

    service = make_service(args.data)
    out = {"rss_after_model_mib": status_mib("VmRSS")}
    out |= cold_snapshot(service)
    out |= timed_asks(service, questions(args.questions, service))
    out |= unchanged_check(service)
    report, question = new_report(0)
    t = time.perf_counter()
    service.ingest(LoadedText(report.text, f"{report.doc_id}.txt"), doc_id=report.doc_id)
    out["ingest_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    answer = service.ask(question)
    out["first_answer_after_ingest_ms"] = round((time.perf_counter() - t) * 1000, 1)
    out["answer_cites_new_report"] = bool(answer.citations) and answer.citations[0].doc_id == report.doc_id
    service.delete(report.doc_id)
    out["peak_rss_mib"] = status_mib("VmHWM")
    return out


def role_restart(args) -> dict:
    """A process started on a store whose lexical index this machine kept on disk."""
    service = make_service(args.data)
    out = cold_snapshot(service) | {"rss_after_snapshot_mib": status_mib("VmRSS")}
    out |= timed_asks(service, questions(min(args.questions, 40), service))
    out["peak_rss_mib"] = status_mib("VmHWM")
    return out


def role_writer(args) -> dict:
    from ingest.loaders import LoadedText

    service = make_service(args.data, args.chroma_url)
    report, _ = new_report(args.new)
    t = time.perf_counter()
    if args.delete:
        service.delete(report.doc_id)
    else:
        service.ingest(LoadedText(report.text, f"{report.doc_id}.txt"), doc_id=report.doc_id)
    return {"seconds": round(time.perf_counter() - t, 1), "done_at": time.time()}


def run_role(args, role: str, *extra: str) -> dict:
    argv = [sys.executable, __file__, "--role", role, "--data", str(args.data), "--questions", str(args.questions),
            *(["--chroma-url", args.chroma_url] if args.chroma_url else []), *extra]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{role} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def role_server_reader(args) -> dict:
    service = make_service(args.data, args.chroma_url)
    out = {"rss_after_model_mib": status_mib("VmRSS")}
    out |= cold_snapshot(service)
    out |= timed_asks(service, questions(min(args.questions, 40), service))
    out |= unchanged_check(service)
    for n in (1, 2):                       # two reports, each by a writer process
        report, question = new_report(n)
        wrote = run_role(args, "writer", "--new", str(n))
        waited = time.time() - wrote["done_at"]
        t = time.perf_counter()
        answer = service.ask(question)
        out[f"writer_{n}_ingest_s"] = wrote["seconds"]
        out[f"answerable_{n}_after_writer_ms"] = round((time.perf_counter() - t) * 1000, 1)
        out[f"reader_started_after_writer_exit_ms_{n}"] = round(waited * 1000, 1)
        out[f"answer_{n}_cites_new_report"] = bool(answer.citations) and answer.citations[0].doc_id == report.doc_id
        run_role(args, "writer", "--new", str(n), "--delete")
        gone = service.ask(question)
        out[f"after_delete_{n}_cites_it"] = any(c.doc_id == report.doc_id for c in gone.citations)
    out["peak_rss_mib"] = status_mib("VmHWM")
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--clone", type=int, default=0, help="grow the copy to this many reports")
    parser.add_argument("--questions", type=int, default=80)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--keep", type=Path, help="copy the store here (kept) instead of a temp dir")
    parser.add_argument("--role", default="")
    parser.add_argument("--chroma-url", default=None)
    parser.add_argument("--new", type=int, default=0)
    parser.add_argument("--delete", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.role:
        role = {"embedded": role_embedded, "restart": role_restart, "writer": role_writer,
                "server-reader": role_server_reader}[args.role]
        print(json.dumps(role(args)))
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    if not (work / "chroma").is_dir():
        shutil.copytree(args.data, work, dirs_exist_ok=True)
    results: dict = {"source": str(args.data)}
    if args.clone:
        results["clone"] = clone(work, args.clone)
    results["disk_mib"] = du_mib(work / "chroma")
    args.data = work
    shutil.rmtree(work / "lexical", ignore_errors=True)        # the first process builds from the store
    results["embedded"] = run_role(args, "embedded")
    print(json.dumps(results["embedded"]), flush=True)
    results["lexical_cache_mib"] = du_mib(work / "lexical")
    results["restart"] = run_role(args, "restart")
    print(json.dumps(results["restart"]), flush=True)
    if not args.skip_server:
        from tests.conftest import free_port

        port = free_port()
        server = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(work / "chroma"),
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            import urllib.request

            for _ in range(120):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                    break
                except OSError:
                    time.sleep(0.5)
            args.chroma_url = f"http://127.0.0.1:{port}"
            results["server"] = run_role(args, "server-reader")
        finally:
            server.terminate()
            server.wait(timeout=30)
    results["disk_after_mib"] = du_mib(work / "chroma")
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

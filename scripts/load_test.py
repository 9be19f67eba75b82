"""Bounded load test of the REST API, on loopback only.

    .venv/bin/python scripts/load_test.py [--askers 20] [--duration 60] [--json PATH] [--markdown PATH]

Starts `python -m assistant serve` itself (fresh temporary data dir, seeded with the
Bình Phước report, a staff token, the per-client ask rate limit raised for the run:
every asker comes from 127.0.0.1, so the normal limit of 30/min would turn the test
into a test of the limiter). Once the server answers, N asker threads post the
questions of eval/qa_all.jsonl in rotation to /api/ask, while one staff thread uploads
the other sample reports through POST /api/docs. Askers keep asking for at least
--duration seconds and until the staff ingest has ended, so the ingest always runs
under load.

Bounds: --max-requests (asks in all), --timeout (per request), --hard-limit (whole run,
server start included; when it is reached the server is killed and the run fails).

Measured: requests sent, failures by kind (non-200, exception, timeout), throughput,
p50/p95/p99/max latency of /api/ask overall and while an ingest was in flight, ingest
durations, the server's peak memory (VmRSS of its process session sampled every 0.2 s,
VmHWM read at the end). Afterwards the ingested reports must be listed by GET /api/docs
and answer a question of their own. Exit status 1 if any request or check failed.
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import logging
import math
import os
import platform
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples/bao-cao-binh-phuoc-6-thang-2024.txt"
INGESTS = (ROOT / "samples/bao-cao-huyen-dong-lam-2023.txt", ROOT / "samples/ke-hoach-chuyen-doi-so-tinh-hoa-son-2025.txt")
QUESTIONS = ROOT / "eval/qa_all.jsonl"
RUN_RATE_LIMIT = 1_000_000          # asks per minute per client during the run
SAMPLE_EVERY_S = 0.2
LOOPBACK_NAMES = ("localhost",)
MAKE_LOAD = ".venv/bin/python scripts/load_test.py --askers 20 --duration 60 --markdown docs/LOAD.md"
EXAMPLES_PER_KIND = 3               # failure examples kept per kind in the report

log = logging.getLogger("load_test")


# ----- configuration ---------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--askers", type=int, default=20, help="concurrent asker threads (default 20)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of asking, at least (default 60)")
    p.add_argument("--max-requests", type=int, default=100_000, help="stop asking after this many asks (default 100000)")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds for /api/ask (default 30)")
    p.add_argument("--ingest-timeout", type=float, default=300.0, help="per-upload timeout in seconds (default 300)")
    p.add_argument("--hard-limit", type=float, default=600.0, help="whole run, server start included, in seconds (default 600)")
    p.add_argument("--startup-timeout", type=float, default=180.0, help="seconds to wait for the server to answer (default 180)")
    p.add_argument("--ingest", type=Path, action="append", default=None,
                   help="report the staff member uploads during the run, in order (repeatable; default the Đông Lâm "
                        "report then the Hòa Sơn plan); --no-ingest for none")
    p.add_argument("--no-ingest", action="store_true", help="askers only, no staff upload")
    p.add_argument("--ingest-delay", type=float, default=None,
                   help="seconds of asking before the first upload (default a quarter of --duration)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to serve on (127.0.0.1, ::1 or localhost)")
    p.add_argument("--json", type=Path, help="write the figures as JSON here")
    p.add_argument("--markdown", type=Path, help="write a report (machine, command, figures) here, e.g. docs/LOAD.md")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress log on stderr")
    args = p.parse_args(argv)
    if args.askers < 1 or args.duration <= 0 or args.max_requests < 1 or args.timeout <= 0 or args.hard_limit <= 0:
        p.error("--askers, --duration, --max-requests, --timeout and --hard-limit must be positive")
    args.ingest = [] if args.no_ingest else [Path(x) for x in (args.ingest or INGESTS)]
    if args.ingest_delay is None:
        args.ingest_delay = args.duration / 4
    try:
        require_loopback(f"http://{bracketed(args.host)}:1/")
    except ValueError as exc:
        p.error(str(exc))
    return args


def bracketed(host: str) -> str:
    """IPv6 literals need brackets inside a URL."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def require_loopback(url: str) -> str:
    """The URL, if it points at this machine's loopback interface; ValueError otherwise.
    A load test aimed elsewhere would be a denial-of-service tool, so nothing else is sent."""
    host = httpx.URL(url).host
    if host.lower() in LOOPBACK_NAMES:
        return url
    try:
        if ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise ValueError(f"refusing non-loopback URL {url!r}: this load test only talks to 127.0.0.1 / ::1 / localhost")


def load_questions(path: Path) -> list[dict]:
    """{"question", "doc"} of every line; the eval files name the text "q"."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append({"question": row.get("question") or row["q"], "doc": row.get("doc")})
    return rows


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# ----- the server under test ---------------------------------------------------------------
@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    log_path: Path
    token: str
    started: float

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM to the whole session (the server and anything it spawned), then SIGKILL."""
        if not self.alive():
            return
        signal_session(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            signal_session(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_error_lines(self) -> int:
        """Tracebacks and ERROR lines the server logged: a 200 can hide a logged failure."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return 0
        return sum(1 for line in text.splitlines() if line.startswith(("ERROR", "Traceback")))


def signal_session(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)          # the server leads its own session / process group
    except ProcessLookupError:
        pass


def start_server(host: str, data_dir: Path, log_path: Path) -> Server:
    port = free_port(host)
    token = secrets.token_urlsafe(16)
    env = dict(os.environ, ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_STAFF_TOKEN=token,
               ASSISTANT_ASK_RATE_LIMIT=str(RUN_RATE_LIMIT), GRADIO_ANALYTICS_ENABLED="False",
               HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    if env.get("ASSISTANT_CHROMA_URL"):   # a shared Chroma server: keep this run's reports apart
        env["ASSISTANT_CHROMA_DATABASE"] = f"load-{secrets.token_hex(6)}"
    argv = [sys.executable, "-m", "assistant", "serve", "--host", host, "--port", str(port), "--seed", str(SEED)]
    log.info("starting server: %s (data dir %s)", shlex.join(argv), data_dir)
    with log_path.open("wb") as out:   # the child keeps its own descriptor
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = require_loopback(f"http://{bracketed(host)}:{port}")
    return Server(proc, base, log_path, token, time.monotonic())


def wait_ready(server: Server, deadline: float) -> float:
    """Seconds until GET /api/health says ready: the server listens at once and loads the
    model and indexes the seed behind it, so answering 200 is not enough."""
    with http_client(server.base, 5.0) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                raise RuntimeError(f"server exited with {server.proc.returncode}:\n{server.log_tail()}")
            try:
                response = client.get("/api/health")
                if response.status_code == 200 and response.json().get("ready"):
                    return time.monotonic() - server.started
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    raise RuntimeError(f"server did not answer within the time allowed:\n{server.log_tail()}")


def http_client(base: str, timeout: float) -> httpx.Client:
    # trust_env=False: an HTTP(S)_PROXY in the environment must not route loopback traffic away.
    return httpx.Client(base_url=require_loopback(base), timeout=timeout, trust_env=False)


# ----- memory --------------------------------------------------------------------------------
def status_kib(pid: int, key: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def session_pids(sid: int) -> list[int]:
    """Processes of session `sid`: the server started with start_new_session, so this is
    the server and every child it forks (unless one makes a session of its own)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()   # the name in () may hold spaces
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and int(fields[3]) == sid:      # after ")": state ppid pgrp session
            pids.append(int(entry))
    return pids


class MemorySampler(threading.Thread):
    """Sums VmRSS over the server's session every SAMPLE_EVERY_S seconds; keeps the peak,
    overall and within the load window that `mark_load` opens and closes."""

    def __init__(self, sid: int) -> None:
        super().__init__(name="memory-sampler", daemon=True)
        self.sid = sid
        self.stop_event = threading.Event()
        self.peak_kib = 0
        self.peak_load_kib = 0
        self.samples = 0
        self.pids_seen: set[int] = set()
        self.in_load = False

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(SAMPLE_EVERY_S)

    def sample(self) -> None:
        pids = session_pids(self.sid)
        total = sum(status_kib(pid, "VmRSS") or 0 for pid in pids)
        self.pids_seen.update(pids)
        self.samples += 1
        self.peak_kib = max(self.peak_kib, total)
        if self.in_load:
            self.peak_load_kib = max(self.peak_load_kib, total)

    def high_water_marks(self) -> dict[int, int]:
        """VmHWM (the kernel's own peak RSS) of each process still alive; read before stopping the server."""
        marks = {pid: status_kib(pid, "VmHWM") for pid in session_pids(self.sid)}
        return {pid: kib for pid, kib in marks.items() if kib}


# ----- the load --------------------------------------------------------------------------------
@dataclass
class Result:
    kind: str                 # "ask" | "ingest" | "check"
    start: float              # monotonic seconds
    end: float
    ok: bool
    failure: str = ""         # "HTTP 500", "timeout", "connect-error", ...
    detail: str = ""


@dataclass
class Recorder:
    """Results of every thread, and the shared question rotation and request budget."""

    questions: list[dict]
    max_requests: int
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rotation: itertools.count = field(default_factory=itertools.count)

    def next_question(self) -> str | None:
        """The next question in rotation, or None once --max-requests asks were handed out."""
        with self.lock:
            n = next(self.rotation)
        return None if n >= self.max_requests else self.questions[n % len(self.questions)]["question"]

    def add(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)

    def of(self, kind: str) -> list[Result]:
        with self.lock:
            return [r for r in self.results if r.kind == kind]


def classify(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect-error"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection-dropped"
    if isinstance(exc, httpx.HTTPError):
        return f"http-error {type(exc).__name__}"
    return f"exception {type(exc).__name__}"


def timed(kind: str, call, expect: int, check=None) -> tuple[Result, httpx.Response | None]:
    """Run one request; a Result that says whether it answered `expect` (and passed `check`)."""
    start = time.monotonic()
    try:
        response = call()
    except Exception as exc:    # noqa: BLE001 - every exception is a failure to count, by kind
        return Result(kind, start, time.monotonic(), False, classify(exc), repr(exc)[:300]), None
    end = time.monotonic()
    if response.status_code != expect:
        return Result(kind, start, end, False, f"HTTP {response.status_code}", response.text[:300]), response
    problem = check(response) if check else ""
    if problem:
        return Result(kind, start, end, False, "bad-body", problem), response
    return Result(kind, start, end, True), response


def answer_problem(response: httpx.Response) -> str:
    """Empty when the body is the contract's answer JSON."""
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:200]}"
    return "" if isinstance(body, dict) and isinstance(body.get("answer"), str) else f"no answer field: {str(body)[:200]}"


def asker(base: str, timeout: float, recorder: Recorder, stop: threading.Event) -> None:
    """Post questions back to back until told to stop or the request budget is spent."""
    with http_client(base, timeout) as client:
        while not stop.is_set():
            question = recorder.next_question()
            if question is None:
                return
            result, _ = timed("ask", lambda: client.post("/api/ask", json={"question": question}), 200, answer_problem)
            recorder.add(result)


@dataclass
class Upload:
    path: str
    doc_id: str = ""
    status: str = ""
    seconds: float = 0.0
    ok: bool = False


def staff_member(server: Server, paths: list[Path], delay: float, timeout: float, recorder: Recorder,
                 uploads: list[Upload], stop: threading.Event) -> None:
    """After `delay` seconds of asking, upload each report in turn as a file, the way the
    UI and the API's users do; the doc id is then the file name's stem."""
    if stop.wait(delay):
        return
    headers = {"X-Staff-Token": server.token}
    with http_client(server.base, timeout) as client:
        for path in paths:
            upload = Upload(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path))
            files = {"file": (path.name, path.read_bytes(), "text/plain")}
            log.info("staff: uploading %s", upload.path)
            result, response = timed("ingest", lambda: client.post("/api/docs", files=files, headers=headers), 201)
            recorder.add(result)
            upload.seconds, upload.ok = result.end - result.start, result.ok
            if result.ok and response is not None:
                body = response.json()
                upload.doc_id, upload.status = body.get("doc_id", ""), body.get("status", "")
            log.info("staff: %s -> %s in %.1f s", upload.path, upload.status or result.failure, upload.seconds)
            uploads.append(upload)
            if stop.is_set():
                return


def run_load(server: Server, args: argparse.Namespace, recorder: Recorder, sampler: MemorySampler,
             deadline: float) -> tuple[list[Upload], float]:
    """Askers and the staff member, until --duration has passed and the uploads are done
    (or the budget or the hard limit ends it). Returns the uploads and the asking time."""
    stop = threading.Event()
    uploads: list[Upload] = []
    askers = [threading.Thread(target=asker, args=(server.base, args.timeout, recorder, stop), name=f"asker-{i}", daemon=True)
              for i in range(args.askers)]
    staff = threading.Thread(target=staff_member, name="staff", daemon=True,
                             args=(server, args.ingest, args.ingest_delay, args.ingest_timeout, recorder, uploads, stop))
    started = time.monotonic()
    sampler.in_load = True
    for t in [*askers, staff]:
        t.start()
    log.info("%d askers running for at least %.0f s", args.askers, args.duration)
    while time.monotonic() < deadline:
        asked_enough = time.monotonic() - started >= args.duration or not any(t.is_alive() for t in askers)
        if asked_enough and not staff.is_alive():
            break
        time.sleep(0.1)
    stop.set()
    for t in [*askers, staff]:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + args.timeout)
    sampler.in_load = False
    return uploads, time.monotonic() - started


# ----- checks after the run ------------------------------------------------------------------
def post_checks(server: Server, uploads: list[Upload], questions: list[dict], recorder: Recorder,
                timeout: float) -> list[dict]:
    """Each report uploaded is listed by GET /api/docs and answers one of its own questions
    (found, citing that report)."""
    checks = []
    with http_client(server.base, timeout) as client:
        result, response = timed("check", lambda: client.get("/api/docs"), 200)
        recorder.add(result)
        listed = {d.get("doc_id") for d in response.json()} if result.ok and response is not None else set()
        for upload in uploads:
            doc_id = upload.doc_id or Path(upload.path).stem
            checks.append({"check": f"{doc_id} listed by GET /api/docs", "ok": doc_id in listed})
            checks.append(ask_own_question(client, doc_id, questions, recorder))
    for c in checks:
        log.info("check %s: %s", "ok" if c["ok"] else "FAILED", c["check"])
    return checks


def ask_own_question(client: httpx.Client, doc_id: str, questions: list[dict], recorder: Recorder) -> dict:
    question = next((q["question"] for q in questions if q["doc"] == doc_id), None)
    name = f"{doc_id} answers {question!r}"
    if question is None:
        return {"check": f"{doc_id}: no question of eval/qa_all.jsonl names it", "ok": False}
    result, response = timed("check", lambda: client.post("/api/ask", json={"question": question, "doc_ids": [doc_id]}),
                             200, answer_problem)
    recorder.add(result)
    if not result.ok or response is None:
        return {"check": name, "ok": False, "detail": f"{result.failure}: {result.detail}"}
    body = response.json()
    cited = {c.get("doc_id") for c in body.get("citations", [])}
    return {"check": name, "ok": bool(body.get("found")) and cited == {doc_id}, "answer": body.get("answer", "")[:200]}


# ----- figures -------------------------------------------------------------------------------
def percentiles_ms(seconds: list[float]) -> dict:
    """Nearest-rank p50/p95/p99/max (and mean) in milliseconds; zeros for no samples."""
    if not seconds:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}
    ordered = sorted(seconds)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(round(q * len(ordered), 9)) - 1)] * 1000

    return {"n": len(ordered), "p50": round(rank(0.50), 1), "p95": round(rank(0.95), 1), "p99": round(rank(0.99), 1),
            "max": round(ordered[-1] * 1000, 1), "mean": round(sum(ordered) / len(ordered) * 1000, 1)}


def ingest_window(recorder: Recorder) -> tuple[float, float] | None:
    """From the first upload sent to the last one answered."""
    ingests = recorder.of("ingest")
    return (min(r.start for r in ingests), max(r.end for r in ingests)) if ingests else None


def ask_figures(recorder: Recorder, asking_s: float) -> dict:
    """Latencies of successful asks: overall, overlapping an upload in flight, and the rest."""
    asks = [r for r in recorder.of("ask") if r.ok]
    window = ingest_window(recorder)
    during = [r for r in asks if window and r.start < window[1] and r.end > window[0]]
    outside = [r for r in asks if not (window and r.start < window[1] and r.end > window[0])]
    # Answers delivered per second while an upload ran, against the rest of the run: shows
    # whether uploading a report holds the askers up.
    window_s = window[1] - window[0] if window else 0.0
    ended_during = sum(1 for r in asks if window and window[0] <= r.end <= window[1])
    return {
        "ok": len(asks),
        "throughput_per_s": round(len(asks) / asking_s, 2) if asking_s else 0.0,
        "throughput_during_ingest_per_s": round(ended_during / window_s, 2) if window_s else 0.0,
        "throughput_outside_ingest_per_s":
            round((len(asks) - ended_during) / (asking_s - window_s), 2) if asking_s > window_s else 0.0,
        "latency_ms": {
            "overall": percentiles_ms([r.end - r.start for r in asks]),
            "during_ingest": percentiles_ms([r.end - r.start for r in during]),
            "outside_ingest": percentiles_ms([r.end - r.start for r in outside]),
        },
    }


def failure_figures(recorder: Recorder) -> dict:
    failed = [r for r in recorder.of("ask") + recorder.of("ingest") + recorder.of("check") if not r.ok]
    by_kind = Counter(f"{r.kind}: {r.failure}" for r in failed)
    examples: dict[str, list[str]] = {}
    for r in failed:
        bucket = examples.setdefault(f"{r.kind}: {r.failure}", [])
        if len(bucket) < EXAMPLES_PER_KIND:
            bucket.append(r.detail)
    return {"count": len(failed), "by_kind": dict(by_kind), "examples": examples}


def memory_figures(sampler: MemorySampler, hwm: dict[int, int], server_pid: int) -> dict:
    return {
        "peak_rss_mib": round(sampler.peak_kib / 1024, 1),
        "peak_rss_during_load_mib": round(sampler.peak_load_kib / 1024, 1),
        "vmhwm_mib": round(sum(hwm.values()) / 1024, 1),
        "vmhwm_server_mib": round(hwm.get(server_pid, 0) / 1024, 1),
        "processes": len(sampler.pids_seen),
        "samples": sampler.samples,
    }


def machine() -> dict:
    """CPU model, cores, RAM and load: the figures mean little without them."""
    cpu_model = ""
    try:
        cpu_model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), "")
        mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal:"))
    except (OSError, StopIteration, ValueError):
        mem_kib = 0
    return {
        "cpu_model": cpu_model or platform.processor() or "unknown",
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def git_commit() -> str:
    """Short commit, with -dirty when tracked files differ from it (the server ran the working tree)."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def repeat_command(args: argparse.Namespace) -> str:
    """The command line that repeats this run (the Makefile's `make load` for the defaults)."""
    argv = ["scripts/load_test.py", "--askers", str(args.askers), "--duration", f"{args.duration:g}"]
    if args.max_requests != 100_000:
        argv += ["--max-requests", str(args.max_requests)]
    if args.no_ingest:
        argv.append("--no-ingest")
    elif [Path(p).resolve() for p in args.ingest] != [p.resolve() for p in INGESTS]:
        for p in args.ingest:
            argv += ["--ingest", str(p)]
    if args.markdown:
        argv += ["--markdown", str(args.markdown)]
    return ".venv/bin/python " + shlex.join(argv)


# ----- output --------------------------------------------------------------------------------
def summary_text(report: dict) -> str:
    a, f, m, c = report["ask"], report["failures"], report["memory"], report["config"]
    lines = [
        f"Load test {'PASSED' if report['ok'] else 'FAILED'}: {c['askers']} askers for {report['asking_s']:.1f} s "
        f"on {report['server']['base']} (server ready in {report['server']['startup_s']:.1f} s)",
        f"  rate limit raised for this run: ASSISTANT_ASK_RATE_LIMIT={c['rate_limit_per_minute']} per minute per client",
        f"  requests sent: {report['requests_sent']} ({a['ok']} asks answered, {f['count']} failed)",
        f"  throughput: {a['throughput_per_s']} answered asks/s ({a['throughput_during_ingest_per_s']}/s while "
        f"an upload ran, {a['throughput_outside_ingest_per_s']}/s otherwise)",
    ]
    for label, key in (("overall", "overall"), ("during ingest", "during_ingest"), ("outside ingest", "outside_ingest")):
        lat = a["latency_ms"][key]
        lines.append(f"  /api/ask latency {label:<14} n={lat['n']:<5} p50 {lat['p50']:.0f} ms  p95 {lat['p95']:.0f} ms"
                     f"  p99 {lat['p99']:.0f} ms  max {lat['max']:.0f} ms")
    for u in report["ingest"]["uploads"]:
        lines.append(f"  ingest {u['path']}: {u['status'] or 'FAILED'} as {u['doc_id'] or '-'} in {u['seconds']:.1f} s")
    lines.append(f"  ingest window: {report['ingest']['window_s']:.1f} s")
    lines.append(f"  server memory: peak RSS {m['peak_rss_mib']} MiB (sampled every {SAMPLE_EVERY_S} s, "
                 f"{m['processes']} process(es)), VmHWM {m['vmhwm_mib']} MiB")
    for kind, n in f["by_kind"].items():
        lines.append(f"  FAILURE {kind}: {n}  e.g. {f['examples'][kind][0]}")
    for check in report["checks"]:
        lines.append(f"  check {'ok' if check['ok'] else 'FAILED'}: {check['check']}")
    if report["server"]["log_error_lines"]:
        lines.append(f"  server log: {report['server']['log_error_lines']} ERROR/Traceback line(s)")
    if report.get("error"):
        lines.append(f"  ERROR: {report['error']}")
    return "\n".join(lines)


def markdown(report: dict) -> str:
    a, m, mc, c = report["ask"], report["memory"], report["machine"], report["config"]
    lat = a["latency_ms"]
    rows = "\n".join(f"| {label} | {lat[k]['n']} | {lat[k]['p50']:.0f} | {lat[k]['p95']:.0f} | {lat[k]['p99']:.0f} "
                     f"| {lat[k]['max']:.0f} | {lat[k]['mean']:.0f} |"
                     for label, k in (("overall", "overall"), ("during an upload", "during_ingest"),
                                      ("outside uploads", "outside_ingest")))
    uploads = "\n".join(f"| `{u['path']}` | `{u['doc_id'] or '-'}` | {u['status'] or 'FAILED'} | {u['seconds']:.1f} |"
                        for u in report["ingest"]["uploads"]) or "| (none) | | | |"
    failures = "\n".join(f"| {k} | {n} | {report['failures']['examples'][k][0][:120]} |"
                         for k, n in report["failures"]["by_kind"].items()) or "| none | 0 | |"
    checks = "\n".join(f"- {'ok' if ch['ok'] else '**FAILED**'}: {ch['check']}" for ch in report["checks"]) or "- (none)"
    return f"""# Load test of the REST API

Produced by `scripts/load_test.py` ({report['finished']}, commit `{report['commit'] or '?'}`).
**Result: {'passed' if report['ok'] else 'FAILED'}** — {report['failures']['count']} failed request(s).

## What was run

The script starts `python -m assistant serve` on loopback ({report['server']['base']}) with a fresh data dir
seeded with `{report['server']['seed']}`, waits until it answers ({report['server']['startup_s']:.1f} s, seed
indexing and model loading included), then runs {c['askers']} asker threads that post the
{c['questions']} questions of `eval/qa_all.jsonl` in rotation to `POST /api/ask`, back to back, for
{report['asking_s']:.1f} s (at least {c['duration_s']:g} s and until the uploads ended). After
{c['ingest_delay_s']:g} s one staff thread uploads the reports below through `POST /api/docs`, one after the other.

- Rate limit **raised for this run**: `ASSISTANT_ASK_RATE_LIMIT={c['rate_limit_per_minute']}` (every asker is
  127.0.0.1, so the normal 30 questions/min/client would answer 429 almost at once).
- Bounds: at most {c['max_requests']} asks, {c['timeout_s']:g} s per ask, {c['ingest_timeout_s']:g} s per
  upload, {c['hard_limit_s']:g} s for the whole run.
- A failure is any non-200 answer (non-201 for uploads), exception or timeout.

To repeat it{' (`make load` runs the same)' if report['command'] == MAKE_LOAD else ''}:

    {report['command']}

## Machine

| | |
|---|---|
| CPU | {mc['cpu_model']} |
| Cores | {mc['cpus']} (usable by this process: {mc['cpus_usable']}) |
| RAM | {mc['ram_gib']} GiB |
| Load average at start | {', '.join(map(str, mc['load_average_at_start']))} |
| OS / Python | {mc['os']} / {mc['python']} |

The CPU is shared: the askers, the server and whatever else runs on the machine compete for
the same cores, so the figures are those of this machine at that time, not of the server alone.

## Figures

- Requests sent: **{report['requests_sent']}** ({a['ok']} asks answered, {report['failures']['count']} failed)
- Throughput: **{a['throughput_per_s']} answered asks/s** ({a['throughput_during_ingest_per_s']}/s while an upload
  ran, {a['throughput_outside_ingest_per_s']}/s otherwise)
- Server peak memory: **{m['peak_rss_mib']} MiB** RSS (sum over its {m['processes']} process(es), sampled every
  {SAMPLE_EVERY_S} s; {m['peak_rss_during_load_mib']} MiB during the load); VmHWM at the end {m['vmhwm_mib']} MiB

`/api/ask` latency, ms (successful asks; "during an upload" = in flight while an upload was):

| | n | p50 | p95 | p99 | max | mean |
|---|---|---|---|---|---|---|
{rows}

Uploads (ingest window {report['ingest']['window_s']:.1f} s):

| Report | doc id | status | seconds |
|---|---|---|---|
{uploads}

Failures by kind:

| Kind | Count | Example |
|---|---|---|
{failures}

Checks after the run:

{checks}
"""


def build_report(args, server: Server, startup_s: float, recorder: Recorder, uploads: list[Upload], asking_s: float,
                 sampler: MemorySampler, hwm: dict[int, int], checks: list[dict], mach: dict, error: str) -> dict:
    failures = failure_figures(recorder)
    window = ingest_window(recorder)
    report = {
        "config": {"askers": args.askers, "duration_s": args.duration, "max_requests": args.max_requests,
                   "timeout_s": args.timeout, "ingest_timeout_s": args.ingest_timeout, "hard_limit_s": args.hard_limit,
                   "ingest_delay_s": args.ingest_delay, "rate_limit_per_minute": RUN_RATE_LIMIT,
                   "questions": len(recorder.questions)},
        "machine": mach,
        "commit": git_commit(),
        "command": repeat_command(args),
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "server": {"base": server.base, "seed": str(SEED.relative_to(ROOT)), "startup_s": round(startup_s, 1),
                   "log_error_lines": server.log_error_lines()},
        "asking_s": round(asking_s, 1),
        "requests_sent": len(recorder.of("ask")) + len(recorder.of("ingest")) + len(recorder.of("check")),
        "ask": ask_figures(recorder, asking_s),
        "failures": failures,
        "ingest": {"uploads": [asdict(u) for u in uploads], "window_s": round(window[1] - window[0], 1) if window else 0.0},
        "memory": memory_figures(sampler, hwm, server.proc.pid),
        "checks": checks,
        "error": error,
    }
    uploads_done = len(uploads) == len(args.ingest)
    report["ok"] = not error and failures["count"] == 0 and uploads_done and all(c["ok"] for c in checks)
    return report


def write_outputs(report: dict, args: argparse.Namespace) -> None:
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(report), encoding="utf-8")
    print(summary_text(report))


# ----- main ----------------------------------------------------------------------------------
def arm_hard_limit(server: Server, seconds: float, fired: threading.Event) -> threading.Timer:
    """Past the hard limit the server is killed: every request in flight then fails fast
    and the run ends with whatever it measured."""
    def fire() -> None:
        log.error("hard limit of %.0f s reached: killing the server", seconds)
        fired.set()
        signal_session(server.proc.pid, signal.SIGKILL)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(threadName)s %(levelname)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)   # one INFO line per request otherwise
    t0 = time.monotonic()
    deadline = t0 + args.hard_limit
    mach = machine()   # before the server loads the CPU, for the load average
    questions = load_questions(QUESTIONS)
    recorder = Recorder(questions, args.max_requests)
    log.info("rate limit raised for this run: ASSISTANT_ASK_RATE_LIMIT=%d", RUN_RATE_LIMIT)
    with tempfile.TemporaryDirectory(prefix="load-test-") as tmp:
        server = start_server(args.host, Path(tmp) / "data", Path(tmp) / "server.log")
        fired = threading.Event()
        timer = arm_hard_limit(server, args.hard_limit, fired)
        sampler = MemorySampler(server.proc.pid)
        sampler.start()
        uploads: list[Upload] = []
        checks: list[dict] = []
        hwm: dict[int, int] = {}
        startup_s = asking_s = 0.0
        error = ""
        try:
            startup_s = wait_ready(server, min(deadline, t0 + args.startup_timeout))
            log.info("server ready in %.1f s", startup_s)
            uploads, asking_s = run_load(server, args, recorder, sampler, deadline)
            checks = post_checks(server, uploads, questions, recorder, args.timeout)
        except (RuntimeError, httpx.HTTPError, OSError, ValueError) as exc:
            error = str(exc)
            log.error("%s", exc)
        finally:
            timer.cancel()
            sampler.stop_event.set()
            sampler.join()
            hwm = sampler.high_water_marks()   # before the processes are gone
            if fired.is_set():
                error = error or f"hard limit of {args.hard_limit:g} s reached"
            report = build_report(args, server, startup_s, recorder, uploads, asking_s, sampler, hwm, checks, mach, error)
            if not report["ok"]:
                log.warning("server log tail:\n%s", server.log_tail())
            server.stop()
    write_outputs(report, args)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

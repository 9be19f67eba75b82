"""Generative mode on this machine: time to first token, tokens per second, and how
often the grounding guard accepts the model's answer.

    # with an OpenAI-compatible server running (make run-llm starts one on :8080)
    ASSISTANT_LLM=openai ASSISTANT_LLM_URL=http://127.0.0.1:8080/v1 \\
        .venv/bin/python scripts/bench_llm.py [--questions eval/qa_all.jsonl] [--n 12]

Streams each answer through the same chain the app uses and prints one JSON line per
question, then a summary line.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluation import load_questions  # noqa: E402
from assistant.models import Answer  # noqa: E402
from assistant.services import AssistantService  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=ROOT / "eval/qa_all.jsonl")
    parser.add_argument("--n", type=int, default=12)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    service = AssistantService(Settings())
    if not hasattr(service.answerer, "stream"):
        print("error: set ASSISTANT_LLM=openai (or llamacpp) first", file=sys.stderr)
        return 2
    questions = [q for q in load_questions(args.questions) if q.kind != "out-of-scope"][: args.n]
    ttft, rates, modes = [], [], []
    for q in questions:
        docs = [hit.to_document() for hit in service.retriever.search(q.q)]
        started = time.perf_counter()
        first = None
        tokens = 0
        final: Answer | None = None
        for item in service.answerer.stream(q.q, docs):
            if isinstance(item, Answer):
                final = item
            else:
                tokens += 1
                first = first or time.perf_counter()
        end = time.perf_counter()
        row = {"id": q.id, "mode": final.mode if final else None, "found": bool(final and final.found),
               "answer": final.answer if final else ""}
        if first is not None:
            row["ttft_s"] = round(first - started, 2)
            row["tokens_per_s"] = round(tokens / max(end - first, 1e-6), 1)
            ttft.append(row["ttft_s"])
            rates.append(row["tokens_per_s"])
        modes.append(row["mode"])
        print(json.dumps(row, ensure_ascii=False), flush=True)
    summary = {
        "questions": len(questions),
        "ttft_p50_s": statistics.median(ttft) if ttft else None,
        "tokens_per_s_p50": statistics.median(rates) if rates else None,
        "guard_accepted": modes.count("llm"), "fell_back": modes.count("extractive-fallback"),
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

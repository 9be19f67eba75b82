"""Score the right report among many of one layout (scripts/confusable_corpus.py).

    .venv/bin/python scripts/eval_confusable.py [--size 100] [--data DIR] [--json OUT]

Builds (or reuses) a store of `--size` reports — series of the samples for other places
and years — and scores the generated questions with `assistant.evaluation`: hit@1 and
first citation of the right report and section for questions naming the report
(`named`) or only its place (`latest`), and refusals of periods no report covers
(`out-of-scope`). make eval runs it at 100 reports.

A variant's passages differ from its sample's only in place names and figures, so each
chunk's embedding is computed once per sample passage (keyed by the text with digits
and place names masked) and reused for its variants: the corpus fits this machine, and
telling the variants apart rests, as it would with real embeddings, on words and
metadata. The store records which corpus it holds and is rebuilt when that changes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.evaluation import Question, evaluate  # noqa: E402
from assistant.services import AssistantService  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from confusable_corpus import PROVINCES, SERIES, TemplateEmbeddings, corpus, questions  # noqa: E402
from ingest.loaders import LoadedText  # noqa: E402
from vectorstore.embeddings import make_embeddings  # noqa: E402


def build(service: AssistantService, size: int, data: Path) -> float:
    marker = data / "confusable.json"
    reports = corpus(size)
    # the store holds this corpus when it holds these reports with these texts
    wanted = {"doc_ids": sorted(r.doc_id for r in reports),
              "texts": hashlib.sha256("\0".join(r.text for r in reports).encode()).hexdigest()}
    if marker.is_file() and json.loads(marker.read_text()) == wanted and \
            sorted(r.doc_id for r in service.documents()) == wanted["doc_ids"]:
        return 0.0
    for record in service.documents():
        service.delete(record.doc_id)
    started = time.perf_counter()
    for report in reports:
        service.ingest(LoadedText(report.text, f"{report.doc_id}.txt"), doc_id=report.doc_id)
    marker.write_text(json.dumps(wanted))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the full report here")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N questions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    data = args.data or ROOT / "data" / f"confusable-{args.size}"
    data.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data)
    names = [s.place for s in SERIES] + list(PROVINCES)
    embeddings = TemplateEmbeddings(make_embeddings(settings.embeddings, data / "models", settings.embedding_dtype), names)
    service = AssistantService(settings, embeddings=embeddings)
    built = build(service, args.size, data)
    reports = corpus(args.size)
    qs = [Question(id=q["id"], q=q["q"], facts=q["facts"], sections=q["sections"], kind=q["kind"], doc=q.get("doc"))
          for q in questions(reports)]
    if args.limit:
        qs = qs[: args.limit]
    report = evaluate(service, qs)
    print(f"{args.size} reports, {sum(r.chunks for r in service.documents())} chunks"
          + (f", built in {built:.0f} s" if built else ", store reused") + f"; {len(qs)} questions in {report.seconds:.0f} s")
    print(report.table())
    # ask end to end, the question's embedding already cached by the retrieval pass before it
    totals = sorted(r.answer.timings_ms.get("total", 0.0) for r in report.results if r.answer.timings_ms)
    if totals:
        p50, p95 = totals[len(totals) // 2], totals[min(len(totals) - 1, int(round(0.95 * (len(totals) - 1))))]
        print(f"ask p50 {p50:.1f} ms, p95 {p95:.1f} ms (query embedding cached)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        latency = {"ask_p50_ms": round(p50, 1), "ask_p95_ms": round(p95, 1)} if totals else {}
        args.json.write_text(json.dumps({"size": args.size} | latency | report.to_json(), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

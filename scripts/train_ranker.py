"""Fit the learned order of retrieved passages (assistant/data/ranker.json), validating by
leaving whole documents out.

For each labelled question the real retriever runs (analysis, BM25 and dense, fusion, the
rules' rerank and preferences); the head of the rules' order (`ranker_depth` passages) is
one group, each passage labelled by whether it lies in an expected section of the
expected report. The model is a linear scorer fit listwise: within each group, a
softmax over the passages, maximising the probability of the right ones (what hit@1
rewards), L2-penalised. No library is needed for a few thousand rows.

Training questions: the samples' sets and real dev (scripts/train_policy.py's), on the
store scripts/eval_real_index.sh builds. The real test sets are not read.

    python scripts/train_ranker.py [--data data/eval-real] [--out assistant/data/ranker.json] [--report OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluation import Question, load_questions  # noqa: E402
from assistant.policy import LinearModel  # noqa: E402
from assistant.retrieval import RANKER_FEATURES  # noqa: E402
from scripts.train_policy import fold_of, matches, training_sets  # noqa: E402


class Group:
    """One question's head of candidates, as the rules ordered it."""

    def __init__(self, service, q: Question) -> None:
        rows: list[tuple[int, dict[str, float]]] = []
        service.retriever.search(q.q, k=10, collect=rows)
        snapshot = service.index.snapshot()
        self.q = q
        self.features = [f for _, f in rows]
        self.sections = [(snapshot.by_position[p].doc_id, snapshot.by_position[p].section_id) for p, _ in rows]
        self.labels = np.array([int(matches(q, d, s)) for d, s in self.sections], dtype=float)

    def matrix(self) -> np.ndarray:
        return np.array([[f.get(n, 0.0) for n in RANKER_FEATURES] for f in self.features], dtype=float)

    def first_right(self, scores: np.ndarray | None = None) -> bool:
        """Is the first passage (by `scores`, else the rules' order) in an expected section?"""
        if not len(self.labels):
            return False
        first = 0 if scores is None else int(np.argmax(scores))
        return bool(self.labels[first])


def fit(groups: list[Group], l2: float = 1.0, steps: int = 1500, rate: float = 0.2) -> LinearModel:
    usable = [g for g in groups if g.labels.sum() > 0 and g.labels.sum() < len(g.labels)]
    x_all = np.vstack([g.matrix() for g in usable])
    mean = x_all.mean(axis=0)
    scale = x_all.std(axis=0)
    scale[scale < 1e-9] = 1.0
    zs = [(g.matrix() - mean) / scale for g in usable]
    ys = [g.labels for g in usable]
    w = np.zeros(len(RANKER_FEATURES))
    n = len(usable)
    for _ in range(steps):
        grad = np.zeros_like(w)
        for z, y in zip(zs, ys):
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            q = p * y
            q /= q.sum()
            # d/dw of -log(sum of p over the right passages) = E_p[z] - E_q[z]
            grad += z.T @ (p - q)
        w -= rate * (grad / n + l2 * w / n)
    # A bias does not change an order; it is fixed so probability() is a sigmoid of the score.
    return LinearModel(RANKER_FEATURES, w.tolist(), 0.0, mean.tolist(), scale.tolist())


def scores_of(model: LinearModel, g: Group) -> np.ndarray:
    return np.array([model.probability(f) for f in g.features])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "eval-real")
    parser.add_argument("--out", type=Path, default=ROOT / "assistant" / "data" / "ranker.json")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--also", nargs="*", default=[], help="more real documents' question sets to fit on")
    parser.add_argument("--report", type=Path, help="write the per-question out-of-fold result (JSON) here")
    args = parser.parse_args(argv)

    from assistant.services import AssistantService
    from assistant.settings import Settings

    started = time.perf_counter()
    service = AssistantService(Settings(data_dir=args.data, retrieval={"ranker": "rules"}))
    sets, real_docs = training_sets(args.also)
    questions = [q for path in sets for q in load_questions(ROOT / path) if q.answerable and q.sections]
    groups = [Group(service, q) for q in questions]
    folds: dict[str, list[Group]] = defaultdict(list)
    for g in groups:
        folds[fold_of(g.q)].append(g)

    per_question = []
    for name, held in folds.items():
        model = fit([g for other, gs in folds.items() if other != name for g in gs], l2=args.l2)
        for g in held:
            per_question.append({"id": g.q.id, "doc": g.q.doc, "in_head": bool(g.labels.sum()),
                                 "rules": g.first_right(), "learned": g.first_right(scores_of(model, g))})
    n = len(per_question)
    real = [r for r in per_question if r["doc"] in real_docs]

    def share(rows, key):
        return round(sum(r[key] for r in rows) / max(len(rows), 1), 3)

    model = fit(groups, l2=args.l2)
    summary = {
        "questions": n, "sets": sets, "folds": len(folds), "depth": service.retriever.ranker_depth,
        "l2": args.l2, "rows": sum(len(g.labels) for g in groups),
        "out_of_fold_first_passage_right": {
            "all": {"rules": share(per_question, "rules"), "learned": share(per_question, "learned"),
                    "right_one_in_head": share(per_question, "in_head")},
            "real": {"n": len(real), "rules": share(real, "rules"), "learned": share(real, "learned"),
                         "right_one_in_head": share(real, "in_head")},
        },
        "weights": {name: round(w, 3) for name, w in zip(RANKER_FEATURES, model.weights)},
        "seconds": round(time.perf_counter() - started, 1),
    }
    data = model.to_json()
    data["trained_on"] = summary
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.report:
        args.report.write_text(json.dumps(per_question, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

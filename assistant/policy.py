"""The answer policy learned from labelled questions: which sentence answers, and whether
to answer at all.

Two small logistic models over signals the answerer computes anyway (coverage of the
sentence and its chunk, retrieval rank and scores, whether the sentence gives the kind
of answer asked, whether its figure sits with the question's key nouns, its year, its
section's kind, ...):

- the **ranker** scores each candidate sentence: P(this sentence answers);
- the **gate** scores the best one with what the question itself shows (how much of it
  no report names, how far the best stands above the rest): P(the answer is right).
  Below the gate's threshold the assistant says the documents do not answer. The
  threshold is set on leave-one-document-out predictions so that wrong answers stay at
  most 1 % of those given (scripts/train_policy.py; docs/EVAL.md).

The facts of the language (a year must agree, a named document or place must match, a
plan does not answer what was done) stay hard checks before either model.
Weights ship in assistant/data/policy.json with the numbers they were trained on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PACKAGED = Path(__file__).with_name("data") / "policy.json"
RANKER = Path(__file__).with_name("data") / "ranker.json"      # scripts/train_ranker.py

UNIT_FEATURES = (
    "score", "coverage", "chunk_coverage", "rank_prior", "fused", "dense", "lexical", "relative_score",
    "coverage_gap", "fits", "has_figure", "figure_asked", "figure_fits", "key_terms", "counted", "other_year",
    "figure_names", "year_stated", "programme", "programme_future", "programme_past", "attachment", "table_row",
    "bullet", "heading_line", "length", "scope", "focus", "share",
)
GATE_FEATURES = (
    "best", "second", "margin", "best_coverage", "best_chunk_coverage", "best_dense", "best_rank", "unseen",
    "units", "figure_asked", "date_asked", "who_asked", "listing", "future", "why", "typed_accents", "scope",
    "unknown_documents", "years_asked", "best_fits", "best_key_terms", "best_other_year", "rule_answers",
    "rule_agrees", "rule_unseen", "rule_low_coverage", "rule_no_fit", "best_share", "top_share",
)


@dataclass
class LinearModel:
    """Logistic regression on standardised features."""
    names: tuple[str, ...]
    weights: list[float]
    bias: float
    mean: list[float]
    scale: list[float]

    def score(self, features: dict[str, float]) -> float:
        z = self.bias
        for name, w, m, s in zip(self.names, self.weights, self.mean, self.scale):
            z += w * (float(features.get(name, 0.0)) - m) / s
        return z

    def probability(self, features: dict[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(min(self.score(features), 30.0), -30.0)))

    def to_json(self) -> dict:
        return {"names": list(self.names), "weights": self.weights, "bias": self.bias, "mean": self.mean,
                "scale": self.scale}

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_json(cls, data: dict) -> "LinearModel":
        return cls(tuple(data["names"]), list(data["weights"]), float(data["bias"]), list(data["mean"]),
                   list(data["scale"]))

    @classmethod
    def fit(cls, names: tuple[str, ...], rows: list[dict[str, float]], labels: list[int], l2: float = 1.0,
            weight: list[float] | None = None, steps: int = 3000, rate: float = 0.1) -> "LinearModel":
        """Gradient descent on the L2-penalised log loss (no library: a few hundred rows)."""
        x = np.array([[float(r.get(n, 0.0)) for n in names] for r in rows], dtype=float)
        y = np.array(labels, dtype=float)
        w_row = np.ones(len(y)) if weight is None else np.array(weight, dtype=float)
        mean = x.mean(axis=0) if len(x) else np.zeros(len(names))
        scale = x.std(axis=0) if len(x) else np.ones(len(names))
        scale[scale < 1e-9] = 1.0
        z = (x - mean) / scale
        w = np.zeros(len(names))
        b = 0.0
        n = max(w_row.sum(), 1.0)
        for _ in range(steps):
            p = 1.0 / (1.0 + np.exp(-np.clip(z @ w + b, -30, 30)))
            g = (p - y) * w_row
            w -= rate * ((z.T @ g) / n + l2 * w / n)
            b -= rate * g.sum() / n
        return cls(names, w.tolist(), float(b), mean.tolist(), scale.tolist())


@dataclass
class LearnedPolicy:
    ranker: LinearModel
    gate: LinearModel
    threshold: float
    trained_on: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = PACKAGED) -> "LearnedPolicy":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(LinearModel.from_json(data["ranker"]), LinearModel.from_json(data["gate"]),
                   float(data["threshold"]), data.get("trained_on", {}))

    def save(self, path: Path = PACKAGED) -> None:
        Path(path).write_text(json.dumps({
            "ranker": self.ranker.to_json(), "gate": self.gate.to_json(), "threshold": self.threshold,
            "trained_on": self.trained_on,
        }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

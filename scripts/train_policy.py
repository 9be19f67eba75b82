"""Fit the learned answer policy (assistant/policy.py) on labelled questions, validating
by leaving whole documents out, and write assistant/data/policy.json.

Training questions: the bundled samples' sets and the real documents' dev set, on the
store `scripts/eval_real_index.sh` builds (the samples and the real documents together,
so that another document's sentences compete, as in use). The real test sets are not
read. For each question the real pipeline runs (analysis, retrieval, the facts of the
language); every candidate sentence left is a ranker row, labelled by whether it lies in
an expected section and holds a fact asked for.

Leave-one-document-out: the ranker is fit without a document's questions, ranks them,
the answer it leads to is composed and checked (facts, first citation); the gate is fit
the same way on those out-of-fold answers, and its threshold is the lowest at which the
out-of-fold wrong answers are at most `--max-wrong` of those given.

    python scripts/train_policy.py [--data data/eval-real] [--max-wrong 0.01] [--out assistant/data/policy.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluation import Question, load_questions  # noqa: E402
from assistant.models import Answer  # noqa: E402
from assistant.policy import GATE_FEATURES, UNIT_FEATURES, LearnedPolicy, LinearModel  # noqa: E402

TRAIN_SETS = ["eval/qa_all.jsonl", "eval/qa_heldout.jsonl", "eval/qa_heldout2.jsonl", "eval/qa_heldout3.jsonl",
              "eval/qa_heldout4.jsonl", "eval/qa_heldout5.jsonl", "eval/qa_real_dev.jsonl"]


REAL_DEV = "eval/qa_real_dev.jsonl"


def training_sets(also: list[str]) -> tuple[list[str], set[str]]:
    """The sets fit on, and the real documents among their questions (the threshold's).
    `also`: more real documents' questions (`--also eval/qa_real_dev2.jsonl`); the store
    must hold their documents (WITH_DEV2=1 scripts/eval_real_index.sh)."""
    real = [REAL_DEV] + [p for p in also if p != REAL_DEV]
    docs = {q.doc for path in real for q in load_questions(ROOT / path)}
    return TRAIN_SETS + [p for p in also if p not in TRAIN_SETS], docs


def matches(q: Question, doc_id: str, section_id: str) -> bool:
    return section_id in q.sections and (not q.doc or q.doc == doc_id)


def correct(q: Question, answer: Answer) -> bool:
    if not q.answerable:
        return False
    first = answer.citations[0] if answer.citations else None
    text = answer.answer.lower()
    return bool(answer.found and first and matches(q, first.doc_id, first.section_id)
                and all(any(f.lower() in text for f in group) for group in q.facts))


def unit_label(q: Question, unit) -> int:
    meta = unit.doc.metadata
    if not q.answerable or not matches(q, meta["doc_id"], meta["section_id"]):
        return 0
    text = unit.text.lower()
    return int(not q.facts or any(f.lower() in text for group in q.facts for f in group))


def fold_of(q: Question) -> str:
    """Whole documents are left out together; a question without one goes to a fold by its id."""
    return q.doc or f"none-{zlib.crc32(q.id.encode()) % 5}"


class Case:
    """One question run through the pipeline up to the decision."""

    def __init__(self, service, q: Question) -> None:
        answerer = service.answerer
        self.q = q
        analysis = service.retriever.analyze(q.q)
        docs = [h.to_document() for h in service.retriever.search(q.q, analysis=analysis)]
        self.ctx = answerer._context(q.q, docs, "", analysis)
        self.early = self.ctx if isinstance(self.ctx, Answer) else None
        self.rows: list[dict[str, float]] = []
        self.labels: list[int] = []
        if self.early is None and self.ctx.units:
            units = self.ctx.units[: answerer.policy.ranked_units]
            best = units[0]
            self.units = units
            self.rows = [answerer.unit_features(self.ctx, u, i, best) for i, u in enumerate(units)]
            self.labels = [unit_label(q, u) for u in units]
        else:
            self.units = []

    def decide(self, answerer, ranker: LinearModel) -> tuple[dict[str, float] | None, Answer | None]:
        """(gate features, the answer the ranked best leads to), under `ranker`."""
        if self.early is not None:
            return None, self.early
        if not self.units:
            return None, None
        ranked = sorted(((ranker.probability(r), u) for r, u in zip(self.rows, self.units)), key=lambda pu: -pu[0])
        features = answerer.gate_features(self.ctx, ranked)
        answer = answerer._compose_from(self.ctx, ranked[0][1], [u for _, u in ranked])
        return features, answer


def fit_ranker(cases: list[Case]) -> LinearModel:
    rows, labels = [], []
    for c in cases:
        rows += c.rows
        labels += c.labels
    positives = max(sum(labels), 1)
    weight = [len(labels) / (2 * positives) if y else len(labels) / (2 * max(len(labels) - positives, 1))
              for y in labels]
    return LinearModel.fit(UNIT_FEATURES, rows, labels, l2=2.0, weight=weight)


def threshold_for(probabilities: list[float], right: list[int], max_wrong: float) -> float:
    """The lowest threshold at which wrong answers are at most max_wrong of those given."""
    best = 1.01
    for t in sorted(set(probabilities), reverse=True):
        given = [r for p, r in zip(probabilities, right) if p >= t]
        wrong = sum(1 for r in given if not r)
        if given and wrong <= max_wrong * len(given):
            best = t
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "eval-real")
    parser.add_argument("--max-wrong", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=ROOT / "assistant" / "data" / "policy.json")
    parser.add_argument("--report", type=Path, help="write the out-of-fold table (JSON) here")
    parser.add_argument("--also", nargs="*", default=[], help="more real documents' question sets to fit on")
    parser.add_argument("--threshold-on", choices=("real", "all"), default="real",
                        help="whose out-of-fold answers set the gate's threshold")
    parser.add_argument("--retrieval", choices=("learned", "rules"), default="learned",
                        help="the order of the passages the policy is fit on (settings.retrieval.ranker)")
    args = parser.parse_args(argv)

    from assistant.services import AssistantService
    from assistant.settings import Settings

    started = time.perf_counter()
    # candidates and features only: the rules answer, the rules order the passages first
    service = AssistantService(Settings(data_dir=args.data, answer={"policy": "rules"}, retrieval={"ranker": "rules"}))
    answerer = service.answerer
    sets, real_docs = training_sets(args.also)
    questions = [q for path in sets for q in load_questions(ROOT / path)]
    folds: dict[str, list[Case]] = defaultdict(list)
    if args.retrieval == "learned":
        # The passages in the learned order (scripts/train_ranker.py), each fold's by a
        # ranker fit without it, so the ranker's shares the gate learns from are out of fold.
        from scripts.train_ranker import Group, fit as fit_order
        groups = [Group(service, q) for q in questions if q.answerable and q.sections]
        for name in sorted({fold_of(q) for q in questions}):
            service.retriever.ranker = fit_order([g for g in groups if fold_of(g.q) != name])
            folds[name] = [Case(service, q) for q in questions if fold_of(q) == name]
        service.retriever.ranker = None
    else:
        for q in questions:
            folds[fold_of(q)].append(Case(service, q))
    cases = [c for cs in folds.values() for c in cs]

    # Out-of-fold: the ranker without the document, then its answers, then the gate.
    gate_rows: dict[str, list[tuple[dict, int, bool]]] = defaultdict(list)
    ids: dict[str, list[str]] = defaultdict(list)
    early_right = early_wrong = 0
    for name, held in folds.items():
        ranker = fit_ranker([c for other, cs in folds.items() if other != name for c in cs])
        for c in held:
            features, answer = c.decide(answerer, ranker)
            if features is None:
                if answer is not None and answer.found:
                    early_right += correct(c.q, answer)
                    early_wrong += not correct(c.q, answer)
                continue
            gate_rows[name].append((features, int(correct(c.q, answer)), c.q.answerable))
            rules = answerer._rules_answer(c.ctx)
            ids[name].append((c.q.id, bool(rules.found), int(correct(c.q, rules)), c.q.doc or ""))
    oof_p, oof_right, oof_answerable, oof_ids = [], [], [], []
    for name in gate_rows:
        oof_ids += ids[name]
        train = [r for other, rs in gate_rows.items() if other != name for r in rs]
        gate = LinearModel.fit(GATE_FEATURES, [f for f, _, _ in train], [y for _, y, _ in train], l2=4.0)
        for f, y, answerable in gate_rows[name]:
            oof_p.append(gate.probability(f))
            oof_right.append(y)
            oof_answerable.append(answerable)
    # The threshold is set where it will be used: on documents nobody here wrote (the real
    # dev documents, each out of fold); the samples' questions were written with the code.
    real = [i[3] in real_docs for i in oof_ids]
    on = real if args.threshold_on == "real" else [True] * len(real)
    threshold = threshold_for([p for p, k in zip(oof_p, on) if k], [r for r, k in zip(oof_right, on) if k],
                              args.max_wrong)

    def table(keep: list[bool]) -> dict:
        given = [r for p, r, k in zip(oof_p, oof_right, keep) if k and p >= threshold]
        answerable = sum(a for a, k in zip(oof_answerable, keep) if k)
        rules_given = [i[2] for i, k in zip(oof_ids, keep) if k and i[1]]
        return {
            "answered": len(given), "right": sum(given), "wrong": len(given) - sum(given), "answerable": answerable,
            "right_of_answerable": round(sum(given) / max(answerable, 1), 3),
            "right_if_always_answered": round(sum(r for r, k in zip(oof_right, keep) if k) / max(answerable, 1), 3),
            "rules": {"answered": len(rules_given), "right": sum(rules_given), "wrong": len(rules_given) - sum(rules_given)},
        }
    summary = {
        "questions": len(questions), "sets": sets, "folds": len(folds), "retrieval": args.retrieval,
        "ranker_rows": sum(len(c.rows) for c in cases), "ranker_positives": sum(sum(c.labels) for c in cases),
        "gated_questions": len(oof_p), "threshold": round(threshold, 4), "max_wrong": args.max_wrong,
        "threshold_on": args.threshold_on,
        "out_of_fold": table([True] * len(real)), "out_of_fold_real": table(real),
        "decided_before_the_gate": {"right": early_right, "wrong": early_wrong},
        "seconds": round(time.perf_counter() - started, 1),
    }
    policy = LearnedPolicy(
        ranker=fit_ranker(cases),
        gate=LinearModel.fit(GATE_FEATURES, [f for rs in gate_rows.values() for f, _, _ in rs],
                             [y for rs in gate_rows.values() for _, y, _ in rs], l2=4.0),
        threshold=threshold, trained_on=summary,
    )
    policy.save(args.out)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.report:
        args.report.write_text(json.dumps({"p": oof_p, "right": oof_right, "answerable": oof_answerable,
                                           "ids": oof_ids, "threshold": threshold}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

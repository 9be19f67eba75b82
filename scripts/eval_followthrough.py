"""Score the commitments tracker's follow-through on real documents: a plan and a report
of the same body, with hand-written gold (eval/followthrough/*.jsonl, README there).

    .venv/bin/python scripts/eval_followthrough.py [--min-cover 0.5] [--sweep] [--json]

For every gold task the tracker's row of the same task is found (its task cell starts
like the gold's), and scored:
- evidence precision: of the rows the tracker gives evidence for, the share whose quote
  is the gold's passage (one contains the other, or they share most of their words);
- evidence recall: of the gold tasks with evidence, the share the tracker found;
- status accuracy over all gold tasks ("chưa có thông tin" included).
The reports are indexed into a temporary store with the packaged embedding model.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.followthrough import FollowThrough  # noqa: E402
from assistant.services import AssistantService  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.vntext import fold, tokens  # noqa: E402

CORPUS = ROOT / "eval" / "corpus" / "real"


def _norm(text: str) -> str:
    return " ".join(fold(unicodedata.normalize("NFC", text or "")).lower().split())


def _same_passage(ours: str, gold: str) -> bool:
    a, b = _norm(ours), _norm(gold)
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    wa, wb = set(tokens(a)), set(tokens(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb))) >= 0.6


def score(rows: list[dict], gold: list[dict]) -> dict:
    used, paired = set(), []
    for g in gold:
        key = _norm(g["task"])[:80]
        match = next((i for i, r in enumerate(rows) if i not in used and _norm(r["task"] or r["text"]).startswith(key[:60])), None)
        if match is None:
            match = next((i for i, r in enumerate(rows) if _norm(r["task"] or r["text"]).startswith(key[:60])), None)
        if match is not None:
            used.add(match)
        paired.append((g, rows[match] if match is not None else None))
    found = [(g, r) for g, r in paired if r is not None and r["evidence"]]
    right = [(g, r) for g, r in found if g["evidence"] and _same_passage(r["evidence"]["quote"], g["evidence"])]
    with_gold = [g for g in gold if g["evidence"]]
    status_right = sum(1 for g, r in paired if r is not None and
                       (r["status"] == g["status"] if (not g["evidence"] or (r["evidence"] and _same_passage(r["evidence"]["quote"], g["evidence"])))
                        else False))
    return {
        "tasks": len(gold), "tasks_found_in_tracker": sum(1 for _, r in paired if r is not None),
        "gold_with_evidence": len(with_gold), "tracker_with_evidence": len(found), "evidence_right": len(right),
        "precision": round(len(right) / len(found), 3) if found else None,
        "recall": round(len(right) / len(with_gold), 3) if with_gold else None,
        "status_accuracy": round(status_right / len(gold), 3),
        "status_of_right_evidence": round(sum(1 for g, r in right if r["status"] == g["status"]) / len(right), 3) if right else None,
        "confusion": dict(Counter(f"{g['status']} -> {r['status'] if r else 'missing'}" for g, r in paired)),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-cover", type=float, default=None)
    parser.add_argument("--sweep", action="store_true", help="score min_cover from 0.2 to 0.8")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    for path in sorted((ROOT / "eval" / "followthrough").glob("*.jsonl")):
        gold = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        with tempfile.TemporaryDirectory() as tmp:
            service = AssistantService(Settings(data_dir=Path(tmp)))
            for name in sorted({g["plan"] for g in gold} | {g["report"] for g in gold}):
                service.ingest_path(CORPUS / name)
            covers = [round(0.2 + 0.05 * i, 2) for i in range(13)] if args.sweep else [args.min_cover]
            for cover in covers:
                if cover is not None:
                    follow = service._follow_through()
                    service._follow_cache = (service._follow_cache[0], FollowThrough(
                        {d: service.index.sections(d) for d in follow._sentences}, follow.titles, min_cover=cover))
                plan_ids = {service.index.document(Path(g["plan"]).stem.lower()).doc_id for g in gold[:1]}
                rows = [r for r in service.tracker() if r["doc_id"] in plan_ids]
                results[f"{path.stem}@{cover if cover is not None else 'default'}"] = score(rows, gold)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        for name, r in results.items():
            print(f"{name}: precision {r['precision']} recall {r['recall']} status accuracy {r['status_accuracy']} "
                  f"(evidence {r['evidence_right']}/{r['tracker_with_evidence']} given, {r['gold_with_evidence']} in gold; "
                  f"{r['tasks_found_in_tracker']}/{r['tasks']} tasks in the tracker)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

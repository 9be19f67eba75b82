"""Score the section parser against the hand-written gold outlines (eval/outlines/*.json).

For every file a gold outline covers, the file is read by the real loader and parsed;
a parsed heading counts as right when its section id is the gold id and its heading
starts like the gold heading (the first 30 letters and digits, case and spacing
ignored: PDF text layers space syllables differently). Precision is over the parsed
headings, recall over the gold ones; an attachment is found when some parsed section
id starts with its label. `--markdown FILE` writes the table of docs/PARSING.md.

    python scripts/eval_parse.py [--markdown docs/PARSING.md] [--only STEM] [--diff]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from doc_blocks import replace_block  # noqa: E402
from ingest.loaders import InputError, load_path  # noqa: E402
from ingest.sections import parse_report  # noqa: E402

CORPUS = ROOT / "eval" / "corpus" / "real"
OUTLINES = ROOT / "eval" / "outlines"
COMPARED = 30


def heading_key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())[:COMPARED]


def same_heading(parsed: str, gold: str) -> bool:
    a, b = heading_key(parsed), heading_key(gold)
    n = min(len(a), len(b))
    return n > 0 and a[:n] == b[:n] and (n == len(b) or n >= COMPARED or len(a) >= len(b))


@dataclass
class FileScore:
    file: str
    gold: int
    parsed: int
    matched: int
    attachments: int
    attachments_found: int
    seconds: float
    error: str = ""
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.parsed if self.parsed else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0


def read(path: Path):
    return parse_report(load_path(path, max_bytes=50 * 1024 * 1024))


def score_file(path: Path, gold: dict, parse=read) -> FileScore:
    started = time.perf_counter()
    try:
        report = parse(path)
    except InputError as exc:
        n = len(gold["sections"])
        return FileScore(path.name, n, 0, 0, len(gold["attachments"]), 0, time.perf_counter() - started, str(exc))
    seconds = time.perf_counter() - started
    parsed = [s for s in report.sections if s.kind == "section"]
    by_id = {s.section_id: s for s in parsed}
    gold_ids = {g["id"]: g for g in gold["sections"]}
    # A label printed on a line of its own ("II." / "Mục tiêu") has its heading line as
    # printed and its title with the line after it, as an outline writes the heading.
    def same(s, heading: str) -> bool:
        return same_heading(s.heading, heading) or (s.title != s.heading and same_heading(s.title, heading))

    matched = sum(1 for g in gold["sections"] if g["id"] in by_id and same(by_id[g["id"]], g["heading"]))
    ids = [s.section_id for s in report.sections]
    found = sum(1 for a in gold["attachments"] if any(i == a["label"] or i.startswith(a["label"] + ".") for i in ids))
    missed = [f"{g['id']}  {g['heading'][:70]}" for g in gold["sections"]
              if not (g["id"] in by_id and same(by_id[g["id"]], g["heading"]))]
    extra = [f"{s.section_id}  {s.heading[:70]}" for s in parsed
             if not (s.section_id in gold_ids and same(s, gold_ids[s.section_id]["heading"]))]
    return FileScore(path.name, len(gold["sections"]), len(parsed), matched, len(gold["attachments"]), found,
                     seconds, missed=missed, extra=extra)


def score_all(only: str | None = None, parse=read) -> list[FileScore]:
    scores = []
    for outline in sorted(OUTLINES.glob("*.json")):
        if only and only not in outline.stem:
            continue
        gold = json.loads(outline.read_text(encoding="utf-8"))
        for name in gold["files"]:
            scores.append(score_file(CORPUS / name, gold, parse))
    return scores


def totals(scores: list[FileScore]) -> dict:
    gold = sum(s.gold for s in scores)
    parsed = sum(s.parsed for s in scores)
    matched = sum(s.matched for s in scores)
    att = sum(s.attachments for s in scores)
    return {
        "precision": matched / parsed if parsed else 0.0, "recall": matched / gold if gold else 0.0,
        "attachment_recall": sum(s.attachments_found for s in scores) / att if att else 1.0,
        "files": len(scores), "gold": gold, "parsed": parsed, "matched": matched,
        "min_precision": min((s.precision for s in scores), default=0.0),
        "min_recall": min((s.recall for s in scores), default=0.0),
    }


def markdown(scores: list[FileScore]) -> str:
    t = totals(scores)
    lines = [
        "| file | gold headings | parsed | right | precision | recall | attachments found | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        note = f" ({s.error})" if s.error else ""
        lines.append(f"| `{s.file}`{note} | {s.gold} | {s.parsed} | {s.matched} | {s.precision:.3f} | {s.recall:.3f} | "
                     f"{s.attachments_found}/{s.attachments} | {s.seconds:.1f} |")
    lines.append(f"| **all {t['files']} files** | {t['gold']} | {t['parsed']} | {t['matched']} | **{t['precision']:.3f}** | "
                 f"**{t['recall']:.3f}** | {t['attachment_recall']:.3f} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", type=Path, help="write the table into this file (between the markers)")
    parser.add_argument("--only", help="outlines whose name contains this")
    parser.add_argument("--diff", action="store_true", help="list missed and extra headings per file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    scores = score_all(args.only)
    if args.json:
        print(json.dumps({"totals": totals(scores), "files": [s.__dict__ | {"precision": s.precision, "recall": s.recall}
                                                              for s in scores]}, ensure_ascii=False, indent=1))
        return 0
    print(markdown(scores))
    if args.diff:
        for s in scores:
            if s.missed or s.extra:
                print(f"\n## {s.file}")
                print("\n".join(f"  - missed {m}" for m in s.missed))
                print("\n".join(f"  + extra  {e}" for e in s.extra))
    if args.markdown:
        replace_block(args.markdown, "eval-parse", markdown(scores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark corpora shared by scripts/bench.py and scripts/bench_retrieval.py.

Only three real reports ship with the project, so larger corpora are made of variants:
the same layout with other place names and every figure changed, so no two reports
are the same text (the index de-duplicates identical content) and BM25 statistics
stay those of distinct reports.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "samples"
FIRST_SAMPLE = "bao-cao-binh-phuoc-6-thang-2024.txt"
VARIANT_SEED = 7          # the seed docs/BENCH_RETRIEVAL.md was generated with

PLACES = ["Bình Phước", "Đông Lâm", "Hòa Sơn"]
NEW_PLACES = ["Tân Lập", "Phú Mỹ", "An Khê", "Long Hải", "Thạch An", "Vĩnh Lợi", "Mỹ Thuận", "Hòa Bình Xuân",
              "Đức Phong", "Sơn Thủy", "Quế Lâm", "Yên Hòa", "Bắc Hà Nam", "Tiên Lãng", "Cẩm Giang", "Hưng Đạo",
              "Kim Sơn Bắc", "Thanh Hà Đông", "Gia Lộc Tây", "Lạc Thủy Nam"]


def variant(text: str, n: int, rng: random.Random) -> str:
    """Another report of the same layout: other places, every figure changed."""
    for place in PLACES:
        text = text.replace(place, NEW_PLACES[n % len(NEW_PLACES)])
    return re.sub(r"\d+", lambda m: str(max(1, int(m.group(0)) + rng.randint(1, 9))), text)


def variant_name(sample: Path, n: int) -> str:
    return f"{sample.stem}-bien-the-{n:03d}.txt"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def samples() -> list[Path]:
    return sorted(SAMPLES_DIR.glob("*.txt"))


def corpus(size: int, seed: int = VARIANT_SEED) -> list[tuple[str, str]]:
    """(file name, text) of `size` reports: 1 = the Bình Phước sample alone; more = the
    samples first, then variants of them in rotation."""
    if size < 1:
        raise ValueError("a corpus has at least one report")
    if size == 1:
        path = SAMPLES_DIR / FIRST_SAMPLE
        return [(path.name, path.read_text(encoding="utf-8"))]
    originals = samples()
    reports = [(p.name, p.read_text(encoding="utf-8")) for p in originals[:size]]
    rng = random.Random(seed)
    n = 0
    while len(reports) < size:
        sample = originals[n % len(originals)]
        reports.append((variant_name(sample, n), variant(sample.read_text(encoding="utf-8"), n, rng)))
        n += 1
    return reports

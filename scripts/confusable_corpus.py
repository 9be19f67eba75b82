"""A confusable corpus: series of reports of one layout for many places and years, and
questions that name the report they ask about, name only its place, or name a period no
report covers.

Each sample report is rewritten for another place (a real province's name; the Đông Lâm
report stays a district's) and another year: every year shifts by the same amount, every
other figure changes, and heading labels, month numbers and period lengths ("6 tháng")
stay as printed, so the section ids are the sample's and a question's expected section
carries over. The sample itself is the latest report of its own place.

Question kinds (from eval/qa_all.jsonl's answerable questions of the samples):
- named: names the place and the period of one report of the series ("Theo báo cáo 6
  tháng đầu năm 2022 của tỉnh Gia Lai, ..."); that report's section answers;
- latest: names the place but no period; the place's latest report answers;
- out-of-scope: names the place and a year no report of the corpus covers.
Figures differ in every variant, so the questions carry no facts: what is scored is the
report and section (hit@1, first citation) and refusals. A question that states a figure
("4 chỉ tiêu đã đạt kế hoạch") is asked of a report only if that report states it.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.vntext import fold, has_diacritics

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
QUESTIONS = ROOT / "eval" / "qa_all.jsonl"


@dataclass(frozen=True)
class Series:
    """What a sample is: its file, place, year, unit, kind and how it names its period."""
    stem: str
    place: str
    year: int
    unit: str                 # "tỉnh" / "huyện"
    kind: str                 # "báo cáo" / "kế hoạch"
    period: str               # with {y} (and {y2}): "6 tháng đầu năm {y}"

    def period_label(self, year: int) -> str:
        return self.period.format(y=year, y2=year + 2)


SERIES = (
    Series("bao-cao-binh-phuoc-6-thang-2024", "Bình Phước", 2024, "tỉnh", "báo cáo", "6 tháng đầu năm {y}"),
    Series("bao-cao-huyen-dong-lam-2023", "Đông Lâm", 2023, "huyện", "báo cáo", "năm {y}"),
    Series("ke-hoach-chuyen-doi-so-tinh-hoa-son-2025", "Hòa Sơn", 2025, "tỉnh", "kế hoạch", "giai đoạn {y}-{y2}"),
)
# Provinces' names (public), standing in for the places of the variants.
PROVINCES = (
    "Hà Giang", "Cao Bằng", "Lào Cai", "Lai Châu", "Điện Biên", "Sơn La", "Yên Bái", "Tuyên Quang", "Thái Nguyên",
    "Bắc Kạn", "Lạng Sơn", "Quảng Ninh", "Bắc Giang", "Phú Thọ", "Vĩnh Phúc", "Bắc Ninh", "Hải Dương", "Hưng Yên",
    "Thái Bình", "Nam Định", "Ninh Bình", "Hà Nam", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Quảng Bình", "Quảng Trị",
    "Quảng Nam", "Quảng Ngãi", "Bình Định", "Phú Yên", "Khánh Hòa", "Ninh Thuận", "Bình Thuận", "Kon Tum", "Gia Lai",
    "Đắk Lắk", "Đắk Nông", "Lâm Đồng", "Tây Ninh", "Bình Dương", "Đồng Nai", "Long An", "Tiền Giang", "Bến Tre",
    "Trà Vinh", "Vĩnh Long", "Đồng Tháp", "An Giang", "Kiên Giang", "Hậu Giang", "Sóc Trăng", "Bạc Liêu", "Cà Mau",
)
UNCOVERED_SHIFT = -9          # a year this many years before a series' own: no report covers it

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_LABEL = re.compile(r"^\s*(?:\(\d+\)|(?:\d+\.)+\d*|\d+\))")          # "(1)", "4.", "1.2", "3)"
# "Điều 3", "Phụ lục 01": the numbers of a document's parts are labels too.
_PART = re.compile(r"\b(?:Điều|Chương|Mục|Phần|Phụ lục|Khoản|Điểm|Biểu|Chuyên đề)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w/])(?<!tháng )(?<!quý )(\d+)(?!\s*tháng)(?![\w/])")


@dataclass(frozen=True)
class Report:
    doc_id: str
    series: Series
    place: str
    year: int
    text: str


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


def places(count: int) -> list[str]:
    """`count` place names besides the samples' own; past the list, with a direction."""
    out = list(PROVINCES)
    for suffix in (" Bắc", " Nam", " Đông", " Tây"):
        out += [p + suffix for p in PROVINCES]
    return out[:count]


def rewrite(series: Series, text: str, place: str, shift: int, rng: random.Random) -> str:
    if place != series.place:
        text = text.replace(series.place, place).replace(series.place.upper(), place.upper())
    text = _YEAR.sub(lambda m: str(int(m.group(1)) + shift), text)
    if place == series.place and shift == 0:
        return text
    out = []
    for line in text.split("\n"):
        label = _LABEL.match(line)
        head, rest = (line[: label.end()], line[label.end():]) if label else ("", line)
        rest = _NUMBER.sub(lambda m: m.group(1) if _YEAR.fullmatch(m.group(1)) or _PART.search(rest[: m.start()])
                           else str(int(m.group(1)) + rng.randint(1, 9)), rest)
        out.append(head + rest)
    return "\n".join(out)


def corpus(size: int, years: int = 4, seed: int = 11) -> list[Report]:
    """`size` reports: for each place (the samples' own first), for each year from the
    sample's back, one report of each sample, until there are `size`."""
    rng = random.Random(seed)
    reports: list[Report] = []
    for place_no in range(size):
        for back in range(years):
            for series in SERIES:
                if len(reports) == size:
                    return reports
                place = series.place if place_no == 0 else places(place_no)[place_no - 1]
                year = series.year - back
                stem = series.stem.replace(slug(series.place), slug(place)).replace(str(series.year), str(year))
                path = SAMPLES / f"{series.stem}.txt"
                text = rewrite(series, path.read_text(encoding="utf-8"), place, -back, rng)
                reports.append(Report(stem, series, place, year, text))
    return reports


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _ask(question: str, series: Series, place: str, year: int | None) -> str:
    """The question rewritten to name `place` (and the period of `year`)."""
    accents = has_diacritics(question)
    own = series.place if accents else fold(series.place).lower()
    new = place if accents else fold(place).lower()
    q = re.sub(re.escape(own), new, question, flags=0 if accents else re.IGNORECASE)
    if year is None:
        q = re.sub(rf"\s*(?:năm|nam)\s+{series.year}\b", "", q)
    else:
        q = _YEAR.sub(lambda m: str(int(m.group(1)) + year - series.year), q)
    missing = []
    if year is not None and str(year) not in q:
        missing.append(series.period_label(year))
    if new.lower() not in q.lower():
        missing.append(f"của {series.unit} {place}")
    if not missing:
        return q
    prefix = f"Theo {series.kind} " + " ".join(missing) + ", "
    if not accents:
        prefix = fold(prefix).lower()
    return prefix + _lower_first(q)


def _holds_figures(question: str, report: Report) -> bool:
    """Does the report state every figure the question states (its years aside), with
    the word it counts? A variant's figures changed: "4 chỉ tiêu đã đạt" or "Chương
    trình số 17-CTr/TU" asked of a variant that says 6 or 19 asks what it does not say."""
    folded = fold(report.text).lower()
    for m in _NUMBER.finditer(question):
        if _YEAR.fullmatch(m.group(1)):
            continue
        word = re.match(r"[-/][\w/-]+|\s+\w+", question[m.end():])
        figure = r"\s+".join(map(re.escape, fold(m.group(1) + (word.group(0) if word else "")).lower().split()))
        if not re.search(rf"(?<![\w/]){figure}(?![\w/])", folded):
            return False
    return True


def questions(reports: list[Report], per_question: int = 1, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    by_series: dict[str, list[Report]] = {}
    for report in reports:
        by_series.setdefault(report.series.stem, []).append(report)
    out: list[dict] = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        series = next((s for s in SERIES if s.stem == raw.get("doc")), None)
        if series is None or raw["kind"] == "out-of-scope" or not raw.get("sections"):
            continue
        members = by_series.get(series.stem, [])
        if not members:
            continue
        other_years = {y for y in _YEAR.findall(raw["q"]) if int(y) != series.year}
        for n in range(per_question):
            target = rng.choice(members)
            base = {"sections": raw["sections"], "facts": [], "from": raw["id"]}
            named = _ask(raw["q"], series, target.place, target.year)
            if _holds_figures(named, target):
                out.append(base | {"id": f"{raw['id']}-named{n}", "kind": "named", "doc": target.doc_id, "q": named})
            latest = max((r for r in members if r.place == target.place), key=lambda r: r.year)
            unnamed = _ask(raw["q"], series, target.place, None)
            if not other_years and _holds_figures(unnamed, latest):
                out.append(base | {"id": f"{raw['id']}-latest{n}", "kind": "latest", "doc": latest.doc_id, "q": unnamed})
            out.append({"id": f"{raw['id']}-uncovered{n}", "kind": "out-of-scope", "facts": [], "sections": [],
                        "from": raw["id"],
                        "q": _ask(raw["q"], series, target.place, series.year + UNCOVERED_SHIFT)})
    return out


class TemplateEmbeddings(Embeddings):
    """Passages embedded once per template (digits and place names masked); questions
    embedded as they are."""

    def __init__(self, inner: Embeddings, names: list[str]) -> None:
        self.inner = inner
        self._names = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)), re.IGNORECASE)
        self._vectors: dict[str, list[float]] = {}

    def _key(self, text: str) -> str:
        return re.sub(r"\d", "0", self._names.sub("@", text))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        missing = [(k, t) for k, t in dict(zip(keys, texts)).items() if k not in self._vectors]
        if missing:
            for (k, _), v in zip(missing, self.inner.embed_documents([t for _, t in missing])):
                self._vectors[k] = v
        return [self._vectors[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

"""Which reports a question is answered from: the period it names, and series.

An office keeps reports of one layout for many periods (6 tháng đầu năm 2022, 2023,
2024 ...) and places. Words cannot tell such reports apart (they are the same words with
other figures), but the question's period and the reports' own metadata can:
- a report *covers* a period when its own period overlaps it, or the period is a year
  its title names ("... năm 2023 và phương hướng, nhiệm vụ năm 2024") or the year it is
  dated in; a report that states neither period nor date may speak of any;
- a *series* is the reports of one kind, place (or issuer), level and kind of period
  ("báo cáo · Bình Phước · tỉnh · 6 tháng đầu năm"); within a series the member that fits
  the asked period best answers (its own period first), and when no period is asked,
  the latest member: the others are what it updates;
- a question whose period no report covers is refused (when nothing is left to answer
  it, or the answerer finds nothing), naming the periods there are.
A report alone in its series is never set aside by these rules: a sentence's own year
("năm 2024, GRDP tăng ...") still decides whether it answers.
"""

from __future__ import annotations

from collections.abc import Callable

import re
from dataclasses import dataclass, field

from ingest.metadata import Period, period_of
from ingest.vntext import fold, has_diacritics
from vectorstore.document_index import DocumentRecord

# Years that frame the question rather than name its period: a span's start or horizon
# ("từ năm 2021 đến nay", "mục tiêu đến năm 2030"), a comparison base ("so với cùng kỳ năm
# 2023"), a document's number or date ("Nghị quyết 12/2012/NQ-HĐND ngày 20/12/2012").
_FRAMING_YEAR = re.compile(
    r"\b(?:từ|đến|tới|trước|sau|so với|cùng kỳ|kể từ|giai đoạn trước)\s+(?:\S+\s+){0,3}?(?:năm\s+)?(?:19|20)\d\d\b"
    r"|\b\d{1,5}\s*/\s*(?:19|20)\d\d\s*/\s*[\wĐđ-]+"
    r"|\b\d{1,5}/[\wĐđ/-]+\s+ngày\s+\d{1,2}\s*(?:/\s*\d{1,2}\s*/\s*|\s+tháng\s+\d{1,2}\s+năm\s+)(?:19|20)\d\d\b",
    re.IGNORECASE)
# A day ("tính đến 14/6/2024", "ngày 30 tháng 6 năm 2024"): the month that holds it.
_DAY = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*((?:19|20)\d\d)\b"
                  r"|\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+((?:19|20)\d\d)\b", re.IGNORECASE)
# "Theo báo cáo ...", "trong kế hoạch ...": the kind of document the question is about.
_KIND_NAMED = re.compile(r"\b(?:theo|trong|tai|cua|o)\s+(bao cao|ke hoach|nghi quyet|quyet dinh|to trinh|chuong trinh|"
                         r"de an|thong bao|cong van|chi thi|huong dan|ket luan)\b")
# The units reports are issued for. A commune or town ("thị trấn Đông Lâm") lies inside
# its district and is spoken of in the district's report: it tells no report apart.
_UNITS = {"tinh": "tỉnh", "huyen": "huyện", "thi xa": "huyện", "quan": "huyện"}
# The period words typed without diacritics, put back so the title patterns read them.
_UNFOLD = (("giai doan", "giai đoạn"), ("thoi ky", "thời kỳ"), ("thang", "tháng"), ("nam", "năm"), ("quy", "quý"),
           ("dau", "đầu"), ("cuoi", "cuối"), ("tu", "từ"), ("den", "đến"), ("toi", "tới"), ("truoc", "trước"),
           ("so voi", "so với"), ("cung ky", "cùng kỳ"), ("ke tu", "kể từ"), ("ngay", "ngày"))
_SERIAL_YEARS = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def asked_period(question: str) -> Period | None:
    """The period a question asks about ("6 tháng đầu năm 2022", "quý II/2024", "năm
    2023"), None when it names none."""
    text = question
    if not has_diacritics(text):
        text = fold(text).lower()
        for plain, accented in _UNFOLD:
            text = re.sub(rf"\b{plain}\b", accented, text)
    text = _FRAMING_YEAR.sub(" ", text)
    if not _SERIAL_YEARS.search(text):
        return None
    period = period_of(text)
    day = _DAY.search(text)
    if day and (period is None or period.label.startswith("năm")):
        d, m, y = [g for g in day.groups() if g]
        if 1 <= int(m) <= 12:
            return Period(f"ngày {int(d)}/{int(m)}/{y}", f"{y}-{int(m):02d}", f"{y}-{int(m):02d}")
    return period


def asked_kind(question: str) -> tuple[str, str]:
    """(kind, the phrase naming it) of the document the question is about, when it says
    ("theo báo cáo ..." -> ("bao cao", "theo bao cao")); ("", "") when it does not."""
    match = _KIND_NAMED.search(fold(question).lower())
    return (fold(match.group(1)), match.group(0)) if match else ("", "")


def asked_levels(question: str, records: dict[str, DocumentRecord]) -> dict[str, str]:
    """Places the question names with their unit ("tỉnh Điện Biên", "huyện Đông Lâm"):
    folded place -> level. The unit is part of the name: the district is not the province."""
    folded = fold(question).lower()
    out = {}
    for record in records.values():
        place = fold(record.meta.get("place", "")).lower()
        if place and place not in out:
            unit = re.search(rf"\b(tinh|huyen|thi xa|quan)\s+{re.escape(place)}\b", folded)
            if unit:
                out[place] = _UNITS[unit.group(1)]
    return out


def _spoken_years(record: DocumentRecord) -> set[str]:
    """The years a report speaks for besides its period: its title's and its date's."""
    years = set(_SERIAL_YEARS.findall(_FRAMING_YEAR.sub(" ", record.title)))
    if record.date[:4].isdigit():
        years.add(record.date[:4])
    return years


def _months(start: str, end: str) -> int:
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7]) + 1


def fit(record: DocumentRecord, period: Period) -> tuple | None:
    """How well a report covers an asked period, best first: its own period, its period
    overlapping (the more months in common, the better), a year its title or date names;
    then a report that cannot say; None when it does not cover it."""
    own = record.period()
    if own is not None:
        if (own.start, own.end) == (period.start, period.end):
            return (0, 0)
        if own.start <= period.end and period.start <= own.end:
            common = _months(max(own.start, period.start), min(own.end, period.end))
            return (1, -common, _months(own.start, own.end))
    spoken = _spoken_years(record)
    if spoken & period.years():
        return (2, 0)
    return (3, 0) if own is None and not spoken else None


def series_key(record: DocumentRecord) -> tuple | None:
    """Reports of one series share kind, place (else issuer), level and kind of period."""
    own = record.period()
    if own is None:
        return None
    where = fold(record.meta.get("place") or record.meta.get("issuer") or "").lower()
    return (record.meta.get("kind", ""), where, record.meta.get("level", ""), _SERIAL_YEARS.sub("", own.label).strip())


def _recency(record: DocumentRecord) -> tuple:
    own = record.period()
    return (own.end if own else "", record.date, record.indexed_at)


@dataclass
class ReportScope:
    reports: list[str] | None = None     # the reports that answer; None: every report
    period: Period | None = None         # the period asked, when one is
    uncovered: bool = False              # a period is asked and no report covers it
    held: list[str] = field(default_factory=list)   # the periods the candidate reports cover
    series: dict[str, list[str]] = field(default_factory=dict)  # answering report -> the rest of its series, latest first
    naming: list[str] = field(default_factory=list)  # folded phrases that said which report ("theo bao cao")


def without_naming(text: str, naming: list[str]) -> str:
    """The text with the phrases that named its report blanked out: they said which
    report, not what passage ("Theo báo cáo 6 tháng đầu năm 2022, ...")."""
    folded = fold(text).lower()
    if len(folded) != len(text) or not naming:
        return text
    out = list(text)
    for phrase in naming:
        for match in re.finditer(rf"\b{re.escape(phrase)}\b", folded):
            out[match.start():match.end()] = " " * (match.end() - match.start())
    return "".join(out)


def report_scope(question: str, records: dict[str, DocumentRecord], candidates: set[str] | None,
                 text_levels: dict[str, str] | None = None,
                 speaking_of: Callable[[str], set[str]] | None = None) -> ReportScope:
    """The reports among `candidates` (None: all) that answer a question. `text_levels`:
    the level a report's text speaks for ("tinh"/"huyen"), where its header states none.
    `speaking_of(year)`: the reports whose text names that year."""
    pool = {d: r for d, r in records.items() if candidates is None or d in candidates}
    levels = asked_levels(question, pool)
    if levels:
        # "tỉnh Điện Biên": not the district of that name
        def same_level(r: DocumentRecord) -> bool:
            asked = levels.get(fold(r.meta.get("place", "")).lower())
            own = r.meta.get("level") or {"tinh": "tỉnh", "huyen": "huyện"}.get((text_levels or {}).get(r.doc_id, ""), "")
            return asked is None or not own or own == asked

        pool = {d: r for d, r in pool.items() if same_level(r)} or pool
    scope = ReportScope(period=asked_period(question))
    by_series: dict[tuple, list[str]] = {}
    for doc_id, record in pool.items():
        key = series_key(record)
        if key is not None:
            by_series.setdefault(key, []).append(doc_id)
    chosen: set[str] = set(pool)
    # "Theo báo cáo ...": of the series, those of the kind named (the plans of that place
    # are another series). A document the question calls a plan is a plan, or the
    # decision that issues one; documents alone in their series stay, since "theo kế
    # hoạch của Bộ ..." often names a document the report only mentions.
    kind, kind_phrase = asked_kind(question)
    serial = {d for ms in by_series.values() if len(ms) > 1 for d in ms}
    other_kind = {d for d in serial if fold(pool[d].meta.get("kind", "")) != kind
                  and kind not in fold(pool[d].title).lower()} if kind else set()
    if other_kind and other_kind != serial:
        chosen -= other_kind
    if scope.period is not None:
        fits = {d: fit(r, scope.period) for d, r in pool.items()}
        for members in by_series.values():
            members = [d for d in members if d in chosen]
            if len(members) > 1:
                # Of a series, the member made for that period; none when none covers it.
                # A report alone in its series stays: its sentences' own years decide.
                covering = [d for d in members if fits[d] is not None]
                best = min((fits[d] for d in covering), default=None)
                chosen -= {d for d in members if fits[d] is None or fits[d] != best}
        if fits and all(f is None for f in fits.values()):
            # No report is made for that period; those whose text speaks of it still can
            # answer ("Chỉ số PAR năm 2024" in a 2025 report, "nhiệm kỳ 2026-2031" in a
            # resolution on the election's budget): a period named inside a document is
            # what it speaks of, not a report that is missing.
            ends = {scope.period.start[:4], scope.period.end[:4]}
            speaking = set(pool).intersection(*(speaking_of(y) for y in ends)) if speaking_of else set()
            if speaking:
                chosen &= speaking
            else:
                scope.uncovered = True
                scope.held = sorted({p.label for r in pool.values() if (p := r.period())}, key=_label_order)
    else:
        for members in by_series.values():
            members = [d for d in members if d in chosen]
            if len(members) > 1:
                latest = max(members, key=lambda d: _recency(pool[d]))
                chosen -= set(members) - {latest}
    for members in by_series.values() if scope.period is None else ():
        # the latest answers; the answer quotes what the rest of its series says
        ordered = sorted(members, key=lambda d: _recency(pool[d]), reverse=True)
        for d in ordered:
            if d in chosen and len(members) > 1:
                scope.series[d] = [o for o in ordered if o != d]
    if serial - chosen:
        # The words that told the series' members apart ("Theo báo cáo 6 tháng đầu năm
        # 2022") name the report, not what is asked of it.
        if kind:
            scope.naming.append(kind_phrase)
        # A period is the report's name when it is the report's own period; "năm 2024"
        # asked of a six-month report is what its programme for the year speaks of.
        if scope.period is not None and any(fit(pool[d], scope.period) == (0, 0) for d in chosen & serial):
            scope.naming.append(fold(scope.period.label).lower())
    if chosen != set(records) or candidates is not None:
        scope.reports = sorted(chosen)
    return scope


def _label_order(label: str) -> tuple:
    years = _SERIAL_YEARS.findall(label)
    return (years[0] if years else "", label)


@dataclass(frozen=True)
class ReportFilter:
    """What a user picks reports by (CLI, REST, UI): place, kind, year; empty: any."""
    place: str = ""
    kind: str = ""
    year: str = ""

    def __bool__(self) -> bool:
        return bool(self.place.strip() or self.kind.strip() or str(self.year).strip())

    def matches(self, record: DocumentRecord) -> bool:
        place = fold(self.place).lower().strip()
        if place and place not in fold(f"{record.meta.get('place', '')} {record.meta.get('issuer', '')}").lower():
            return False
        kind = fold(self.kind).lower().strip()
        if kind and fold(record.meta.get("kind", "")).lower() != kind:
            return False
        year = str(self.year).strip()
        own = record.period()
        return not year or year in (own.years() if own else set()) | _spoken_years(record)

    def select(self, records: list[DocumentRecord], doc_ids: list[str] | None = None) -> list[str] | None:
        """The doc_ids to answer from: those given (None: all) that match; None when
        nothing narrows them."""
        if not self:
            return doc_ids
        return [r.doc_id for r in records if self.matches(r) and (not doc_ids or r.doc_id in doc_ids)]

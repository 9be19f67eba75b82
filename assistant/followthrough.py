"""Follow-through of commitments: where a later report of the index speaks of a task a
plan committed to, that passage and the status it states.

A commitment is matched to the sentences of later reports by how much of its own
wording they carry: syllables and two-syllable words (most Vietnamese words are two
syllables), each weighted by its inverse document frequency over the index, so "cải
cách hành chính", which every sentence of such a report says, counts for little, and
"cơ sở dữ liệu ... hộ tịch" for much. The best sentence is the evidence when it carries
enough of the task (`min_cover`); the status is read from that sentence's own words
(rules as data: STATUS_CUES), never guessed from its topic.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from ingest.vntext import fold, sentence_spans, tokens, with_bigrams

DONE, ONGOING, NOT_DONE, UNKNOWN = "đã hoàn thành", "đang thực hiện", "chưa thực hiện", "chưa có thông tin"

# The first cue found decides, in this order: a negation before a completion ("chưa
# hoàn thành" is not "hoàn thành"), a completion before progress.
STATUS_CUES: tuple[tuple[str, re.Pattern], ...] = (
    (NOT_DONE, re.compile(r"\b(chưa|không) (được )?(thực hiện|triển khai|hoàn thành|ban hành|đạt|xong|tổ chức|kịp)"
                          r"|\bchậm (tiến độ|triển khai|thực hiện)|\bcòn chậm\b|\bchưa đáp ứng", re.IGNORECASE)),
    (DONE, re.compile(r"\bđã (hoàn thành|ban hành|tổ chức|phê duyệt|thực hiện xong|triển khai xong|đạt|công bố|"
                      r"ký|xây dựng xong|đưa vào)|\bhoàn thành (\d|100|việc|xong)|\bđạt (tỷ lệ )?100\s?%"
                      r"|\bđạt (chỉ tiêu|kế hoạch)"
                      # a report citing the document it issued ("ban hành Kế hoạch số 962/KH-UBND
                      # ngày 21/01/2026") reports the act done
                      r"|\b(ban hành|phê duyệt|công bố|ký)\b[^.;]{0,80}\bsố \d+/", re.IGNORECASE)),
    (ONGOING, re.compile(r"\bđang\b|\btiếp tục\b|\bđã (triển khai|thực hiện|chỉ đạo|giao|ban hành kế hoạch|"
                         r"xây dựng)|\btriển khai thực hiện\b|\bthường xuyên\b|\bđẩy mạnh\b", re.IGNORECASE)),
)


@dataclass
class FollowUp:
    doc_id: str
    doc_title: str
    section_id: str
    quote: str             # the evidence: an exact substring of the section's text
    status: str
    cover: float           # how much of the task's weighted wording the quote carries


def read_status(sentence: str) -> str:
    for status, cue in STATUS_CUES:
        if cue.search(sentence):
            return status
    return ONGOING        # the report speaks of the task, in words of neither kind


def _terms(text: str) -> set[str]:
    return set(with_bigrams([fold(t) for t in tokens(text) if t.isalpha()]))


class FollowThrough:
    """Built once per state of the index (the caller caches it): the candidate sentences
    of every report, and the weights of their terms."""

    def __init__(self, sections_by_doc: dict[str, list], titles: dict[str, str], min_cover: float = 0.4) -> None:
        self.min_cover = min_cover
        self.titles = titles
        self._sentences: dict[str, list[tuple[str, str, set[str]]]] = {}   # doc -> (section, sentence, terms)
        df: Counter[str] = Counter()
        for doc_id, sections in sections_by_doc.items():
            rows = []
            for s in sections:
                # A report's own programme ("phương hướng, nhiệm vụ quý II") is what it
                # commits to next, not what was done: never follow-through evidence.
                if s.programme:
                    continue
                # The heading says what the sentences under it are about ("Kết quả thực
                # hiện kiến nghị kiểm toán" over "Tỷ lệ đã thực hiện: 85,28%"); it is
                # matched with each of them, and is never evidence itself.
                context = _terms(s.heading)
                for start, end in sentence_spans(s.text, clauses=True):
                    sentence = s.text[start:end]
                    if len(sentence) < 25 or sentence.rstrip().endswith(":") or sentence.strip() == s.heading.strip():
                        continue
                    terms = _terms(sentence)
                    rows.append((s.section_id, sentence, terms | context))
                    df.update(terms)
            self._sentences[doc_id] = rows
        n = max(1, sum(len(rows) for rows in self._sentences.values()))
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._default_idf = math.log(1 + n)
        self._memo: dict[tuple[str, tuple[str, ...]], FollowUp | None] = {}

    def _weight(self, term: str) -> float:
        # a two-syllable word counts more than its syllables alone: it is the word
        return self._idf.get(term, self._default_idf) * (1.5 if "_" in term else 1.0)

    def match(self, task: str, later: list[str]) -> FollowUp | None:
        """The later reports' sentence that carries most of the task's wording, if enough."""
        key = (task, tuple(later))
        if key not in self._memo:
            self._memo[key] = self._match(task, later)
        return self._memo[key]

    def _match(self, task: str, later: list[str]) -> FollowUp | None:
        wanted = _terms(task)
        total = sum(self._weight(t) for t in wanted)
        if not wanted or total <= 0:
            return None
        best: tuple[float, str, str, str] | None = None
        for doc_id in later:
            for section_id, sentence, terms in self._sentences.get(doc_id, ()):
                cover = sum(self._weight(t) for t in wanted & terms) / total
                if best is None or cover > best[0]:
                    best = (cover, doc_id, section_id, sentence)
        if best is None or best[0] < self.min_cover:
            return None
        cover, doc_id, section_id, sentence = best
        return FollowUp(doc_id, self.titles.get(doc_id, doc_id), section_id, sentence, read_status(sentence),
                        round(cover, 3))


_ROMAN_QUARTER = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_FULL_DATE = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*((?:19|20)\d{2})\b")
_MONTH = re.compile(r"\btháng\s+(\d{1,2})\s*(?:/|năm)\s*((?:19|20)\d{2})\b|\b(\d{1,2})\s*/\s*((?:19|20)\d{2})\b", re.IGNORECASE)
_QUARTER = re.compile(r"\bquý\s+(iv|iii|ii|i|[1-4])\b\s*(?:/|năm)?\s*((?:19|20)\d{2})", re.IGNORECASE)
_HALF = re.compile(r"\b6 tháng đầu năm\s+((?:19|20)\d{2})", re.IGNORECASE)
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
# A cited document ("Nghị định số 52/2015/NĐ-CP ngày 28/5/2015") carries dates that are
# its own, not the task's deadline.
_CITED = re.compile(r"\b\d+(?:/\d{4})?/[A-ZĐ][\wĐđ-]*(?:\s+ngày\s+\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4})?")


def deadline_end(text: str):
    """The last day a deadline cell allows ("Quý II/2026" -> 2026-06-30, "2026-2030" ->
    2030-12-31, "Thường xuyên" -> None), for "overdue first"."""
    text = _CITED.sub(" ", text or "")
    ends = []
    for d, m, y in _FULL_DATE.findall(text):
        try:
            ends.append(date(int(y), int(m), int(d)))
        except ValueError:
            pass
    text = _FULL_DATE.sub(" ", text)          # "15/9/2026" is not also "tháng 9/2026"
    for m1, y1, m2, y2 in _MONTH.findall(text):
        m, y = int(m1 or m2), int(y1 or y2)
        if 1 <= m <= 12:
            ends.append(date(y, m, calendar.monthrange(y, m)[1]))
    for q, y in _QUARTER.findall(text):
        month = 3 * _ROMAN_QUARTER[q.lower()]
        ends.append(date(int(y), month, calendar.monthrange(int(y), month)[1]))
    for y in _HALF.findall(text):
        ends.append(date(int(y), 6, 30))
    if ends:
        return max(ends)
    years = [int(y) for y in _YEAR.findall(text)]
    return date(max(years), 12, 31) if years else None

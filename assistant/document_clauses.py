"""The articles a legal document closes with, found by their formulas.

A decision, resolution, decree or circular says when it takes effect, what it replaces
and who carries it out in fixed wording (the forms of Nghị định 30/2020/NĐ-CP):
"Quyết định này có hiệu lực thi hành kể từ ngày ký và thay thế Quyết định số …",
"… chịu trách nhiệm thi hành Quyết định này./.". A question about one of these asks
about the document itself, so that sentence of the document it names answers it,
whatever words it shares with the question: "kể từ ngày ký" holds no date a date
check would see, and "bắt đầu có hiệu lực từ lúc nào" shares no topic word with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from ingest.vntext import fold, sentence_spans

# The kinds a document calls itself by in its own articles ("Quyết định này", "Thông tư này").
_KINDS = (r"quyết định|nghị quyết|nghị định|thông tư(?: liên tịch)?|chỉ thị|hướng dẫn|quy định|quy chế|"
          r"kế hoạch|chương trình|đề án|luật|pháp lệnh|văn bản")
_THIS = rf"(?P<kind>{_KINDS})\s+này"

# What each clause says, as the document words it.
CLAUSES: dict[str, re.Pattern] = {
    # the document is the sentence's subject: "Quyết định này có hiệu lực …" opens a
    # line, after its article's or item's label ("… từ trần trước ngày Quyết định này
    # có hiệu lực" is a condition of another article)
    # (opening its article, "Quyết định có hiệu lực kể từ ngày …" needs no "này")
    "effect": re.compile(rf"^\s*(?:(?:Điều|ĐIỀU)\s+\d+\s*[.:]?\s*)?(?:\d+\.\s*)?(?P<kind>{_KINDS})(?:\s+này)?"
                         rf"\s+có\s+hiệu\s+lực\b",
                         re.IGNORECASE | re.MULTILINE),
    # what it replaces is a numbered document ("thay thế Quyết định số 1704/QĐ-CT")
    "replaced": re.compile(r"(?=.*\d+\s*/\s*[\wĐđ/-]*[A-ZĐ])(?:.*\bthay\s+thế\b|.*\bhết\s+hiệu\s+lực\b|.*\bbãi\s+bỏ\b)",
                           re.IGNORECASE | re.DOTALL),
    "executors": re.compile(rf"\b(?:chịu|có)\s+trách\s+nhiệm\s+thi\s+hành\b(?:\s+{_THIS})?", re.IGNORECASE),
}

# The questions, folded: when it takes effect, what it replaces (or ends), who executes it.
_DOCUMENT = (r"(?:quyet dinh|nghi quyet|nghi dinh|thong tu|chi thi|huong dan|quy dinh|quy che|ke hoach|"
             r"chuong trinh|de an|luat|phap lenh|van ban)")
_ENDS = r"(?:het hieu luc|bi thay the|bi bai bo)"   # what ceases when the document takes effect
_WHEN = r"(?:khi nao|ngay nao|luc nao|bao gio|thoi diem nao|thoi gian nao)"
ASKED: dict[str, re.Pattern] = {
    "effect": re.compile(rf"(?<!het )\b(?:co|bat dau co|bat dau) hieu luc(?: thi hanh)?(?: (?:tu|ke tu|vao))?(?: (?:ngay|luc|khi))? {_WHEN}"
                         rf"|\b{_WHEN} (?:thi )?(?:bat dau )?co hieu luc\b"),
    "replaced": re.compile(rf"(?<!duoc )(?<!bi )\bthay the (?:nhung |cac )?{_DOCUMENT}(?: \w+){{0,4}}? (?:nao|gi|so may)\b"
                           rf"|\b{_DOCUMENT}(?: lien tich)? nao\b.*\b{_ENDS}\b.*\bkhi\b.*\bco hieu luc\b"
                           rf"|\bkhi\b.*\bco hieu luc\b.*\b{_DOCUMENT}(?: lien tich)? nao\b.*\b{_ENDS}\b"),
    "executors": re.compile(r"\btrach nhiem thi hanh\b"),
}


# "… chịu trách nhiệm thi hành Quyết định này": the executors article, not "thi hành án".
_EXECUTES_THIS = re.compile(rf"\b(?:chịu|có)\s+trách\s+nhiệm\s+thi\s+hành\s+{_THIS}", re.IGNORECASE)
# A question that speaks of taking effect, carrying out, replacing or of someone's
# responsibility ("Chủ tịch UBND xã có trách nhiệm gì với quyết định") may be answered by them.
_ASKS_OF_CLOSING = re.compile(r"\b(?:hieu luc|thi hanh|thay the|trach nhiem)\b")


@lru_cache(maxsize=4096)
def closing_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The sentences of a passage that say when its document takes effect or who
    carries it out. Like the title and legal bases, they are about the document, not
    what it decides: "Điều 3. Các ông (bà): Chánh Văn phòng …, Giám đốc các Sở … chịu
    trách nhiệm thi hành Quyết định này" names bodies, but tells no one's task."""
    return tuple((s, e) for s, e in _sentences(text)
                 if CLAUSES["effect"].search(text[s:e]) or _EXECUTES_THIS.search(text[s:e]))


def asks_of_closing(question: str) -> bool:
    """Does the question speak of what the closing articles say (effect, execution,
    what is replaced, who is responsible)?"""
    return bool(_ASKS_OF_CLOSING.search(fold(question).lower()))


def asked_clause(question: str) -> str:
    """Which closing article the question asks about ("" for none). The question must
    speak of a document ("Quyết định 1056 ... có hiệu lực từ khi nào"): "giấy ủy quyền
    có hiệu lực bao lâu" is about the contents."""
    folded = fold(question).lower()
    if not re.search(rf"\b{_DOCUMENT}\b", folded):
        return ""
    return next((name for name, pattern in ASKED.items() if pattern.search(folded)), "")


@dataclass(frozen=True)
class ClauseSpan:
    section_id: str
    heading: str
    start: int           # offsets in the section's text
    end: int


class ClauseFinder:
    """Finds a document's closing articles through its outline and section texts."""

    def __init__(self, outline: Callable[[str], list[tuple[str, str]]],
                 sections: Callable[[str, str], str | None]) -> None:
        self._outline = outline
        self._sections = sections

    def find(self, clause: str, doc_id: str, own_kind: str) -> list[ClauseSpan]:
        """The sentences stating `clause` of the document: for "effect" and "executors"
        the one naming the document's own kind ("Quyết định này", not the attached
        "Quy định này") when there is one; for "replaced", what the effect article says
        is replaced or ends."""
        texts = [(sid, heading, self._sections(doc_id, sid) or "") for sid, heading in self._outline(doc_id)]
        return _find(clause, texts, own_kind)


def _find(clause: str, texts: list[tuple[str, str, str]], own_kind: str) -> list[ClauseSpan]:
    """`ClauseFinder.find` on the document's sections, read once for both of "replaced"'s steps."""
    if clause == "replaced":
        effect = _find("effect", texts, own_kind)
        if not effect:
            return []
        article = _article(effect[0].section_id)
        spans = [s for sid, heading, text in texts if sid == article or sid.startswith(article + ".")
                 for s in _matching(sid, heading, text, CLAUSES["replaced"])]
        return spans[:3]
    found = [s for sid, heading, text in texts for s in _matching(sid, heading, text, CLAUSES[clause])]
    if not found:
        return []
    own = [s for s in found if _kind_of(s, texts, clause) == fold(own_kind).lower()]
    chosen = own or found
    # The executors article comes last; the effect article is the first that says so.
    return [chosen[-1]] if clause == "executors" else [chosen[0]]


def _matching(section_id: str, heading: str, text: str, pattern: re.Pattern) -> list[ClauseSpan]:
    spans = _sentences(text)
    return [ClauseSpan(section_id, heading, start, end) for start, end in spans if pattern.search(text[start:end])]


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentences, a sentence a PDF's line breaks cut into blocks made whole again: "…
    thay thế Nghị quyết số" does not end where its line does."""
    out: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if out and not _ENDED.search(text[out[-1][0] : out[-1][1]]):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


_ENDED = re.compile(r"[.;:!?…)”\]]\s*$")


def _kind_of(span: ClauseSpan, texts: list[tuple[str, str, str]], clause: str) -> str:
    text = next(t for sid, _, t in texts if sid == span.section_id)
    match = CLAUSES[clause].search(text[span.start : span.end])
    kind = match.group("kind") if match and match.group("kind") else ""
    return fold(kind).lower()


def _article(section_id: str) -> str:
    """The article a clause sits in: "Điều 4" of "Điều 4.1"; the section itself otherwise."""
    parts = section_id.split(".")
    for n, part in enumerate(parts):
        if re.match(r"(?:Điều|ĐIỀU)\s+\d+", part):
            return ".".join(parts[: n + 1])
    return section_id

"""Documents a question names by kind and serial number ("Nghị quyết 57", "Quyết định số
435/QĐ-UBND", "Tờ trình 3367", "QĐ 844", "Đề án 06"), read in one place: the question's
scope (assistant/question.py) and the answer-type checks (assistant/answer_type.py) both
ask it, so "names a document by number" means one thing everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.vntext import fold

KIND_WORDS = {
    "nghi quyet": "nghị quyết", "quyet dinh": "quyết định", "nghi dinh": "nghị định", "thong tu": "thông tư",
    "ke hoach": "kế hoạch", "bao cao": "báo cáo", "to trinh": "tờ trình", "chi thi": "chỉ thị",
    "huong dan": "hướng dẫn", "cong van": "công văn", "chuong trinh": "chương trình", "ket luan": "kết luận",
    "thong bao": "thông báo", "de an": "đề án", "nq": "nghị quyết", "qd": "quyết định", "nd": "nghị định",
    "tt": "thông tư", "kh": "kế hoạch", "bc": "báo cáo",
}
NAMED_DOCUMENT = re.compile(
    r"\b(?P<kind>" + "|".join(sorted(KIND_WORDS, key=len, reverse=True)) + r")(?:\s+lien tich)?\s+(?:so\s+)?"
    # a serial, not a period ("báo cáo 6 tháng", "kế hoạch 5 năm") nor a year alone ("kế hoạch 2026")
    r"(?P<num>(?!(?:19|20)\d\d\b(?!\s*/))\d{1,5})(?!\s*(?:thang|nam|quy|ngay|tuan|dot)\b)"
    r"(?P<rest>(?:\s*/\s*[\w-]+)*)",
    re.IGNORECASE,
)
# A kind of document that is issued and cited, named without its number ("Quyết định thành
# lập Ban Chỉ đạo … ban hành ngày nào").
DOCUMENT_KIND = re.compile(r"\b(?:quyet dinh|nghi quyet|nghi dinh|thong tu|chi thi|cong van|to trinh|ket luan|thong bao)\b")


@dataclass(frozen=True)
class NamedDocument:
    kind: str          # "nghị quyết"
    number: str        # "57" — the document's serial number, as the question gives it
    code: str = ""     # "2025/NQ-HĐND" when the question gives more ("57/2025/NQ-HĐND")


@lru_cache(maxsize=512)
def _named(folded: str) -> tuple[NamedDocument, ...]:
    found = []
    for match in NAMED_DOCUMENT.finditer(folded):
        rest = re.sub(r"\s+", "", match.group("rest")).lstrip("/")
        found.append(NamedDocument(KIND_WORDS[match.group("kind").lower()], match.group("num").lstrip("0") or "0", rest))
    return tuple(found)


def named_documents(text: str) -> list[NamedDocument]:
    """The documents the text names by kind and serial number, in order."""
    return list(_named(fold(text).lower()))


def without_documents(text: str) -> str:
    """The text with the documents it names by kind and number blanked out."""
    folded = fold(text).lower()
    if len(folded) != len(text):      # folding kept one character per character
        return text
    out = list(text)
    for match in NAMED_DOCUMENT.finditer(folded):
        out[match.start():match.end()] = " " * (match.end() - match.start())
    return "".join(out)


# Words of a title that tell no document from another: the frame every title has.
_FRAME = frozenset("ve viec ban hanh cua va cac thuc hien quy dinh doi voi tren dia tinh thanh pho huyen xa nam giai "
                   "doan so ngay thang den tu theo trong cho nguoi la nhung mot".split())
# A kind of document spelled out (abbreviations name documents by number only).
_KIND_SPELLED = re.compile(r"\b(?:" + "|".join(sorted((k for k in KIND_WORDS if " " in k), key=len, reverse=True)) + r")\b")
# A document to be made is not one named: "các sở phải ban hành kế hoạch …", "xây dựng đề án …".
_TO_BE_MADE = re.compile(r"\b(?:ban hanh|xay dung|lap|trinh|soan thao|phe duyet|thong qua|trien khai)\s+(?:cac\s+)?\Z")
MIN_TITLE_WORDS = 3          # distinctive title words the question must give right after the kind
MIN_TITLE_SHARE = 0.3        # … and this share of the title's distinctive words


@dataclass(frozen=True)
class TitledDocument:
    doc_ids: tuple[str, ...]     # the indexed documents the question names by their title
    start: int                   # the span of the question that named them (folded offsets)
    end: int


# What a document issues or adopts, named in its title: "Quyết định ban hành Kế hoạch …",
# "Nghị quyết về việc thông qua Chương trình …", "Nghị quyết về Kế hoạch …".
_ISSUES = re.compile(r"\b(?:ban hanh|phe duyet|thong qua|ve viec|ve)\s+(" +
                     "|".join(sorted((k for k in KIND_WORDS if " " in k), key=len, reverse=True)) + r")\b")


def _own_kinds(folded_title: str) -> frozenset[str]:
    """The kinds a document is named by: its own (its title's first words) and those of
    what its title says it issues. A report's "… và Chương trình công tác 6 tháng cuối
    năm" is a part of the report, named as such, not a programme it issues."""
    own = {k for k in KIND_WORDS if " " in k and folded_title.startswith(k + " ")}
    return frozenset(own | set(_ISSUES.findall(folded_title)))


class TitleIndex:
    """The indexed documents' title words, read once per snapshot, with the documents
    each word is in: a question's kind is followed into the titles that hold its words."""

    def __init__(self, titles: dict[str, str]) -> None:
        self.words = {d: frozenset(re.findall(r"[a-z0-9]+", fold(t).lower())) for d, t in titles.items()}
        self.kinds = {d: _own_kinds(fold(t).lower()) for d, t in titles.items()}
        self.holding: dict[str, set[str]] = {}
        for doc_id, own in self.words.items():
            for word in own:
                self.holding.setdefault(word, set()).add(doc_id)

    def named(self, text: str) -> TitledDocument | None:
        """The indexed documents `text` names by kind and title, without a number:
        "Kế hoạch cải cách hành chính 2026 - 2030 của tỉnh Lâm Đồng …" names the plan
        whose title is "Kế hoạch cải cách hành chính nhà nước giai đoạn 2026 - 2030 của
        tỉnh Lâm Đồng". The words right after the kind must be the title's, at least
        MIN_TITLE_WORDS of its distinctive ones and MIN_TITLE_SHARE of them: "được quyết
        định công nhận là địa bàn …" names no decision "về việc công nhận xã, phường miền
        núi". The titles that keep the most of the words named are the ones named."""
        folded = fold(text).lower()
        if len(folded) != len(text) or named_documents(text):
            return None           # a number names the document, or the document is not indexed
        words = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[a-z0-9]+", folded)]
        best: tuple[int, tuple[str, ...], int, int] | None = None
        for kind in _KIND_SPELLED.finditer(folded):
            if _TO_BE_MADE.search(folded, 0, kind.start()):
                continue          # "… phải ban hành kế hoạch cải cách hành chính …": their own, to be made
            after = [w for w in words if w[0] >= kind.end()]
            # the run of title words must hold MIN_TITLE_WORDS distinctive ones: the first
            # of them after the kind are in every title it can name
            first = list(dict.fromkeys(w[2] for w in after if w[2] not in _FRAME))[:MIN_TITLE_WORDS]
            if len(first) < MIN_TITLE_WORDS:
                continue
            candidates = set.intersection(*(self.holding.get(k, set()) for k in [*kind.group(0).split(), *first]))
            for doc_id in candidates:
                if kind.group(0) not in self.kinds[doc_id]:
                    continue
                own = self.words[doc_id]
                run = []
                for w in after:
                    if w[2] not in own:
                        break
                    run.append(w)
                named = {w[2] for w in run} - _FRAME
                if len(named) < MIN_TITLE_WORDS or len(named) < MIN_TITLE_SHARE * len(own - _FRAME):
                    continue
                end = run[-1][1]
                if best is None or len(named) > best[0]:
                    best = (len(named), (doc_id,), kind.start(), end)
                elif len(named) == best[0]:
                    best = (best[0], best[1] + (doc_id,), min(best[2], kind.start()), max(best[3], end))
        return TitledDocument(tuple(sorted(best[1])), best[2], best[3]) if best else None

    def unnumbered(self, text: str, kind: str, candidates: set[str]) -> tuple[str, ...]:
        """Of `candidates` (documents of `kind` whose copy prints no number), those `text`
        names by their title's words, in any order: "Nghị quyết 110/2017/NQ-HĐND của HĐND
        tỉnh Đồng Tháp về phương án điều chỉnh kế hoạch vốn đầu tư phát triển năm 2017 …"
        names the resolution whose gazette copy lost its number line. Half of the title's
        distinctive words, and MIN_TITLE_WORDS at least, must be the question's."""
        said = set(re.findall(r"[a-z0-9]+", fold(text).lower()))
        kind = fold(kind).lower()
        named = []
        for doc_id in candidates:
            own = self.words.get(doc_id, frozenset()) - _FRAME
            if kind not in self.kinds.get(doc_id, ()) or not own:
                continue
            shared = len(own & said)
            if shared >= MIN_TITLE_WORDS and shared >= 0.5 * len(own):
                named.append(doc_id)
        return tuple(sorted(named))


# The session of the council that passed a resolution ("HĐND tỉnh Hà Giang khóa XVII, kỳ
# họp thứ Năm", "nhiệm kỳ 2016 - 2021", "phiên họp thứ 47"): it says which document, as
# a number would, not what is asked of it.
_SESSION = re.compile(
    r"\b(?:(?:hdnd|hoi dong nhan dan)\s+(?:tinh|thanh pho|huyen|quan|thi xa)(?:\s+[a-z]+){0,3}?\s+)?"
    r"khoa\s+[ivxl]+\b"
    r"|\b(?:ky|phien)\s+hop\s+(?:thu\s+)?(?:\d{1,2}|nhat|hai|ba|tu|nam|sau|bay|tam|chin|muoi|chuyen de)\b"
    r"(?:\s+(?:hdnd|hoi dong nhan dan)\s+(?:tinh|thanh pho|huyen|quan|thi xa)(?:\s+[a-z]+){0,3}?(?=\s+khoa\b))?"
    r"|\bnhiem\s+ky\s+(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d\b")


def session_phrases(text: str) -> list[str]:
    """The folded phrases of `text` that name a council's session."""
    return [m.group(0) for m in _SESSION.finditer(fold(text).lower())]

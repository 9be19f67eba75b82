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

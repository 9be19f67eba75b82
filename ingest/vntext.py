"""Vietnamese text primitives shared by the parser, the lexical index and the answerer.

Vietnamese writes one syllable per space-separated token, so syllables are the unit of
matching. Citizens often type without diacritics, so every token also has a folded form
(diacritics stripped, đ -> d). Figures, dates and document codes ("7,76%", "14/6/2024",
"02/NQ-HĐND") are kept as single tokens so that a figure matches only itself.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Document codes, dates and numbers first, so the alternation keeps them whole.
_TOKEN_RE = re.compile(
    r"""
    \d+(?:[.,/]\d+)*(?:[-/][0-9A-Za-zÀ-ỹĐđ]+)*%?   # 7,76% 14/6/2024 2.346 02/NQ-HĐND 17-CTr/TU
    | [^\W\d_]+(?:[-/][0-9A-Za-zÀ-ỹĐđ]+)+           # NQ-CP, CTr/TU when they stand alone
    | [^\W\d_]+                                      # a syllable
    """,
    re.VERBOSE,
)

_CONSONANT_CLUSTER = re.compile(r"^(?:ch|gh|gi|kh|ng|ngh|nh|ph|qu|th|tr|[bcdđghklmnpqrstvx])$")
_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


class _FoldTable(dict):
    """Each character's folded form, worked out once: its canonical decomposition without
    the combining marks ("ệ" -> "e"); a combining mark itself (text in NFD) is dropped."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        if unicodedata.category(char) == "Mn":
            folded = None
        elif char in "đĐ":
            folded = "d" if char == "đ" else "D"
        else:
            folded = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Strip Vietnamese diacritics: 'Tỷ lệ đạt' -> 'Ty le dat'. (str.translate with a
    per-character table: this runs on every token of every candidate passage.)"""
    return text if text.isascii() else text.translate(_FOLD)


def has_diacritics(text: str) -> bool:
    return fold(text) != text


# New-style tone placement ("hoà", "thuỷ") -> old style ("hòa", "thủy"), both current.
_TONE_MOVES = {
    f"{v}{t}": f"{m}{v2}"
    for v, marks, v2 in (("o", "àáảãạ", "a"), ("o", "èéẻẽẹ", "e"), ("u", "ỳýỷỹỵ", "y"))
    for t, m in zip(marks, ({"a": "òóỏõọ", "e": "òóỏõọ", "y": "ùúủũụ"}[v2]))
}


@lru_cache(maxsize=65536)
def canonical_syllable(token: str) -> str:
    """Merge spelling variants that Vietnamese writers use interchangeably.

    'tỷ'/'tỉ', 'lý'/'lí', 'kỹ'/'kĩ': a final y or i after a bare consonant is the same
    sound and both spellings are official; without this, 'tỷ lệ' misses 'tỉ lệ'.
    'hoà'/'hòa', 'thuỷ'/'thủy': the tone mark sits on either vowel of a final pair.
    """
    if len(token) >= 2 and token[-1] in "yýỳỷỹỵ" and _CONSONANT_CLUSTER.match(token[:-1]):
        return token[:-1] + token[-1].translate(_Y_TO_I)
    tail = token[-2:]
    if tail in _TONE_MOVES and not token[:-2].endswith("q"):
        return token[:-2] + _TONE_MOVES[tail]
    return token


def tokens(text: str) -> list[str]:
    """Lower-cased syllables and whole figures/codes, spelling variants merged."""
    out = []
    for match in _TOKEN_RE.finditer(unicodedata.normalize("NFC", text).lower()):
        tok = match.group(0)
        if tok.isalpha():
            out.append(canonical_syllable(tok))
            continue
        parts = _JOINED.split(tok) if tok[0].isalpha() else ()
        if parts and all(is_syllable(p) for p in parts):
            # "đồng/suất/lần", "người/khóa": words joined by a slash are words; a code
            # ("NQ-CP", "CTr/TU", "KT-XH") is no syllable and stays whole
            out.extend(canonical_syllable(p) for p in parts)
        else:
            out.append(tok)
    return out


_JOINED = re.compile(r"[-/]")


# Abbreviations of Vietnamese administration, written both ways in the same report
# ("HĐND tỉnh" / "Hội đồng nhân dân tỉnh"). Search terms carry both forms.
ABBREVIATIONS = {
    "ubnd": "ủy ban nhân dân", "hđnd": "hội đồng nhân dân", "mttq": "mặt trận tổ quốc",
    "ubmttq": "ủy ban mặt trận tổ quốc", "ubmttqvn": "ủy ban mặt trận tổ quốc việt nam",
    "đbqh": "đại biểu quốc hội", "tthc": "thủ tục hành chính", "kt-xh": "kinh tế - xã hội",
    "ktxh": "kinh tế xã hội", "ngtm": "nông thôn mới", "ntm": "nông thôn mới", "cđs": "chuyển đổi số",
    "ct": "chủ tịch", "pct": "phó chủ tịch", "tp": "thành phố", "tx": "thị xã", "bhyt": "bảo hiểm y tế",
    "bhxh": "bảo hiểm xã hội", "grdp": "tổng sản phẩm trên địa bàn",
}


# A date is written in figures ("01/7/2026", "tháng 6/2026") or in words ("ngày 01 tháng
# 7 năm 2026"): both read as one term, "1/7/2026" or "6/2026", so a question that
# types the one form finds the report that prints the other.
_NUMERIC_DATE = re.compile(r"(?:(\d{1,2})/)?(\d{1,2})/((?:19|20)\d\d)")
_WRITTEN_DATE = re.compile(r"(?:ngày\s+(\d{1,2})\s+)?tháng\s+(\d{1,2})\s+năm\s+((?:19|20)\d\d)\b")


def _date_term(day: str | None, month: str, year: str) -> str | None:
    d, m = int(day) if day else 0, int(month)
    if not 1 <= m <= 12 or day is not None and not 1 <= d <= 31:
        return None
    return f"{d}/{m}/{year}" if day else f"{m}/{year}"


def search_tokens(text: str) -> list[str]:
    """tokens() plus the long form of each abbreviation and one form of each date, for
    matching only."""
    out = tokens(text)
    for i, tok in enumerate(out):
        if "/" in tok and (date := _NUMERIC_DATE.fullmatch(tok)):
            out[i] = _date_term(*date.groups()) or tok
    extra = [ABBREVIATIONS[t] for t in out if t in ABBREVIATIONS]
    for long_form in extra:
        out.extend(tokens(long_form))
    lowered = unicodedata.normalize("NFC", text).lower()
    if "tháng" in lowered:
        out.extend(t for m in _WRITTEN_DATE.finditer(lowered) if (t := _date_term(*m.groups())))
    return out


def folded_tokens(text: str) -> list[str]:
    return [fold(t) for t in search_tokens(text)]


def with_bigrams(toks: list[str]) -> list[str]:
    """Unigrams plus adjacent pairs: most Vietnamese words are two syllables."""
    return toks + [f"{a}_{b}" for a, b in zip(toks, toks[1:])]


NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*%?")

# Vietnamese number words, so "kỳ họp thứ mười lăm" answers "thứ mấy".
NUMBER_WORDS = {
    "một", "hai", "ba", "bốn", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười",
    "mươi", "trăm", "nghìn", "ngàn", "triệu", "tỷ", "tỉ", "nửa", "lăm", "mốt",
}


def numbers_in(text: str) -> list[str]:
    """Figures as written; a trailing sentence dot is not part of the number."""
    return [m.group(0).rstrip(".,") for m in NUMBER_RE.finditer(text)]


# Sentence ends: . ! ? ; followed by space, or end of line. Abbreviations with a dot
# followed by a capital ("TP. Hồ Chí Minh") are rare in these reports and only cost a
# slightly shorter quote, so they are not special-cased beyond the common titles.
_ABBREVIATIONS = ("TP.", "Tp.", "TS.", "ThS.", "PGS.", "GS.", "BS.", "KS.", "v.v.", "TM.", "KT.", "TL.")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+|\n+")
_CLAUSE_END = re.compile(r"(?<=;)\s+")
# A line that goes on with the sentence above: it starts in lower case (not a label
# "a)", "b."), or with "...", ")", ",", ";". Sentences and list items start otherwise.
_CONTINUES = re.compile(r"\.\.\.|…|[),;]|[^\W\d_]+(?![).])")
_ENDED = re.compile(r"[.!?:;…]\W*$|^\s*\|")     # the line above ended its sentence, or is a table row
_LABEL_ONLY = re.compile(r"^\s*(?:[IVXLC]+|[A-ZĐ]|\d{1,2}(?:\.\d{1,2})*|[a-zđ]|Điều \d+|Chương [IVXLC\d]+)\.$")


def _continues(text: str, at: int) -> bool:
    match = _CONTINUES.match(text, at)
    return bool(match) and (not match.group(0)[0].isalpha() or match.group(0)[0].islower())


def sentence_spans(text: str, clauses: bool = False) -> list[tuple[int, int]]:
    """(start, end) offsets of sentences in text, whitespace trimmed, none empty.

    With clauses=True, sentences are further cut at ';', which separates the
    items of the long enumerations these reports are full of.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.start()]
        if "\n" in match.group(0) and _continues(text, match.end()) and not _ENDED.search(piece):
            continue          # a line a page break or a wrap cut: "... TTHC điện tử\n\n...), hoàn thành"
        if "\n" not in match.group(0):
            if any(piece.rstrip().endswith(a) for a in _ABBREVIATIONS):
                continue
            if _LABEL_ONLY.match(piece):
                continue      # "1. Về triển khai ...": a heading's label ends no sentence
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    if clauses:
        finer = []
        for s, e in spans:
            cut = s
            for match in _CLAUSE_END.finditer(text, s, e):
                finer.append((cut, match.start()))
                cut = match.end()
            finer.append((cut, e))
        spans = finer
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def slugify(text: str, max_len: int = 64) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")
    return slug[:max_len].strip("-")


def name_pairs(text: str) -> frozenset[str]:
    """Folded adjacent word pairs of a name ("Vân Khê" -> {"van_khe"}): how a report's
    title, place and issuer are matched against the names a question gives."""
    words = [fold(t) for t in tokens(text)]
    return frozenset(f"{a}_{b}" for a, b in zip(words, words[1:]))


# A Vietnamese syllable, folded: an onset, a vowel nucleus, a coda. A token that is not
# one ("bhyt", "ubnd", "cchc") is an acronym of syllables.
_SYLLABLE = re.compile(r"(?:ngh|ch|gh|gi|kh|ng|nh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]+(?:ch|ng|nh|[cmnpt])?")


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def is_syllable(token: str) -> bool:
    """Could the token be one Vietnamese syllable (an onset, a nucleus, a coda, one tone)?"""
    if not token.isalpha() or sum(c in _TONES for c in unicodedata.normalize("NFD", token)) > 1:
        return False
    return bool(_SYLLABLE.fullmatch(fold(token).lower()))


def is_acronym(token: str) -> bool:
    token = fold(token).lower()
    return 2 <= len(token) <= 8 and token.isalpha() and not _SYLLABLE.fullmatch(token)


def spells(acronym: str, text: str) -> bool:
    """Do consecutive words of text have the acronym's letters as initials
    ("bhyt" in "thẻ bảo hiểm y tế")?"""
    letters = fold(acronym).lower()
    initials = "".join(fold(w)[0].lower() for w in re.findall(r"\w+", text))
    return len(letters) >= 3 and letters in initials     # two letters would match by chance

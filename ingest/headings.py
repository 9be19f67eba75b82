"""Recognising heading labels at the start of a line, and their ordinals.

Vietnamese administrative documents number their parts with a handful of styles
(A., I., 1., 1.2., (1), 1), a), PHẦN THỨ NHẤT, Chương I, Mục 1, Điều 5). Which style
sits at which depth varies between documents, so this module only says what a label
*looks like*; the section parser decides the depth from the order styles appear in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
# One order for Vietnamese lettering (a, b, c, d, đ, e, g: no f, j, w, z) and Latin
# (a..f): đ sits between d and e, and a skipped letter is tolerated by the parser.
LETTERS = "abcdđefghijklmnopqrstuvwxyz"
ORDINAL_WORDS = {
    "nhất": 1, "i": 1, "một": 1, "hai": 2, "ii": 2, "ba": 3, "iii": 3, "tư": 4, "bốn": 4, "iv": 4,
    "năm": 5, "v": 5, "sáu": 6, "vi": 6, "bảy": 7, "vii": 7, "tám": 8, "viii": 8, "chín": 9,
    "ix": 9, "mười": 10, "x": 10,
}

_BULLET = re.compile(r"^\s*[-+•*–—●○▪]\s+")
# Each pattern: the label, the separator after it, the title. A title may be empty
# ("Điều 1." or "1." on a line of its own, the title on the next line, as crawled text
# and some Word files print them); the parser accepts such a bare label only where it
# continues its sequence.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("phan", re.compile(r"^(?P<label>(?:PHẦN|Phần)\s+(?:THỨ|Thứ|thứ)\s+\w+|(?:PHẦN|Phần)\s+(?:[IVXLC]+|\d+))(?P<sep>[.:\-–]?)(?:\s+(?P<title>.*))?$")),
    ("chuong", re.compile(r"^(?P<label>(?:CHƯƠNG|Chương)\s+(?:[IVXLC]+|\d+))(?P<sep>[.:\-–]?)(?:\s+(?P<title>.*))?$")),
    ("muc", re.compile(r"^(?P<label>(?:MỤC|Mục)\s+(?:[IVXLC]+|\d+))(?P<sep>[.:\-–]?)(?:\s+(?P<title>.*))?$")),
    ("chuyende", re.compile(r"^(?P<label>(?:CHUYÊN ĐỀ|Chuyên đề)\s+\d{1,2})(?P<sep>[.:\-–]?)(?:\s+(?P<title>.*))?$")),
    ("bieu", re.compile(r"^(?P<label>(?:BIỂU|Biểu)\s+(?:MẪU|mẫu|SỐ|số)\s*\d{1,2}[a-z]?|(?:MẪU|Mẫu)\s+(?:SỐ|số)\s*\d{1,2}[a-z]?)(?P<sep>[.:\-–]?)(?:\s+(?P<title>.*))?$")),
    ("dieu", re.compile(r"^(?P<label>Điều\s+\d{1,3}[a-z]?)(?P<sep>[.:])(?:\s+(?P<title>.*))?$")),
    ("roman", re.compile(r"^(?P<label>[IVXLC]{1,6})(?P<sep>\.|\s?[-–])(?:\s+(?P<title>\S.*))?$")),
    ("part", re.compile(r"^(?P<label>[A-HK-UĐ])(?P<sep>\.)(?:\s+(?P<title>\S.*))?$")),
    ("decimal", re.compile(r"^(?P<label>\d{1,2}(?:\.\d{1,2})+)(?P<sep>\.?)(?:\s+(?P<title>\S.*))?$")),
    ("number", re.compile(r"^(?P<label>\d{1,2})(?P<sep>\.|\s?[-–](?=\s))(?:\s+(?P<title>\S.*))?$")),
    ("bare", re.compile(r"^(?P<label>\d{1,2})(?P<sep>)(?P<title>)$")),
    # "1.Các sở, ban, ngành ...": a crawl lost the space; a capital must follow
    ("tight", re.compile(r"^(?P<label>\d{1,2})(?P<sep>\.)(?P<title>[^\W\d_].*)$")),
    ("bracket", re.compile(r"^(?P<label>\(\d{1,2}\))(?P<sep>)\s*(?P<title>\S.*)$")),
    ("paren", re.compile(r"^(?P<label>\d{1,2}\))(?P<sep>)\s+(?P<title>\S.*)$")),
    ("letter", re.compile(r"^(?P<label>[a-zđ]\))(?P<sep>)(?:\s+(?P<title>\S.*))?$")),
    ("letterdot", re.compile(r"^(?P<label>[a-zđ])(?P<sep>\.)\s+(?P<title>\S.*)$")),
    # "2.1.a. Thành lập Ban Chỉ đạo …": a point printed after its clause's number, which
    # the clause's own heading ("2.1. Công tác chuẩn bị") already gives
    ("letterdot", re.compile(r"^\d{1,2}(?:\.\d{1,2})+\.(?P<label>[a-zđ])(?P<sep>\.)\s+(?P<title>\S.*)$")),
]


@dataclass(frozen=True)
class Label:
    style: str          # "part", "roman", "number", "decimal2", "bracket", "letter", ...
    label: str          # as printed, without the trailing dot: "A", "IV", "(1)", "a)", "1.2"
    ordinal: int        # position in its sequence, 1-based
    title: str          # the rest of the line after the label
    alternatives: tuple["Label", ...] = ()   # other readings of an ambiguous label ("C." part or roman)

    @property
    def bare(self) -> bool:
        """The label alone on its line ("1.", "Điều 1."): its title is the next line."""
        return not self.title

    @property
    def id_part(self) -> str:
        """What the label adds to a section id: "1.2" under "1" adds "2" (contract)."""
        return self.label.rsplit(".", 1)[-1] if self.style.startswith("decimal") else self.label


def is_bullet(line: str) -> bool:
    return bool(_BULLET.match(line))


def roman_to_int(text: str) -> int | None:
    text = text.upper()
    if not text or any(ch not in ROMAN_VALUES for ch in text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = ROMAN_VALUES[ch]
        total += -value if i + 1 < len(text) and ROMAN_VALUES[text[i + 1]] > value else value
    return total if _int_to_roman(total) == text else None


def _int_to_roman(n: int) -> str:
    pairs = [(100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, sym in pairs:
        while n >= value:
            out += sym
            n -= value
    return out


def _letter_ordinal(letter: str) -> int:
    return LETTERS.index(letter.lower()) + 1


def _word_ordinal(label: str) -> int | None:
    last = label.split()[-1]
    if last.isdigit():
        return int(last)
    roman = roman_to_int(last)
    if roman:
        return roman
    return ORDINAL_WORDS.get(last.lower())


def parse_label(line: str) -> Label | None:
    """The heading label a line starts with, or None. Bullets are never labels."""
    line = line.strip()
    if not line or is_bullet(line):
        return None
    readings: list[Label] = []
    for style, pattern in _PATTERNS:
        match = pattern.match(line)
        if not match:
            continue
        label = match.group("label")
        title = (match.group("title") or "").strip()
        if style == "part" and match.group("sep") != "." :
            continue
        if style == "tight":
            if not title[:1].isupper():
                continue
            style = "number"
        ordinal: int | None
        if style in ("phan", "chuong", "muc", "dieu", "chuyende", "bieu"):
            ordinal = _word_ordinal(label)
            label = re.sub(r"\s+", " ", label)
        elif style == "roman":
            ordinal = roman_to_int(label)
        elif style == "part":
            ordinal = _letter_ordinal(label)
        elif style == "decimal":
            if not title and not match.group("sep"):
                continue        # "1.1" alone is a table's row number; a bare heading prints "1.1."
            parts = label.split(".")
            style = f"decimal{len(parts)}"
            ordinal = int(parts[-1])
        elif style in ("number", "bracket", "paren", "bare", "tight"):
            ordinal = int(label.strip("()"))
            style = "number" if style == "bare" else style     # "1" alone: khoản 1 of a crawl
        else:
            ordinal = _letter_ordinal(label[0])
        if ordinal is None or ordinal < 1:
            continue
        readings.append(Label(style, label, ordinal, title))
    # A single capital like "C." or "D." reads as a part letter; "I.", "V.", "X.", "C."
    # also read as Roman numerals. Keep both readings and let the parser pick by context.
    if not readings:
        return None
    first = readings[0]
    if first.style == "roman" and len(first.label) == 1 and not any(r.style == "part" for r in readings):
        readings.append(Label("part", first.label, _letter_ordinal(first.label), first.title))
    rest = tuple(readings[1:])
    return Label(first.style, first.label, first.ordinal, first.title, rest)


def looks_like_heading(line: str) -> bool:
    """Cheap test used while mending page breaks: could this line open a section?"""
    return parse_label(line) is not None

"""Cleaning report text before parsing: Unicode, look-alikes, whitespace, page breaks.

The output is a list of *blocks*: one per paragraph, heading, bullet or table row, with
paragraphs that a page break (or a PDF line wrap) cut in two joined back together.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ingest.furniture import strip_furniture, strip_markers
from ingest.headings import is_bullet, looks_like_heading
from ingest.vntext import is_syllable

# Characters that render like a Vietnamese letter but are not one. Mixed-script text
# from OCR or copy-paste breaks exact matching of quotes and keywords.
_LOOKALIKES = str.maketrans(
    {
        "Ð": "Đ", "ð": "đ", "Ɖ": "Đ", "ɖ": "đ",
        # Cyrillic letters that are pixel-identical to Latin ones
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "Х": "X", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c",
        "у": "y", "х": "x", "і": "i", "І": "I",
        # Typographic spaces and invisible marks
        "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
        "\u3000": " ", "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None,
        "\ufeff": None, "\u00ad": None,
        "\t": " ",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ ]{2,}")
# Old-style and new-style tone placement ("hoà" / "hòa") are both current; reports mix
# them, and an exact quote must match what the user sees, so we keep the document's
# own spelling and only merge the two in the search tokens (see vntext.fold).
_SENTENCE_END = (".", "!", "?", "…", ":", ";", "./.", "”", '"', ")")


@dataclass
class Block:
    """One paragraph, heading, bullet or table row, as the parser sees it.

    Text files are cut into blocks by `to_blocks`; a .docx or .pdf reader knows its
    paragraphs and tables and hands blocks over directly, with what the layout says.
    """

    text: str
    table: bool = False      # a table row, "| cell | cell |": never a heading
    strong: bool = False     # bold throughout, or a heading style, in the source


_TRAILING = ",.;:)"
_LABEL_BEFORE = {"điểm", "khoản", "mục", "tiết", "và", "hoặc", "hay"}


def _mended_cost(parts: list[str]) -> float | None:
    """The cost of reading `parts` as one syllable, None when they are not one: joining
    a whole syllable onto its neighbours ("HỒ" + "C" + "H") costs more than joining
    stray letters ("C" + "H" + "Í")."""
    word = "".join(parts[:-1]) + parts[-1].rstrip(_TRAILING)
    if any(not p.isalpha() for p in parts[:-1]) or not is_syllable(word) \
            or not (word.isupper() or word[1:].islower()):
        return None
    return 0.1 * (len(parts) - 1) + sum(0.3 for p in parts if len(p) > 1 and is_syllable(p))


def mend_split_letters(line: str) -> str:
    """A text layer that spaced out a word's letters ("ỦY B AN NHÂN D Â N T HÀNH P HỐ
    HỒ C H Í M I NH") joined back into syllables: the reading of the line with the fewest
    tokens that are no Vietnamese syllable, then the fewest joins. A line with fewer
    than two such tokens is left as it is ("thương binh loại B")."""
    words = line.split(" ")
    cores = [w.rstrip(_TRAILING) for w in words]
    unread = [c.isalpha() and not is_syllable(c) for c in cores]    # ("".isalpha() is False)
    if sum(unread) < 2:
        return line       # nearly every line: nothing spaced out
    # "điểm a, b và c", "tại điểm c ở trên": a lone letter after these is a point's label
    label = [len(c) == 1 and i > 0 and (words[i - 1].lower() in _LABEL_BEFORE or (
        len(words[i - 1]) == 2 and words[i - 1].endswith(","))) for i, c in enumerate(cores)]
    stray = [u and not lab for u, lab in zip(unread, label)]
    if sum(stray) < 2:
        return line
    n = len(words)
    best: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)     # (cost, start of the last piece)
    for end in range(1, n + 1):
        options = [(best[end - 1][0] + (1.0 if stray[end - 1] else 0.0), end - 1)]
        for start in range(max(0, end - 4), end - 1):
            joined = None if any(label[start:end]) else _mended_cost(words[start:end])
            if joined is not None:
                options.append((best[start][0] + joined, start))
        best[end] = min(options)
    pieces, end = [], n
    while end > 0:
        start = best[end][1]
        pieces.append("".join(words[start:end]))
        end = start
    return " ".join(reversed(pieces))


def clean_text(text: str) -> str:
    """NFC, look-alikes, control characters and spaces; line structure kept."""
    # A form feed (a page break in pdftotext's output) is a paragraph break.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.replace("\f", "\n\n")
    text = unicodedata.normalize("NFC", text.translate(_LOOKALIKES))
    text = _CONTROL.sub("", text)
    lines = [mend_split_letters(_SPACES.sub(" ", line).strip()) for line in text.split("\n")]
    return "\n".join(lines)


# A heading keyword alone on its line never ends a paragraph: its number follows.
_LONE_KEYWORD = re.compile(r"^(?:Điều|Chương|Mục|Phần|Khoản|Phụ lục|ĐIỀU|CHƯƠNG|MỤC|PHẦN|PHỤ LỤC)$")
_NUMBER_START = re.compile(r"^(?:\d{1,3}|[IVXLC]{1,6})\b")


def _starts_lower(line: str) -> bool:
    first = line[:1]
    return first.isalpha() and first.islower()


def _continues(previous: str, last_line: str, line: str, blank_between: bool, wrap_width: int | None) -> bool:
    """Is `line` the rest of the paragraph `previous`, cut by a page break or wrap?"""
    if _LONE_KEYWORD.match(previous) and _NUMBER_START.match(line):
        return True      # "Điều" / "1. Thống nhất thông qua ...": the article's label, wrapped
    if looks_like_heading(line) or is_bullet(line) or line.startswith("|"):
        return False
    if previous.startswith("|"):
        return False
    tail = previous.rstrip()
    if _starts_lower(line):
        # A lower-case start never opens a paragraph in these documents.
        return not tail.endswith((".", "!", "?", "…"))
    if tail.endswith(","):
        return True
    if not blank_between and previous.count("“") > previous.count("”"):
        return True      # 'Thay thế cụm từ “tỉnh Thừa' / 'Thiên Huế” bằng ...': inside a quotation
    if tail.endswith(_SENTENCE_END):
        return False
    heading_title = looks_like_heading(previous) and len(previous) < 80
    # "... đứng thứ" / "02 vùng Đông Nam Bộ": a sentence cut just before a figure or a
    # bracket, which no new paragraph would start with after an unfinished word. A
    # short heading ("I. Kết quả") is complete without punctuation, a long numbered
    # paragraph ("(1) Tốc độ ... đứng thứ") is not.
    if (line[:1].isdigit() or line.startswith("(")) and tail[-1:].isalpha() and not heading_title:
        return True
    if looks_like_heading(previous) and previous == last_line:
        return False
    # A numbered paragraph already wrapped onto a second line runs on like prose
    # ("Điều 2. Việc xác định xã, / phường ... bầu cử đại biểu / Quốc hội khóa XVI ..."):
    # a line may open with a capital mid-sentence, since Vietnamese capitalises its
    # bodies and documents ("Quốc hội", "Chỉ thị số 52"). A heading on a line of its own
    # ends there.
    # Hard-wrapped prose (PDF text layers) fills lines to about the same width; a line
    # well short of it (a title, a header) ends its paragraph.
    return not blank_between and wrap_width is not None and len(last_line) >= 0.85 * wrap_width


def _wrap_width(lines: list[str]) -> int | None:
    """The line width of hard-wrapped text, or None when paragraphs are single lines."""
    lengths = [len(x) for x, nxt in zip(lines, lines[1:]) if x and nxt]
    nonempty = [len(x) for x in lines if x]
    if not nonempty or len(lengths) < 0.3 * len(nonempty):
        return None
    nonempty.sort()
    width = nonempty[int(0.8 * (len(nonempty) - 1))]
    return width if width >= 50 else None      # header and signature lines are not prose


def to_blocks(text: str) -> list[str]:
    """Cleaned text -> blocks (paragraphs, headings, bullets, table rows), mended."""
    lines = strip_furniture(clean_text(text).split("\n"))
    wrap_width = _wrap_width(lines)
    blocks: list[str] = []
    blank_between = True
    last_line = ""
    for line in lines:
        if not line:
            blank_between = True
            continue
        if blocks and _continues(blocks[-1], last_line, line, blank_between, wrap_width):
            blocks[-1] = f"{blocks[-1]} {line}"
        else:
            blocks.append(line)
        blank_between = False
        last_line = line
    return blocks


def clean_block(text: str) -> str:
    """A block handed over by a reader: cleaned like text, on one line."""
    return strip_markers(" ".join(line for line in clean_text(text).split("\n") if line))


def text_blocks(text: str) -> list[Block]:
    return [Block(b, table=b.startswith("|")) for b in to_blocks(text)]

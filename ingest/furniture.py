"""Page furniture: what a printed page carries that is not the document's text.

Gazette running headers ("CÔNG BÁO/Số 286/Ngày 27-05-2026" with the page number on
either side), page numbers, a header or footer repeated on every page, digital-signature
stamps ("Ký bởi: … / Cơ quan: … / Ngày ký: …") and Word field codes left in a text
stream. They are removed line by line before paragraphs are mended, so a paragraph cut
by a page break joins up again and no answer quotes a stamp. Only whole lines that match
go: a body line is never shortened.
"""

from __future__ import annotations

import re
from collections import Counter

from ingest.headings import looks_like_heading

# Running headers of the official gazette, with the page number before or after.
_RUNNING_HEADERS = (
    re.compile(r"^(?:\d{1,4}\s+)?CÔNG BÁO\s*/\s*Số\s*[\d\s+]+/\s*Ngày\s*[\d\s/.-]+?(?:\s+\d{1,4})?$", re.IGNORECASE),
)
# "- 2 -", "Trang 2", "Trang 2/15", "2/15", and a number alone.
_PAGE_NUMBER = re.compile(r"^(?:[-–]\s*\d{1,4}\s*[-–]|(?:Trang|trang)\s+\d{1,4}(?:\s*/\s*\d{1,4})?|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})$")
_BARE_NUMBER = re.compile(r"^\d{1,4}$")
# An e-signature stamp opens with who signed, then says where and when.
# (OCR of a stamp may put its lines in another order, with a speck before one: "Ÿ Ngày ký:".)
_STAMP_OPEN = re.compile(r"^\W{0,2}\s*(?:Ký bởi|Người ký|Signed by)\s*:", re.IGNORECASE)
_STAMP_FIELD = re.compile(r"^\W{0,2}\s*(?:Cơ quan|Email|E-mail|Ngày ký|Thời gian ký|Chức vụ|Ngày giờ ký|Date)\s*:",
                          re.IGNORECASE)
# Word field codes in a .doc text stream ("PAGE \* MERGEFORMAT", "HYPERLINK ...").
_FIELD_CODE = re.compile(r"^(?:PAGE|NUMPAGES|SECTIONPAGES)\s*(?:\\\*\s*\w+\s*)*$|^\s*\\\*\s*MERGEFORMAT\s*$")
_CLAUSE_END = (".", ":", ";", "!", "?", "…", ")", "”", '"')
# A footnote marker glued to the word it annotates: "Chất lượng môi trường[1] lên 10 bậc".
_FOOTNOTE_MARK = re.compile(r"(?<=[^\s\[(])\[\d{1,3}\](?=[\s.,;:)”\"]|$)")


def _mask(line: str) -> str:
    return re.sub(r"\d+", "#", line)


def is_running_header(line: str) -> bool:
    return any(p.match(line) for p in _RUNNING_HEADERS)


def _page_break_near(lines: list[str], i: int) -> bool:
    """A page's edge: a blank line, a form feed or a running header within two lines."""
    for j in (i - 2, i - 1, i + 1, i + 2):
        if j < 0 or j >= len(lines):
            return True
        if not lines[j].strip() or "\f" in lines[j] or is_running_header(lines[j].strip()):
            return True
    return False


def _mid_paragraph(lines: list[str], i: int) -> bool:
    """A number alone between the two halves of a cut paragraph."""
    before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
    after = next((lines[j].strip() for j in range(i + 1, len(lines)) if lines[j].strip()), "")
    starts_lower = after[:1].isalpha() and after[:1].islower()
    return bool(before) and not before.endswith(_CLAUSE_END) and starts_lower


def strip_markers(line: str) -> str:
    """The line without footnote markers; the note's own text stays where it is."""
    return _FOOTNOTE_MARK.sub("", line) if "[" in line else line


# The sentence a line may open with: up to its first full stop, at most this long.
_PREFIX = re.compile(r"^([^.!?\n]{6,90}\.)\s+(?=\S)")


def _strip_repeated_prefixes(lines: list[str]) -> list[str]:
    """A crawl that stored a page in chunks glued the page title (and the part's title)
    to the start of each chunk: "Quyết định 435/QĐ-UBND năm 2020. Điều 1.". A sentence
    that opens three or more lines is such a breadcrumb: it is kept where it first
    appears (the title itself) and cut from the lines it was glued to later."""
    for _ in range(3):                  # a second breadcrumb may sit under the first
        counts = Counter()
        for line in lines:
            match = _PREFIX.match(line.strip())
            if match and not looks_like_heading(match.group(1)) and not line.lstrip().startswith(("-", "+", "|")):
                counts[match.group(1)] += 1
        repeated = {p for p, n in counts.items() if n >= 3}
        if not repeated:
            return lines
        seen: set[str] = set()
        out = []
        for line in lines:
            stripped = line.strip()
            match = _PREFIX.match(stripped)
            prefix = match.group(1) if match else None
            if prefix in repeated:
                if prefix in seen:
                    line = stripped[match.end():]
                seen.add(prefix)
            out.append(line)
        lines = out
    return lines


def strip_furniture(lines: list[str]) -> list[str]:
    """Lines (already cleaned, one per printed line) without the page furniture.

    A number alone is a page number at a page's edge or in the middle of a cut
    paragraph; elsewhere ("Tổ chức thực hiện:" / "1" / "- Thời gian ...") it may be a
    crawl's bare khoản label and is kept for the parser to judge.
    """
    lines = _strip_repeated_prefixes(lines)
    stripped = [line.strip() for line in lines]
    drop = [False] * len(lines)
    repeated = Counter(_mask(s) for s in stripped if s and len(s) <= 100)
    pages = sum(1 for s in stripped if is_running_header(s)) + sum("\f" in line for line in lines)
    i = 0
    while i < len(lines):
        s = stripped[i]
        if not s:
            i += 1
            continue
        if is_running_header(s) or _FIELD_CODE.match(s):
            drop[i] = True
        elif _PAGE_NUMBER.match(s):
            if not _BARE_NUMBER.match(s) or _page_break_near(lines, i) or _mid_paragraph(lines, i):
                drop[i] = True
        elif _STAMP_OPEN.match(s) or _STAMP_FIELD.match(s):
            # a run of stamp lines ("Ký bởi: …", "Cơ quan: …", "Ngày ký: …"), blank lines
            # between them allowed, that says who signed: an e-signature stamp
            j, run, opened = i, [], False
            while j < len(lines) and (not stripped[j] or _STAMP_OPEN.match(stripped[j]) or _STAMP_FIELD.match(stripped[j])):
                if stripped[j]:
                    run.append(j)
                    opened = opened or bool(_STAMP_OPEN.match(stripped[j]))
                j += 1
            if opened and len(run) >= 2:
                for k in run:
                    drop[k] = True
                i = j
                continue
        elif pages >= 3 and repeated[_mask(s)] >= max(3, pages // 2) and re.search(r"\d", s) \
                and _page_break_near(lines, i) and not looks_like_heading(s):
            drop[i] = True       # a running header or footer of this document's own
        i += 1
    return [strip_markers(line) for line, gone in zip(lines, drop) if not gone]

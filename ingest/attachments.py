"""Documents attached after the main text: a plan, programme, regulation, appendix.

A decision "ban hành kèm theo" a plan prints, after its signature block, the plan
itself: often a letterhead again, a title line (KẾ HOẠCH …, CHƯƠNG TRÌNH …, PHỤ LỤC …)
and "(Kèm theo Quyết định số …)". Each attachment is parsed as a tree of its own whose
ids start with its label (../shared/CONTRACT.md): `Phụ lục` with its number as printed,
else the kind its title names with an initial capital.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PHU_LUC = re.compile(r"^(?:PHỤ LỤC|Phụ lục|PHỤ LUC)(?:\s+(?:SỐ|số|Số)?\s*(?P<num>[IVXLC]+|\d{1,3}[a-z]?)(?![\w/]))?")
_KINDS = ("KẾ HOẠCH", "CHƯƠNG TRÌNH", "QUY CHẾ", "QUY ĐỊNH", "ĐỀ ÁN", "HƯỚNG DẪN", "ĐIỀU LỆ", "QUY TRÌNH",
          "DANH MỤC", "DANH SÁCH", "PHƯƠNG ÁN")
_KIND = re.compile(r"^(?P<kind>" + "|".join(_KINDS) + r")\b")
_BIEU = re.compile(r"^(?P<label>(?:BIỂU|Biểu)\s+(?:MẪU|mẫu|SỐ|số)|(?:MẪU|Mẫu)\s+(?:SỐ|số))\s*(?P<num>\d{1,3}[a-z]?)\b")
# "(Kèm theo Quyết định số …)", "(Ban hành kèm theo …)", "Kèm theo Kế hoạch …".
ANNEXED = re.compile(r"^[(\[]?\s*(?:Ban hành\s+|ban hành\s+)?(?:[Kk]èm theo|KÈM THEO)\b")
_ANNEXED_INSIDE = re.compile(r"[(\[]\s*(?:Ban hành\s+|ban hành\s+)?(?:[Kk]èm theo|KÈM THEO)\b")
_LETTERHEAD = re.compile(
    r"^(?:CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập\s*[-–]\s*Tự do|"
    r"ĐẢNG CỘNG SẢN VIỆT NAM|Số\s*:|[_\-–=*.]{3,}$)"
)
_DATE_LINE = re.compile(r"^[^,]{2,40},\s*ngày\b.{0,20}tháng", re.IGNORECASE)
_RECIPIENTS = re.compile(r"^(?:Nơi nhận|Nơi gửi|NƠI NHẬN)\s*:")
# "TM. ỦY BAN NHÂN DÂN", "KT.CHỦ TỊCH", "T/M BAN THƯỜNG VỤ": on behalf of, in capitals.
_ON_BEHALF = re.compile(r"^(?:TM|T\.M|KT|K\.T|TL|T\.L|TUQ|Q)\.\s*(\w)|^T/M\s+(\w)")
# In a crawl the title can follow the signer's name on the same line:
# "BỘ TRƯỞNG Đặng Quốc Khánh CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA NGÀNH …".
_GLUE_POINT = re.compile(r"(?<=[a-zà-ỹđ])\s+(?=(?:" + "|".join(_KINDS) + r"|PHỤ LỤC)\b)")


@dataclass(frozen=True)
class Title:
    label: str        # "Phụ lục I", "Kế hoạch", "Biểu số 1"
    kind: str         # "phụ lục", "kế hoạch", "biểu", …


def _upper_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / max(len(letters), 1)


def title_of(block: str) -> Title | None:
    """The attachment a title block announces, or None."""
    text = block.strip()
    if not text or text.startswith(("|", "-", "+", "(")) or len(text) > 600:
        return None
    match = _PHU_LUC.match(text)
    if match:
        rest = text[match.end():].strip()
        # "Phụ lục I" on its own, or a title in capitals after it; not "Phụ lục kèm theo
        # Kế hoạch này được thực hiện …", a sentence of the body.
        if text[:7] != "PHỤ LỤC" and rest and _upper_share(rest) < 0.6 and not ANNEXED.match(rest):
            return None
        num = match.group("num")
        return Title(f"Phụ lục {num}" if num else "Phụ lục", "phụ lục")
    match = _BIEU.match(text)
    if match:
        rest = text[match.end():].strip()
        if rest and _upper_share(rest.split("(")[0]) < 0.6:
            return None
        label = re.sub(r"\s+", " ", match.group("label"))
        return Title(f"{label[0]}{label[1:].lower()} {match.group('num')}", "biểu")
    match = _KIND.match(text)
    head = text.split("(")[0]
    # "CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA CHÍNH PHỦ thực hiện Chỉ thị …": the title line in
    # capitals, its subject run on in lower case by the mending of wrapped lines.
    words = head.split()
    caps = next((n for n, w in enumerate(words) if any(c.islower() for c in w)), len(words))
    if match and len(head) <= 500 and (_upper_share(head) > 0.8 or caps >= 4):
        kind = match.group("kind")
        return Title(kind[0] + kind[1:].lower(), kind.lower())
    return None


def glued_title_at(block: str) -> int | None:
    """Where an attachment's title in capitals starts after a signer's name, or None."""
    for match in _GLUE_POINT.finditer(block, 0, 120):
        if not block[match.start() - 1].islower():
            continue          # after a signer's name ("… Khánh"), not inside a line in capitals
        rest = block[match.end():]
        if _upper_share(rest[:60]) > 0.9 and title_of(rest):
            return match.start()
    return None


def is_letterhead(block: str) -> bool:
    """A line of a letterhead: the national name and motto, an issuer in capitals,
    "Số: …", the place and date, a rule."""
    text = block.strip().strip("|").strip()
    if not text:
        return False
    if "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" in text or "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA" in text:
        return True
    if _LETTERHEAD.match(text) or _DATE_LINE.match(text):
        return True
    return len(text) <= 90 and _upper_share(text) > 0.9 and not is_closing_mark(text)


def is_closing_mark(block: str) -> bool:
    text = block.lstrip("| ").strip()
    if _RECIPIENTS.match(text):
        return True
    match = _ON_BEHALF.match(text)
    return bool(match) and (match.group(1) or match.group(2)).isupper()


def announces_attachment(blocks: list[str], i: int, after_signature: bool, after_table: bool = False) -> Title | None:
    """Does block i open an attached document?

    After the signature, a title in capitals is one when an "(Kèm theo …)" line or a
    fresh letterhead comes with it, and a PHỤ LỤC / Biểu title always is. Before it (a
    crawl that lost the signature, a programme running straight into its appendices)
    only a PHỤ LỤC or Biểu title with its "(Kèm theo …)" line is.
    """
    title = title_of(blocks[i])
    if title is None and i + 1 < len(blocks) and len(blocks[i]) <= 20 and blocks[i].isupper():
        title = title_of(f"{blocks[i]} {blocks[i + 1]}")      # "DANH" / "SÁCH XÃ, PHƯỜNG …": a title cut by a crawl
    if title is None:
        return None
    near = blocks[i : i + 8]
    annexed = any(_ANNEXED_INSIDE.search(b) for b in near[:4]) or any(ANNEXED.match(b.strip()) for b in near[1:])
    letterhead = any(is_letterhead(b) and ("CỘNG H" in b or "Độc lập" in b) for b in blocks[max(0, i - 6) : i])
    if title.kind in ("phụ lục", "biểu"):
        return title if (after_signature or annexed) else None
    # A title in capitals with "(Ban hành kèm theo …)" under it is an attached document
    # even where the signature was not recognised (a minister signs without "TM."/"KT.");
    # so is one in capitals right after an appendix's table ("DANH SÁCH CÁC ĐƠN VỊ"),
    # which no table cell would be.
    standalone = after_table and blocks[i].isupper() and 2 <= len(blocks[i].split()) <= 20
    return title if annexed or standalone or (after_signature and letterhead) else None


def start_with_letterhead(blocks: list[str], title_at: int, floor: int) -> int:
    """The attachment begins at its own letterhead when it prints one above its title."""
    j = title_at
    while j - 1 >= floor and title_at - (j - 1) <= 10 and is_letterhead(blocks[j - 1]):
        j -= 1
    national = any("CỘNG H" in b or "Độc lập" in b or "ĐẢNG CỘNG SẢN" in b for b in blocks[j:title_at])
    return j if national else title_at

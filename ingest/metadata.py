"""What a document says about itself: kind, number, issuer, place, level, date, the
period it covers, title, signer — read from its preamble and signature block.

Vietnamese administrative documents print these in a fixed layout (Nghị định
30/2020/NĐ-CP on the form of documents): the issuer in capitals at the top left, "Số:
12/KH-UBND", "<place>, ngày 14 tháng 6 năm 2024", the kind in capitals ("BÁO CÁO"), the
title (its subject), and at the end "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH /
<name>". Crawled copies often run these onto one line; the patterns below do not rely
on line breaks. What a document does not state is left empty.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ingest.sections import ParsedReport
from ingest.vntext import fold

# Kinds as printed in capitals, and the abbreviations of document numbers ("844/QĐ-TTg").
KINDS = ("BÁO CÁO", "KẾ HOẠCH", "TỜ TRÌNH", "NGHỊ QUYẾT", "QUYẾT ĐỊNH", "NGHỊ ĐỊNH", "THÔNG TƯ LIÊN TỊCH",
         "THÔNG TƯ", "CHƯƠNG TRÌNH", "ĐỀ ÁN", "THÔNG BÁO", "CÔNG VĂN", "CHỈ THỊ", "HƯỚNG DẪN", "KẾT LUẬN",
         "LUẬT", "PHÁP LỆNH", "QUY CHẾ", "QUY ĐỊNH", "LỊCH CÔNG TÁC", "CÔNG ĐIỆN", "THÔNG CÁO", "BIÊN BẢN")
_ABBREVIATIONS = {"BC": "báo cáo", "KH": "kế hoạch", "TTR": "tờ trình", "NQ": "nghị quyết", "QĐ": "quyết định",
                  "NĐ": "nghị định", "TT": "thông tư", "TTLT": "thông tư liên tịch", "CTR": "chương trình",
                  "ĐA": "đề án", "TB": "thông báo", "CT": "chỉ thị", "HD": "hướng dẫn", "KL": "kết luận",
                  "QH": "luật", "CĐ": "công điện"}
# "Số: 3210/QĐ - U B ND": a text layer may space out the code's letters as well
_NUMBER = re.compile(r"\bSố\s*:?\s*(?P<num>\d[\w.]*(?:\s?/\s?[\w.]+)*\s?[/-]\s?"
                     r"(?:[A-ZĐ](?:\s[A-Z]{1,2}\b)+|[A-ZĐ][\wĐđ&.]*)(?:[-/][\wĐđ&.]+)*)")
# A document's number after its kind and "số", written without spaces ("124/2017/NQ-HĐND").
_KIND_NUM = r"số\s*:?\s*(?P<num>\d[\w.]*(?:/[\w.]+)*[/-][A-ZĐ][\wĐđ&.]*(?:[-/][\wĐđ&.]+)*)"
# "Nghị quyết số: 89/2025/UBTVQH15" on a line of its own: the kind names the number
_KIND_NUMBER = re.compile(rf"^(?:Nghị quyết|Quyết định|Nghị định|Thông tư|Chỉ thị|Kế hoạch|Báo cáo)\s+{_KIND_NUM}",
                          re.MULTILINE)
# An attachment says whose it is: "(Kèm theo Nghị quyết số 124/2017/NQ-HĐND ngày 14 tháng
# 7 năm 2017 …)", the main text's number and date where its letterhead lost them.
_ANNEX_OF = re.compile(
    rf"[(\[]\s*(?:Ban hành\s+)?[Kk]èm theo\s+(?P<kind>Nghị quyết|Quyết định|Nghị định|Thông tư|Chỉ thị)\s+{_KIND_NUM}"
    r"(?:\s+ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4}))?")
_TITLE_NUMBER = re.compile(r"(?P<num>\b\d{1,5}(?:/\d{4})?/[A-ZĐ][\wĐđ&]*(?:-[\wĐđ&]+)*)")
_DATE = re.compile(
    r"(?P<place>[^\n,]{2,60}?)\s*,\s*ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})"
)
# Dates inside a title name other documents ("Chỉ thị số 52-CT/TW ngày 03 tháng 10 năm
# 2025"), not the period the document covers.
_DATES_IN_TITLE = re.compile(r"ngày\s+\d{1,2}\s*(?:tháng\s+\d{1,2}\s+năm\s+|/\s*\d{1,2}\s*/\s*)\d{4}", re.IGNORECASE)
# A resolution says who passed it and when, in its last words: "Nghị quyết này đã được
# Hội đồng nhân dân tỉnh Đồng Tháp khóa IX, kỳ họp thứ năm thông qua ngày 14 tháng 7 năm
# 2017", "… được Ủy ban Thường vụ Quốc hội … khóa XV, phiên họp thứ 47 thông qua ngày …" —
# the council and the date where the letterhead lost them.
_PASSED = re.compile(
    r"(?:Hội\s+đồng\s+nhân\s+dân\s+(?P<unit>tỉnh|thành\s+phố|huyện|thị\s+xã|quận)\s+"
    r"(?P<place>[A-ZĐÀ-Ỹ][\wÀ-ỹđ]*(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹđ]*){0,3})|Quốc\s+hội(?:\s+nước\s+Cộng\s+hòa\s+xã\s+hội\s+chủ\s+nghĩa\s+Việt\s+Nam)?)"
    r"\s+[Kk]h(?:óa|oá)\s+[IVXL]+\b[^.;]{0,80}?"
    r"thông\s+qua(?:\s+ngày\s+(?:(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})|"
    r"(?P<d2>\d{1,2})\s*/\s*(?P<m2>\d{1,2})\s*/\s*(?P<y2>\d{4})))?")
_BLANK_DATE = re.compile(r"ngày\s+(?:…|\.\.\.|\s)*\s*tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})")
_ISSUER_START = re.compile(
    r"^(?:ỦY BAN|UỶ BAN|UBND|HỘI ĐỒNG|SỞ|BAN|BỘ|CỤC|TỔNG CỤC|VĂN PHÒNG|TỈNH|HUYỆN|THÀNH PHỐ|THỊ XÃ|XÃ|PHƯỜNG|"
    r"CHÍNH PHỦ|THỦ TƯỚNG|QUỐC HỘI|CÔNG AN|ĐẢNG BỘ|TỈNH ỦY|TỈNH UỶ|BAN CHẤP HÀNH|BAN CHỈ ĐẠO)\b"
)
_ISSUER_IN_TEXT = re.compile(r"(?:ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|HỘI ĐỒNG NHÂN DÂN)\s+(?:TỈNH|THÀNH PHỐ|HUYỆN|THỊ XÃ|QUẬN|XÃ|PHƯỜNG)"
                             r"(?:\s+[A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ]*)+")
_UNIT = re.compile(r"\b(?:TỈNH|THÀNH PHỐ|HUYỆN|THỊ XÃ|QUẬN|XÃ|PHƯỜNG|THỊ TRẤN)\s+((?:[A-ZĐÀ-Ỹ]+\s?)+)")
_ON_BEHALF = re.compile(r"^(?:TM|T\.M|KT|K\.T|TL|T\.L|TUQ)\.\s*(?P<body>.+)$")
_NAME = re.compile(r"^[A-ZĐÀ-Ỹ][a-zà-ỹđ]+(?: [A-ZĐÀ-Ỹ][a-zà-ỹđ]+){1,4}$")
_TITLE_STOP = re.compile(r"^(?:Căn cứ|Thực hiện|Kính gửi|Theo đề nghị|Xét đề nghị|Để |Trong |Năm 20|\(|[-_–=*.]{3,})")
# Cities governed directly by the centre are at the level of a province.
_CENTRAL_CITIES = ("hà nội", "hồ chí minh", "hải phòng", "đà nẵng", "cần thơ", "huế")
_CENTRAL_BODIES = re.compile(r"\b(?:CHÍNH PHỦ|THỦ TƯỚNG|QUỐC HỘI|BỘ |BAN CHẤP HÀNH TRUNG ƯƠNG|VĂN PHÒNG TRUNG ƯƠNG|"
                             r"BAN CHỈ ĐẠO QUỐC GIA|TRUNG ƯƠNG|TỔNG CỤC|ỦY BAN THƯỜNG VỤ QUỐC HỘI)")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


@dataclass
class Period:
    """What a report covers: "6 tháng đầu năm 2024" is 2024-01 .. 2024-06."""
    label: str
    start: str               # "YYYY-MM"
    end: str

    def years(self) -> set[str]:
        return {str(y) for y in range(int(self.start[:4]), int(self.end[:4]) + 1)}


@dataclass
class ReportMetadata:
    title: str = ""
    kind: str = ""           # "báo cáo", "kế hoạch", "quyết định", ... (lower case)
    number: str = ""         # "844/QĐ-TTg" (empty when the copy is unnumbered, "…/KH-UBND")
    place: str = ""          # the province / district / commune it speaks for; "" for central bodies
    date: str = ""           # ISO yyyy-mm-dd when printed, else ""
    issuer: str = ""         # "ỦY BAN NHÂN DÂN TỈNH LÂM ĐỒNG"
    level: str = ""          # "trung ương" | "tỉnh" | "huyện" | "xã" | ""
    period: dict | None = None   # Period as a dict (JSON), or None
    signer: str = ""
    signer_role: str = ""
    signed_at: str = ""      # the place in the date line ("Hà Nội" for a ministry)

    def to_dict(self) -> dict:
        return asdict(self)


_PERIOD_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"6 tháng đầu năm\s+(\d{4})", re.I), lambda m: (f"6 tháng đầu năm {m[1]}", f"{m[1]}-01", f"{m[1]}-06")),
    (re.compile(r"6 tháng cuối năm\s+(\d{4})", re.I), lambda m: (f"6 tháng cuối năm {m[1]}", f"{m[1]}-07", f"{m[1]}-12")),
    (re.compile(r"9 tháng(?: đầu năm| năm)?\s+(\d{4})", re.I), lambda m: (f"9 tháng năm {m[1]}", f"{m[1]}-01", f"{m[1]}-09")),
    (re.compile(r"quý\s+(I{1,3}|IV)\s*(?:năm\s+|/)(\d{4})", re.I),
     lambda m: (f"quý {m[1].upper()} năm {m[2]}", f"{m[2]}-{3 * _ROMAN[m[1].upper()] - 2:02d}",
                f"{m[2]}-{3 * _ROMAN[m[1].upper()]:02d}")),
    (re.compile(r"tháng\s+(\d{1,2})\s*(?:năm\s+|/)(\d{4})", re.I),
     lambda m: (f"tháng {int(m[1])} năm {m[2]}", f"{m[2]}-{int(m[1]):02d}", f"{m[2]}-{int(m[1]):02d}")),
    (re.compile(r"(?:giai đoạn|thời kỳ)?\s*(\d{4})\s*[-–]\s*(\d{4})", re.I),
     lambda m: (f"giai đoạn {m[1]}-{m[2]}", f"{m[1]}-01", f"{m[2]}-12")),
    (re.compile(r"năm\s+(?:học\s+)?(\d{4})\b", re.I), lambda m: (f"năm {m[1]}", f"{m[1]}-01", f"{m[1]}-12")),
]


def period_of(text: str, year: str = "") -> Period | None:
    """The first period a title names, the most specific pattern first; `year` (the
    document's) completes "6 tháng đầu năm" printed without one."""
    text = _DATES_IN_TITLE.sub(" ", text)
    later = re.search(r"\b((?:19|20)\d\d)\b", text)
    year = later.group(1) if later else year
    if year:
        text = re.sub(r"(6 tháng (?:đầu|cuối) năm|9 tháng(?: đầu năm| năm)?)(?!\s+\d{4})", rf"\1 {year}", text,
                      flags=re.IGNORECASE)
    for pattern, build in _PERIOD_PATTERNS:
        match = pattern.search(text)
        if match:
            label, start, end = build(match)
            if start <= end and 1900 <= int(start[:4]) <= 2100 and 1 <= int(start[5:]) <= 12 and 1 <= int(end[5:]) <= 12:
                return Period(label, start, end)
    return None


def _lines(section) -> list[str]:
    """Lines of a preamble or closing, the cells of a letterhead table as lines of their own."""
    out = []
    for line in (section.text if section else "").split("\n"):
        for cell in line.strip().strip("|").split(" | "):
            cell = re.sub(r"\s*[-_]{3,}\s*", " ", cell).strip()
            if cell:
                out.append(cell)
    return out


def _place_of(before: str) -> str:
    """"Số: 1056/QĐ-CT Tuyên Quang" -> "Tuyên Quang": the place words just before ", ngày"."""
    words = before.split()
    place: list[str] = []
    for word in reversed(words):
        if word[:1].isupper() and (len(word) == 1 or word[1:].islower() or word[1:2] == "."):
            place.insert(0, word)
        else:
            break
    while place and place[0].lower() in ("thành", "tp.", "tỉnh", "huyện", "xã", "phường", "quận", "thị"):
        place.pop(0)      # "Thành phố Hồ Chí Minh" stops at "phố"; drop a stray administrative word
    return " ".join(place)


def _kind_at(line: str) -> tuple[str, str] | None:
    """("quyết định", the rest of the line) when the line opens with a kind in capitals."""
    for kind in KINDS:
        if line.startswith(kind) and (len(line) == len(kind) or not line[len(kind)].isalpha()):
            rest = line[len(kind):].strip(" :.-–")
            if not rest or rest.isupper() or rest[:1].isupper():
                return kind.lower(), rest
    return None


def _level(issuer: str, place: str, number: str) -> str:
    text = re.sub(r"XÃ HỘI", " ", issuer.upper())
    central_number = re.search(r"-(?:TTg|CP|QH\d*|UBTVQH\d*|B[A-ZĐ&]+|TW|VPTW|BCĐQG\d*)$", number)
    if (_CENTRAL_BODIES.search(text) and "TỈNH" not in text and "HUYỆN" not in text) or (not text and central_number):
        return "trung ương"
    if re.search(r"\b(?:XÃ|PHƯỜNG|THỊ TRẤN|ĐẶC KHU)\b", text):
        return "xã"
    if re.search(r"\b(?:HUYỆN|THỊ XÃ|QUẬN)\b", text):
        return "huyện"
    if re.search(r"\bTHÀNH PHỐ\b", text) and not any(c in fold(text).lower() for c in map(lambda x: fold(x), _CENTRAL_CITIES)):
        return "huyện"
    if re.search(r"\b(?:TỈNH|THÀNH PHỐ)\b", text):
        return "tỉnh"
    return ""


def _title_from(lines: list[str], start: int, first: str) -> str:
    parts = [first] if first else []
    for line in lines[start:]:
        if _TITLE_STOP.match(line) or _ISSUER_START.match(line) and line.isupper() and parts:
            break
        if line.rstrip(":").strip() in KINDS or line.endswith(":") or len(" ".join(parts)) > 300:
            break       # "QUYẾT ĐỊNH:" before the articles; a title may itself open "QUY ĐỊNH …"
        parts.append(line)
    title = " ".join(parts).strip()
    # A crawl runs the issuer's name on after the title: "… CHÂU THÀNH ỦY BAN NHÂN DÂN TỈNH TÂY NINH"
    cut = re.search(r"\s(?:ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|CHỦ TỊCH ỦY BAN|BỘ TRƯỞNG|THỦ TƯỚNG CHÍNH PHỦ|HỘI ĐỒNG NHÂN DÂN)\b", title)
    return title[: cut.start()].strip() if cut and cut.start() > 20 else title


def _iso_date(match: re.Match) -> str:
    """A match's y, m, d groups as YYYY-MM-DD."""
    return f"{int(match.group('y')):04d}-{int(match.group('m')):02d}-{int(match.group('d')):02d}"


def extract_metadata(report: ParsedReport, fallback_title: str = "") -> ReportMetadata:
    meta = ReportMetadata()
    preamble = report.get("preamble")
    head = preamble.text if preamble else report.text[:3000]
    lines = _lines(preamble)

    date = _DATE.search(head)
    if date:
        meta.signed_at = _place_of(date.group("place"))
        meta.date = _iso_date(date)
    else:
        blank = _BLANK_DATE.search(head)     # a copy made before signing: "ngày     tháng 3 năm 2026"
        if blank:
            meta.date = f"{int(blank.group('y')):04d}-{int(blank.group('m')):02d}"
    number = _NUMBER.search(head) or _KIND_NUMBER.search(head)
    if number:
        meta.number = re.sub(r"\s+", "", number.group("num")).rstrip(".")
    elif lines and _TITLE_NUMBER.search(lines[0]):
        meta.number = _TITLE_NUMBER.search(lines[0]).group("num")     # a crawl's page title: "Quyết định 1056/QĐ-CT"
    if not any(_ISSUER_START.match(line) for line in lines[:6]):
        found = _ISSUER_IN_TEXT.search(head[:600])      # a crawl ran the letterhead into its page title
        if found:
            lines = lines[:1] + [found.group(0)] + lines[1:]

    issuer_lines = []
    for i, line in enumerate(lines):
        found = _kind_at(line)
        dated = _DATE.search(line) if found is None else None
        if dated:
            found = _kind_at(line[dated.end():].strip())   # a crawl: "… ngày 16 tháng 8 năm 2010 QUYẾT ĐỊNH BAN HÀNH …"
        if found:
            meta.kind = found[0]
            meta.title = _title_from(lines, i + 1, found[1])
            break
        if _ISSUER_START.match(line) and line.replace("-", "").strip().isupper():
            issuer_lines.append(re.sub(r"\s*[-_]{3,}.*$", "", line).strip())
    if not meta.number:
        annexed = next((m for m in _ANNEX_OF.finditer(report.text)
                        if not meta.kind or m.group("kind").lower() == meta.kind), None)
        if annexed:
            meta.number = annexed.group("num").rstrip(".")
            if not meta.date and annexed.group("y"):
                meta.date = _iso_date(annexed)
    if not meta.kind and meta.number:
        code = re.split(r"[-/]", meta.number.split("/", 1)[-1])[0].upper()
        meta.kind = _ABBREVIATIONS.get(code, "")
    meta.issuer = " ".join(issuer_lines)

    closing = report.get("closing")
    closing_lines = [line for line in _lines(closing) if line]
    for i, line in enumerate(closing_lines):
        on_behalf = _ON_BEHALF.match(line)
        if on_behalf:
            if not meta.issuer:
                meta.issuer = on_behalf.group("body").strip()
            following = [ln for ln in closing_lines[i + 1 :] if not ln.startswith("-")]
            names = [ln for ln in following if _NAME.match(ln)]
            roles = [ln for ln in following if ln.isupper()]
            meta.signer = names[-1] if names else ""
            meta.signer_role = roles[-1] if roles else ""
            break
    if not meta.signer and closing_lines and _NAME.match(closing_lines[-1]):
        meta.signer = closing_lines[-1]

    passed = _PASSED.search(report.text)
    if passed and not (meta.issuer and meta.date):
        if not meta.issuer and passed.group("unit"):
            unit, place = (re.sub(r"\s+", " ", passed.group(g)).upper() for g in ("unit", "place"))
            meta.issuer = f"HỘI ĐỒNG NHÂN DÂN {unit} {place}"
        if not meta.date and (passed.group("y") or passed.group("y2")):
            d, m, y = (passed.group("d"), passed.group("m"), passed.group("y")) if passed.group("y") else \
                (passed.group("d2"), passed.group("m2"), passed.group("y2"))
            meta.date = f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
    meta.issuer = meta.issuer.strip(" *")
    meta.level = _level(meta.issuer, meta.signed_at, meta.number)
    units = [u for u in (_UNIT.search(re.sub(r"XÃ HỘI", " ", line)) for line in issuer_lines or [meta.issuer]) if u]
    own = " ".join(w.capitalize() for w in units[-1].group(1).split()) if units else ""
    # The body's own province or district ("TỈNH LÂM ĐỒNG"), else the place it signs at;
    # a central body speaks for no place, though it signs in Hà Nội.
    meta.place = "" if meta.level == "trung ương" else (own or meta.signed_at)
    title_text = meta.title or fallback_title
    period = period_of(title_text, meta.date[:4]) if title_text else None
    meta.period = asdict(period) if period else None

    if meta.kind and meta.title:
        kind = meta.kind[0].upper() + meta.kind[1:]
        meta.title = f"{kind} {meta.title}" if meta.title[:2].isupper() else f"{kind} {meta.title[0].lower()}{meta.title[1:]}"
    if not meta.title:
        first = next((s.heading for s in report.sections if s.heading), "")
        meta.title = fallback_title or first[:120] or "Văn bản không tên"
    return meta

"""Report metadata from the preamble and the signature block: title, place, date,
document kind and number, issuing body, signer."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ingest.sections import ParsedReport

_DATE = re.compile(
    r"^(?P<place>[^,\n]{2,40}),\s*ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})",
    re.IGNORECASE | re.MULTILINE,
)
_NUMBER = re.compile(r"^Số\s*:\s*(?P<num>\S+)", re.MULTILINE)
_KINDS = ("BÁO CÁO", "KẾ HOẠCH", "TỜ TRÌNH", "NGHỊ QUYẾT", "QUYẾT ĐỊNH", "CHƯƠNG TRÌNH", "ĐỀ ÁN", "THÔNG BÁO", "CÔNG VĂN", "CHỈ THỊ")
_ISSUER_LINE = re.compile(r"^(?:ỦY BAN|UỶ BAN|UBND|HỘI ĐỒNG|SỞ|BAN|BỘ|CỤC|TỔNG CỤC|VĂN PHÒNG|TỈNH|HUYỆN|THÀNH PHỐ|THỊ XÃ|XÃ|PHƯỜNG)\b")
_ON_BEHALF = re.compile(r"^(?:TM|T\.M|KT|K\.T|TL|T\.L|TUQ)\.\s*(?P<body>.+)$")
_NAME = re.compile(r"^[A-ZĐÀ-Ỹ][a-zà-ỹđ]+(?: [A-ZĐÀ-Ỹ][a-zà-ỹđ]+){1,4}$")


@dataclass
class ReportMetadata:
    title: str = ""
    kind: str = ""
    number: str = ""
    place: str = ""
    date: str = ""          # ISO yyyy-mm-dd when printed, else ""
    issuer: str = ""
    signer: str = ""
    signer_role: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def extract_metadata(report: ParsedReport, fallback_title: str = "") -> ReportMetadata:
    meta = ReportMetadata()
    preamble = report.get("preamble")
    lines = [line.strip() for line in (preamble.text if preamble else "").split("\n") if line.strip()]

    date = _DATE.search(preamble.text if preamble else report.text[:2000])
    if date:
        meta.place = date.group("place").strip()
        meta.date = f"{int(date.group('y')):04d}-{int(date.group('m')):02d}-{int(date.group('d')):02d}"
    number = _NUMBER.search(preamble.text if preamble else "")
    if number:
        meta.number = number.group("num")

    issuer_lines = []
    for i, line in enumerate(lines):
        if line.upper() in _KINDS:
            meta.kind = line.upper()
            # The title is the line(s) after the kind, up to the legal basis.
            title_parts = []
            for nxt in lines[i + 1 :]:
                if nxt.startswith(("Căn cứ", "Thực hiện", "Kính gửi")) or len(" ".join(title_parts)) > 250:
                    break
                title_parts.append(nxt)
                if not nxt.endswith((",", "và")):
                    break
            meta.title = " ".join(title_parts)
            break
        if _ISSUER_LINE.match(line) and line.isupper():
            issuer_lines.append(line)
    meta.issuer = " ".join(issuer_lines)

    closing = report.get("closing")
    closing_lines = [line.strip() for line in (closing.text if closing else "").split("\n") if line.strip()]
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

    if meta.kind and meta.title:
        meta.title = f"{meta.kind.capitalize()} {meta.title[0].lower()}{meta.title[1:]}" if not meta.title[:2].isupper() else f"{meta.kind.capitalize()} {meta.title}"
    if not meta.title:
        first = next((s.heading for s in report.sections if s.heading), "")
        meta.title = fallback_title or first[:120] or "Văn bản không tên"
    return meta

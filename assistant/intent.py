"""What a question asks for, read from its wording (with or without diacritics).

Retrieval uses `future` to prefer programme sections for commitment questions; the
answerer uses the rest to check that a candidate sentence can answer at all (a "bao
nhiêu" question needs a figure).
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, replace

from assistant.document_clauses import asked_clause
from ingest.vntext import canonical_syllable, fold, has_diacritics

_NUMBER = re.compile(r"\b(?:bao nhieu|so luong|bao lau|thu may|hang may|may (?:phan tram|chi tieu|nhom|du an|truong|ty|lan|nam|thang|ngay|ky|dot|xa|huyen))\b|\bmay\b\s*\??$")
_NUMBER_ACCENTED = re.compile(r"\bmấy\b|bao nhiêu|số lượng|tỷ lệ|tỉ lệ", re.IGNORECASE)
_PERCENT = re.compile(r"phan tram|%|bao nhieu %")
_DATE = re.compile(r"\b(?:ngay nao|khi nao|bao gio|thoi gian nao|luc nao|nam nao|thang nao|thoi han|han chot|thoi diem nao|ngay bao nhieu|ngay may)\b")
_WHO = re.compile(r"\b(?:ai|nguoi nao|ong nao|ba nao|dong chi nao|pho thu tuong nao|thu tuong nao)\b")
_SIGNER = re.compile(r"\b(?:ai (?:la nguoi )?ky|nguoi ky|ky boi|ky ten|ai ky|ky (?:bao cao|van ban|ke hoach))\b")
_ISSUED = re.compile(r"\b(?:ban hanh|ky|lap|gui|trinh) (?:vao |tu )?(?:ngay nao|khi nao|luc nao|bao gio|thoi gian nao)|(?:bao cao|van ban|ke hoach) (?:nay )?(?:co |duoc )?(?:ngay|ngay thang) (?:nao|bao nhieu)")
_CODE = re.compile(r"\b(?:so may|so bao nhieu|so hieu|so ky hieu|(?:nghi quyet|quyet dinh|ke hoach|chuong trinh hanh dong|chi thi|cong van|thong tu|nghi dinh) (?:so )?(?:nao|gi))\b")
_OTHER_DOCUMENT = re.compile(r"\b(?:quyet dinh|nghi quyet|chi thi|cong van|de an|thong bao|thong tu|nghi dinh|luat)\b")
# "Báo cáo gửi lên cơ quan nào?": the recipients list ("Nơi nhận") answers.
_RECIPIENTS = re.compile(
    r"\b(?:noi nhan|gui (?:len |den |toi |cho )?(?:ai|nhung ai|co quan nao|nhung co quan nao|nhung noi nao|noi nao|dau))\b"
)
_EVERY = re.compile(r"\b(?:nam|thang|ngay|luc|khi) nao\b.*\bcung\b")
_ANYONE = re.compile(r"\bco ai\b.*\bkhong\b")
# "Cơ quan nào chủ trì", "những bộ nào phối hợp", "ai làm đầu mối": a body answers. ("con
# số nào" asks for a figure, folded "số" and "sở" being one word; "tổ chức vào ngày nào"
# is the verb, asking when; "xã hội … theo hướng nào" is society, not an association.)
_BODY = re.compile(r"\b(?:co quan|don vi|(?<!con )so|bo|ban|to chuc|doan the|(?<!xa )hoi|luc luong|nganh|ben)"
                   r"(?:,? (?!vao\b|ngay\b|thang\b|nam\b|quy\b|khi\b|luc\b|thoi\b|dip\b|dau\b)[\w-]+){0,3}? nao\b|\bai (?:se |duoc |phai )?(?:chu tri|phu trach|lam dau moi|chiu trach nhiem|"
                   r"tham muu|phoi hop|quan ly|thuc hien|lo)\b|\b(?:do|giao cho|giao) ai\b")
_WHY = re.compile(r"\b(?:vi sao|tai sao|nguyen nhan|do dau|vi dau|ly do)\b")
_LIST = re.compile(r"\b(?:nhung|cac)\b.*\b(?:nao|gi)\b|\b(?:liet ke|ke ten|gom nhung|bao gom|gom)\b")
# "kế hoạch" alone is not future ("đạt 95% kế hoạch"); "đã" marks a past result.
_FUTURE = re.compile(
    r"\b(?:se|cam ket|cuoi nam|sap toi|thoi gian toi|nam toi|phuong huong|nhiem vu|du kien|du dinh|"
    r"dinh huong|phan dau|muc tieu|chuong trinh cong tac|tiep tuc|ke hoach (?:cuoi nam|nam toi|sap toi)|"
    r"co ke hoach|dat muc tieu|chi tieu (?:nam|giai doan)|han chot|thoi han|theo ke hoach|phai dat|den nam 20\d\d)\b"
)
_INJECTION = re.compile(
    r"bo qua (?:cac |moi |tat ca )?(?:huong dan|chi dan|lenh|yeu cau)|ignore (?:all |the |previous |your )*(?:instructions|rules)|"
    r"system prompt|prompt he thong|dong vai|gia vo la|khong can trich dan|khong (?:can )?(?:dan|ghi) nguon|(?:tiet lo|cho (?:toi )?biet|in ra) (?:cau |loi )?(?:lenh|prompt|huong dan)|"
    r"ban (?:bay gio |hien )?la (?:mot )?(?:tro ly|ai|chatgpt|mo hinh) khac|jailbreak|developer mode"
)


# "bao nhiêu trường", "mấy chỉ tiêu": the thing counted, which the answer's figure must
# be a count of. Words after the question word that are not a counted noun:
_NOT_UNITS = {"la", "thi", "va", "hay", "phan", "duoc", "da", "so", "trong", "cua", "?", "vay", "nua", "lau"}
# A preposition or conjunction after "bao nhiêu" means the counted noun was left out
# ("được hưởng bao nhiêu theo Quyết định 40", "bao nhiêu mỗi tháng"): it asks an amount,
# in no unit of its own. Typed without marks, only the words no noun folds to.
_NOT_UNITS_ACCENTED = {"theo", "cho", "với", "tại", "ở", "từ", "đến", "khi", "nếu", "mà", "để", "về", "sau",
                       "trước", "mỗi", "trên", "dưới", "như", "cũng", "một"}
# ("bao nhiêu một suất", "bao nhieu mot thang": an amount for each, as "mỗi" says)
_NOT_UNITS_FOLDED = {"theo", "voi", "khi", "neu", "tren", "duoi", "nhu", "sau", "truoc", "moi", "tu", "den", "mot"}
# Counted nouns whose figures are written with another word ("bao nhiêu tiền" -> "tỷ đồng").
# "Bao nhiêu lần" counts events, which reports count as "cuộc", "vụ", "lượt", "đợt".
_UNIT_ALIASES = {"tien": ("dong", "usd"), "nguoi": ("nguoi", "luot"), "lan": ("lan", "luot", "cuoc", "vu", "dot"),
                 # measures are written by their symbols: "bao nhiêu mét vuông" is "200,0 m2"
                 # (an alias list starts with how the reports write the unit)
                 "met": ("m", "m2", "m3", "m²", "m³", "met"), "hecta": ("ha", "hecta"), "kilomet": ("km", "kilomet")}
# The second syllable of a measure's name ("mét vuông", "mét khối"): part of the unit.
_MEASURE_TAILS = {"met": ("vuong", "khoi")}
# "lên bao nhiêu năm 2024": a year after the word makes it a date, not a unit counted.
_UNIT_AFTER = re.compile(r"\b(?:bao nhieu|may)\s+([a-z]+)(?!\s+(?:19|20)\d\d)\b")
# With diacritics, "máy móc" (machines) is not "mấy móc".
_UNIT_AFTER_ACCENTED = re.compile(r"\b(?:bao nhiêu|mấy)\s+(\w+)(?!\s+(?:19|20)\d\d)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Intent:
    number: bool = False
    percent: bool = False
    date: bool = False
    date_part: str = ""           # "day" / "month" / "year" the answer must name ("" = any date)
    who: bool = False
    body: bool = False            # "cơ quan nào chủ trì": an agency or organisation answers
    listing: bool = False
    future: bool = False
    injection: bool = False
    signer: bool = False          # "ai ký báo cáo": the signature block answers
    recipients: bool = False      # "báo cáo gửi những cơ quan nào": the "Nơi nhận" list answers
    issued: bool = False          # "ban hành ngày nào": the date line answers
    code: bool = False            # "nghị quyết số mấy": a document number answers
    why: bool = False             # "vì sao": causes ("nguyên nhân") answer
    past: bool = False            # "đã ...", "hiện có ...": a result, which a plan's target does not answer
    realised: bool = False        # "hiện có", "năm ngoái", "được bao nhiêu": the whole question asks what is
    level: str = ""               # "tinh" / "huyen": whose figures the question asks for
    years: tuple[str, ...] = ()   # years the question names ("năm 2024")
    units: tuple[str, ...] = ()   # folded syllables a figure in the answer must count
    unit_qualifier: str = ""      # "hộ nghèo": the word that must follow the unit
    rank: bool = False            # "thứ mấy", "hạng mấy": the answer needs "thứ N"
    superseded: bool = False      # "trước khi được sửa đổi", "nay đã bị bãi bỏ": the old text
    clause: str = ""              # "effect" / "replaced" / "executors": a closing article answers


def _level(question: str) -> str:
    """'tỉnh đã giải ngân ...' speaks of the province; 'các huyện' or 'huyện Vân Khê'
    inside a question are places the answer may mention, not whose report it is."""
    raw = question.split()
    levels = set()
    for i, word in enumerate(raw):
        key = fold(word.strip(",.?!:;")).lower()
        if key not in ("tinh", "huyen"):
            continue
        before = fold(raw[i - 1]).lower() if i else ""
        after = raw[i + 1] if i + 1 < len(raw) else ""
        if before in ("cac", "nhung", "moi", "cap") or after[:1].isupper():
            continue
        if key == "tinh" and has_diacritics(question) and word.strip(",.?!:;").lower() != "tỉnh":
            continue   # "tính", "tình", "tinh thần" are not the province
        levels.add(key)
    return levels.pop() if len(levels) == 1 else ""


def _unit_qualifier(question: str) -> str:
    """'bao nhiêu hộ nghèo': an adjective right after the counted noun narrows it, so
    '126 hộ' (households resettled) does not answer it. Needs diacritics to tag."""
    if not has_diacritics(question):
        return ""
    from ingest.segmentation import tagged

    pairs = tagged(question)
    for i, (word, _) in enumerate(pairs[:-2]):
        if fold(word).lower() in ("bao_nhieu", "may") and pairs[i + 1][1].startswith("N") and pairs[i + 2][1] == "A":
            return fold(pairs[i + 2][0].split("_")[0]).lower()
    return ""


def counted_word(question: str) -> str:
    """The word "bao nhiêu" / "mấy" counts, folded ("tiền", "mét", "hộ"), or ""."""
    if has_diacritics(question):
        match = _UNIT_AFTER_ACCENTED.search(question)
        if match and match.group(1).lower() in _NOT_UNITS_ACCENTED:
            return ""
        word = fold(match.group(1)).lower() if match else ""
    else:
        match = _UNIT_AFTER.search(fold(question).lower())
        word = match.group(1) if match else ""
        if word in _NOT_UNITS_FOLDED:
            return ""
    return "" if word in _NOT_UNITS else word


@lru_cache(maxsize=256)
def unit_syllables(question: str) -> frozenset[str]:
    """The folded syllables of the unit a measure question counts in, when the reports
    write that unit otherwise ("bao nhiêu tiền" in "đồng", "bao nhiêu mét vuông" in
    "m2"): what the question asks in, not what it is about."""
    word = counted_word(question)
    unit = canonical_syllable(word) if word else ""
    aliases = _UNIT_ALIASES.get(unit, ())
    if not aliases or aliases[0] == unit:
        return frozenset()
    tails = _MEASURE_TAILS.get(unit, ())
    following = re.search(rf"\b{unit}\s+(\w+)", fold(question).lower())
    return frozenset([unit] + ([following.group(1)] if following and following.group(1) in tails else []))


def _units(question: str) -> tuple[str, ...]:
    word = counted_word(question)
    if not word:
        return ()
    unit = canonical_syllable(word)     # "tỷ" and "tỉ" are one unit
    return _UNIT_ALIASES.get(unit, (unit,))


def _date_part(folded: str) -> str:
    """'ngày nào' needs a day, 'tháng nào' a month, 'năm nào' a year."""
    if re.search(r"\bngay (?:nao|may|bao nhieu)\b", folded):
        return "day"
    if re.search(r"\bthang (?:nao|may)\b", folded):
        return "month"
    if re.search(r"\bnam (?:nao|bao nhieu)\b", folded):
        return "year"
    return ""


# "Mấy công trình ... có làm kịp không?": in a yes/no question "mấy" is a plural
# ("the few works"), not "how many".
_YES_NO = re.compile(r"\bco\b.*\bkhong\s*\??\s*$|\bchua\s*\??\s*$|\bhay\b")
_COUNT_WORDS = re.compile(r"\b(?:bao nhieu|so luong|ty le|ti le|thu may|hang may)\b")


# Years that are not the question's period: inside a document's number ("12/2012/QĐ-UBND"),
# the date of a document it names ("Nghị quyết số 11/NQ-CP ngày 30/01/2022"), the base
# a figure is compared with ("so với cùng kỳ năm 2023").
_DOCUMENT_NUMBER = re.compile(
    r"\b\d{1,5}\s*/\s*(?:19|20)\d\d\s*/\s*[\wĐđ-]+"
    # "Thông tư liên tịch 25/2010", "nghi dinh 38/2022": a document's number and year
    r"|\b(?:thông tư|nghị định|quyết định|nghị quyết|chỉ thị|luật|thong tu|nghi dinh|quyet dinh|nghi quyet|chi thi|luat)"
    r"(?:\s+(?:liên tịch|lien tich))?(?:\s+(?:số|so))?\s+\d{1,5}\s*/\s*(?:19|20)\d\d\b"
    r"|\b\d{1,5}/[\wĐđ/-]+\s+ngày\s+\d{1,2}(?:\s*/\s*\d{1,2}\s*/\s*|\s+tháng\s+\d{1,2}\s+năm\s+)(?:19|20)\d\d"
    r"|\b(?:so với|so)\s+(?:\S+\s+){0,3}?(?:cùng kỳ\s+)?(?:năm\s+)?(?:19|20)\d\d\b|\bcùng kỳ\s+(?:năm\s+)?(?:19|20)\d\d\b",
    re.IGNORECASE)
# "mấy năm trước", "mấy tháng nay": the past few years or months, a time, not a count.
_FEW_PAST = re.compile(r"\bmấy\s+(?:năm|tháng|tuần|ngày|hôm)\s+(?:trước|qua|nay|gần đây|vừa qua|rồi)\b", re.IGNORECASE)


# "Trong thời hạn bao lâu": a length of time ("07 ngày làm việc"), not a date; "bao lâu
# một lần" asks how often.
_DURATION = re.compile(r"\bbao lau\b(?! (?:mot|1) lan)")
# "Trước khi được Nghị định 74 sửa đổi, ... quy định": the text an amendment replaced,
# which the amending document does not hold (it states the new text).
_SUPERSEDED = re.compile(r"\btruoc khi (?:duoc |bi )?(?:\S+ ){0,4}?(?:sua doi|bai bo|thay the)\b|\btruoc day\b"
                         r"|\b(?:da|nay da) bi (?:bai bo|thay the|sua doi)\b")
_TIME_UNITS = ("ngay", "thang", "nam", "tuan", "gio", "phut", "quy")
# "Lệ phí ... là bao nhiêu", "mỗi suất quà trị giá bao nhiêu": a fee, a cost or a value
# is an amount of money, which reports write in đồng (or USD), as "bao nhiêu tiền" asks.
_MONEY = re.compile(r"\b(?:hoc phi|le phi|chi phi|cong tac phi|mai tang phi|vien phi|muc phi|tri gia|so tien|kinh phi|muc thu)\b")
# A state already reached, which a plan's targets do not describe: "đã", "hiện nay",
# "hiện có", "năm ngoái", "vừa qua", and the resultative "V được bao nhiêu" ("giải ngân
# được bao nhiêu": the amount managed). Read with diacritics ("da" is other words
# folded), except the phrases no other words fold to. ("Chưa" is not one: "hài cốt chưa
# rõ tên" names a kind of thing, not a time.) A commitment marker overrides them all.
# "Đã" often sits in a relative clause ("nguồn đã giao", "văn bản đã nêu") that tells
# a thing, not the time asked about; the rest speak of the whole question.
_REALISED = re.compile(r"(?<!\w)(?:hiện nay|hiện có|hiện tại|hiện đang|năm ngoái|năm trước|năm qua|vừa qua)(?!\w)",
                       re.IGNORECASE)
_REALISED_FOLDED = re.compile(r"\b(?:hien nay|hien co|hien tai|hien dang|nam ngoai|vua qua|duoc bao nhieu)\b")


# "phục vụ có thời hạn", "hợp đồng không thời hạn": fixed-term, an adjective; it asks for
# no deadline and speaks of no plan.
_FIXED_TERM = re.compile(r"\b(?:co|khong|vo) thoi han\b")


def read_time(question: str) -> tuple[bool, bool, bool]:
    """(future, past, realised): whether the question asks what is planned, what was
    done ("đã"), what is or was reached as a whole ("hiện có", "năm ngoái")."""
    folded = _FIXED_TERM.sub(" ", fold(question).lower())
    future = bool(_FUTURE.search(folded)) and not re.search(r"\bđã\b", question.lower()) or bool(re.search(r"\bse\b", folded))
    realised = bool(_REALISED.search(question) or _REALISED_FOLDED.search(folded)) and not future
    past = realised or bool(re.search(r"\bđã\b", question.lower())) and not future
    return future, past, realised


def years_named(question: str) -> tuple[str, ...]:
    """The years a question names; one inside a document's number ("12/2012/QĐ-UBND")
    names the document, not a period."""
    return tuple(re.findall(r"\b(?:19|20)\d\d\b", _DOCUMENT_NUMBER.sub(" ", question)))


def read_intent(question: str) -> Intent:
    folded = fold(question).lower()
    counted = _FEW_PAST.sub(" ", question)
    number = bool(_NUMBER.search(fold(counted).lower())) or (
        has_diacritics(question) and bool(_NUMBER_ACCENTED.search(counted)))
    if number and _YES_NO.search(folded) and not _COUNT_WORDS.search(folded):
        number = False
    if not has_diacritics(question) and re.search(r"\b(?:ty le|ti le)\b", folded):
        number = True
    signer = bool(_SIGNER.search(folded))
    # "Huyện có kế hoạch gì đối với ..." asks what is planned, not a plan's number.
    code = bool(_CODE.search(folded)) and not re.search(r"\bco (?:ke hoach|chuong trinh hanh dong) gi\b", folded)
    number = number and not code
    duration = bool(_DURATION.search(folded))
    future, past, realised = read_time(question)
    return Intent(
        number=number,
        percent=bool(_PERCENT.search(folded)),
        # "Năm nào tỉnh cũng ..." is "every year", "có ai ... không" is "is anyone":
        # neither asks for a date or a person.
        date=bool(_DATE.search(_FIXED_TERM.sub(" ", folded))) and not _EVERY.search(folded) and not duration,
        date_part=_date_part(folded),
        who=bool(_WHO.search(folded)) and not signer and not _ANYONE.search(folded),
        body=bool(_BODY.search(folded)) and not signer,
        listing=bool(_LIST.search(folded)),
        future=future,
        signer=signer,
        recipients=bool(_RECIPIENTS.search(folded)) and not signer,
        # "Chương trình số 17-CTr/TU (số 43) ban hành ngày nào", "Quyết định thành lập
        # Ban Chỉ đạo ban hành ngày nào" ask about another document than the report.
        issued=bool(_ISSUED.search(folded)) and not (
            re.search(r"\d+[-/][A-Za-zĐđ]", question) or re.search(r"\bso \d+", folded) or _OTHER_DOCUMENT.search(folded)),
        code=code,
        why=bool(_WHY.search(folded)),
        past=past,
        realised=realised,
        injection=bool(_INJECTION.search(folded)),
        level=_level(question),
        years=years_named(question),
        units=(_units(question) or (_TIME_UNITS if duration else ()) or (_UNIT_ALIASES["tien"] if _MONEY.search(folded) else ()))
        if number else (),
        unit_qualifier=_unit_qualifier(question) if number else "",
        rank=bool(re.search(r"\b(?:thu|hang|xep thu) (?:may|bao nhieu)\b", folded)),
        superseded=bool(_SUPERSEDED.search(folded)),
        clause=asked_clause(question),
    )


def reworded(intent: Intent, question: str) -> Intent:
    """The intent with the counted unit also read from the question as the thesaurus
    reworded it: "bao nhiêu chàng trai" asks for "thanh niên"."""
    if not intent.number:
        return intent
    units = tuple(dict.fromkeys(intent.units + _units(question)))   # either wording may be the report's
    return replace(intent, units=units)


def kind_named(question: str, title: str) -> bool:
    """Does the question name this document's kind ("báo cáo", "kế hoạch": its title's
    first two words)? "Ai ký báo cáo này" with a plan and a report indexed."""
    kind = " ".join(fold(title).lower().split()[:2])
    return bool(kind) and kind in fold(question).lower()

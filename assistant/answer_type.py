"""What kind of answer a sentence can give: a figure counting the asked unit, a rate,
a rank, a document number, a person. Shared by the reranker (which passages can answer
at all) and the answerer (which sentence to quote, or whether to refuse)."""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.vntext import NUMBER_RE, NUMBER_WORDS, fold, numbers_in, tokens
from assistant.document_names import DOCUMENT_KIND, named_documents
from assistant.intent import Intent

DOC_CODE = re.compile(r"\d+[/-][\wĐđ]+|số \d+")
PERSON_MARK = re.compile(r"\b(?:đồng chí|ông|bà)\s+\S", re.IGNORECASE)
# "Ai đứng đầu Ban Chỉ đạo?" is answered by an office as often as by a name: "do Chủ
# tịch UBND tỉnh làm Trưởng ban". Capitalised, as reports print an office held.
OFFICE = re.compile(
    r"\b(?:Phó )?(?:Chủ tịch|Bí thư|Giám đốc|Trưởng ban|Phó ban|Chánh Văn phòng|Chánh án|Thủ trưởng|"
    r"Tổng Giám đốc|Trưởng phòng|Viện trưởng|Cục trưởng|Chi cục trưởng|Thủ tướng|Bộ trưởng|Tổng Bí thư|"
    r"Chủ nhiệm)\b"
)
# Capitalised runs that start like this are bodies, places or documents, not people.
NOT_PERSON = {
    "sở", "ban", "bộ", "ủy", "uỷ", "ubnd", "hđnd", "tỉnh", "huyện", "thị", "thành", "xã", "phường", "chương",
    "nghị", "quyết", "kế", "cao", "trung", "đoàn", "hội", "văn", "tòa", "viện", "quỹ", "trường", "bệnh",
    "đại", "cổng", "kho", "công", "chính", "quốc", "nhà", "khu", "cụm", "trạm", "mặt", "tổ", "cục", "chi",
}


# Bodies as documents print them: the capitalised head word of an agency or organisation
# ("Sở Nội vụ", "Bộ Tài chính", "Công an tỉnh", "Hội Nông dân tỉnh"), or the bodies named
# as a class ("các sở, ngành", "Ủy ban nhân dân các cấp"). The lookaheads keep out the
# same words in other senses ("Ban hành", "Hội nghị", "Bộ máy", "Phòng, chống").
BODY = re.compile(
    r"(?<!\w)(?:Sở|Bộ(?! (?:máy|phận|tiêu chí|chỉ số|chỉ tiêu|dữ liệu|hồ sơ|công cụ|luật|Luật|quy tắc))|Ban(?! hành)|"
    r"Ủy ban|Uỷ ban|UBND|HĐND|Hội đồng|Cục|Chi cục|Tổng cục|Văn phòng|Thanh tra|Công an|Kho bạc|Ngân hàng|"
    r"Bảo hiểm xã hội|BHXH|Liên đoàn|Liên minh|Hội(?! (?:nghị|thảo|thi|diễn|chợ|nhập|đủ))|Tỉnh đoàn|Đoàn Thanh niên|"
    r"Mặt trận|MTTQ|Tòa án|Toà án|Viện|Trung tâm|Đài|Trường|Tổng công ty|Công ty|Tập đoàn|Chính phủ|"
    r"Thủ tướng|Quốc hội|Kiểm toán|Học viện|Bộ đội|Bộ Chỉ huy|Cảnh sát|Ban Chỉ đạo|Tỉnh ủy|Tỉnh uỷ|Thành ủy|"
    r"Huyện ủy|Đảng ủy|Phòng(?!,? (?:chống|ngừa|tránh|cháy)))(?!\w)"
    r"|\b(?:các|những) (?:sở|bộ|cơ quan|đơn vị|địa phương|ngành|tổ chức)\b|\b(?:ủy|uỷ) ban nhân dân\b",
)


def names_body(text: str) -> bool:
    return bool(BODY.search(text))


# Bodies every document of a province or ministry speaks for or to: naming one does not
# single out whose figures are asked.
_ISSUING_HEADS = {"ủy ban", "uỷ ban", "ubnd", "hđnd", "hội đồng", "chính phủ", "thủ tướng", "quốc hội", "ban chỉ đạo",
                  "tỉnh ủy", "tỉnh uỷ", "thành ủy", "huyện ủy", "đảng ủy"}
_LEVEL_WORDS = {"tỉnh", "huyện", "xã", "thành", "phố", "quận", "thị", "trung", "ương", "nhân", "dân"}


def named_bodies(question: str) -> list[str]:
    """The bodies a question names ("Thanh tra tỉnh", "Sở Nội vụ", "Bộ Công an"), folded,
    as their head and the first two syllables of the name (only its first is
    capitalised: "Sở Khoa học và Công nghệ"), or the level word that makes the head a
    body ("Công an tỉnh"). Acronyms ("Bộ TN&MT", "Văn phòng UBND") are left out, as
    documents spell them out."""
    found = []
    for match in BODY.finditer(question):
        head = match.group(0)
        if not head[:1].isupper() or head.lower() in _ISSUING_HEADS:
            continue
        after = re.match(r"\s+([^\W\d_]+)(?:\s+([^\W\d_]+))?", question[match.end():])
        if not after:
            continue
        first, second = after.group(1), after.group(2)
        if first.lower() in _LEVEL_WORDS:
            words = [first]
        elif first[0].isupper() and not (first.isupper() and len(first) > 1):
            if re.match(r"[&/]", question[match.end() + after.end(1):][:1]):
                continue      # "Bộ TN&MT"
            words = [first] + ([second] if second and not (second.isupper() and len(second) > 1) else [])
        else:
            continue
        found.append(fold(" ".join([head] + words)).lower())
    return found


# Qualifiers that exclude each other: a figure for "nông thôn" is not the one for "đô thị".
CONTRASTS = (
    ("nong thon", ("do thi", "thanh thi")),
    ("do thi", ("nong thon",)),
    ("thanh thi", ("nong thon",)),
    ("trong nuoc", ("nuoc ngoai",)),
    ("nuoc ngoai", ("trong nuoc",)),
    ("noi tru", ("ngoai tru",)),
    ("ngoai tru", ("noi tru",)),
    # revenue and spending, exports and imports: "tổng chi ngân sách" is not "tổng thu"
    ("tong chi", ("tong thu",)),
    ("tong thu", ("tong chi",)),
    ("chi ngan sach", ("thu ngan sach",)),
    ("thu ngan sach", ("chi ngan sach",)),
    ("xuat khau", ("nhap khau",)),
    ("nhap khau", ("xuat khau",)),
)


def contradicts(question: str, text: str) -> bool:
    """Does the text speak of the other side of a qualifier the question sets ("chất thải
    rắn sinh hoạt nông thôn" asked, "... đô thị" quoted) and not of the asked one?"""
    def words(t: str) -> str:
        return " " + " ".join(re.findall(r"\w+", fold(t).lower())) + " "
    asked, said = words(question), words(text)
    return any(f" {own} " in asked and f" {own} " not in said and any(f" {o} " in said for o in others)
               for own, others in CONTRASTS)


# A condition on a quantity ("đạt từ 70 điểm trở lên", "dưới 6 tuổi", "từ 50 điểm đến
# dưới 70 điểm"): the interval it sets on a unit. A passage that sets other intervals on
# the same unit, and not the asked one, speaks of another case.
_NUM = r"(\d+(?:[.,]\d+)?)"
_UNIT = r"\s*(%|[a-z]+)"
_CONDITIONS = (
    (re.compile(rf"\btu {_NUM}{_UNIT}? (?:\w+ )?den (duoi )?{_NUM}{_UNIT}"), "between"),
    (re.compile(rf"\btu {_NUM}{_UNIT} tro len\b"), "from"),
    (re.compile(rf"\b(?:duoi|it hon) {_NUM}{_UNIT}"), "below"),
    (re.compile(rf"\b(?:tren|hon) {_NUM}{_UNIT}"), "above"),
)


def _number(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def _condition_text(text: str) -> str:
    """Folded words, figures and "%" as a word of its own, one space apart."""
    return " ".join(re.findall(r"[\w%.,]+", fold(text).lower().replace("%", " %")))


def conditions(text: str) -> set[tuple[str, float, float, bool]]:
    """(unit, low, high, high included) of each condition the text sets on a quantity."""
    folded = _condition_text(text)
    found, inf = set(), float("inf")
    taken: list[tuple[int, int]] = []
    for pattern, kind in _CONDITIONS:
        for m in pattern.finditer(folded):
            if any(a <= m.start() < b for a, b in taken):
                continue          # "đến dưới 70 điểm" inside "từ 50 điểm đến dưới 70 điểm"
            taken.append(m.span())
            if kind == "between":
                unit = m.group(5)
                found.add((unit, _number(m.group(1)), _number(m.group(4)), not m.group(3)))
            elif kind == "below":
                found.add((m.group(2), -inf, _number(m.group(1)), False))
            else:             # "from", "above"
                found.add((m.group(2), _number(m.group(1)), inf, True))
    return found


def other_condition(question: str, text: str) -> bool:
    """Is the text about another case than the condition the question sets: it sets other
    conditions on the unit ("từ 70 điểm trở lên" asked, "từ 50 điểm đến dưới 70 điểm"
    quoted), or none and never names the bound ("70 điểm")?"""
    asked = conditions(question)
    if not asked:
        return False
    said = conditions(text)
    stated = {(unit, _number(n)) for n, unit in re.findall(rf"\b{_NUM}{_UNIT}", _condition_text(text))}

    def bound_named(a: tuple[str, float, float, bool]) -> bool:
        return any((a[0], b) in stated for b in (a[1], a[2]))
    return any(a not in said and (any(c[0] == a[0] for c in said) or not bound_named(a)) for a in asked)


# Units of time are left out: "6 tháng đầu năm" names the period, and a passage's "trong
# 3 tháng" is often another matter of the same period.
_TIME_WORDS = {"ngay", "thang", "nam", "quy", "tuan", "gio", "phut", "ky", "lan", "dot"}


_MULTIPLIERS = {"nghin": 1e3, "ngan": 1e3, "trieu": 1e6, "ty": 1e9, "ti": 1e9}
_AMOUNT = re.compile(rf"\b(\d+(?:[.,]\d+)*)(?:\s*(nghin|ngan|trieu|ty|ti)\b)?{_UNIT}")


def other_value(question: str, text: str) -> bool:
    """Does the text state another amount of a unit the question states an amount of
    ("doanh thu 100 triệu USD/năm" asked, "… đạt 20 triệu USD/năm" quoted), and not the
    asked one? The question's figures, other than its years and the documents it names,
    say which case is asked, as a condition does."""
    plain = _condition_text(without_citations(question))
    if conditions(question):
        return False          # an interval is other_condition's

    def amounts(folded: str) -> set[tuple[str, float]]:
        # "100 triệu USD" and "01 tỷ USD" are amounts of one unit, USD
        return {(unit, _number(n) * _MULTIPLIERS.get(times, 1)) for n, times, unit in _AMOUNT.findall(folded)
                if unit not in _TIME_WORDS and not re.fullmatch(r"(?:19|20)\d\d", n)}
    asked = amounts(plain)
    if not asked:
        return False
    said = amounts(_condition_text(text))
    ranges = conditions(text)

    def stated(a: tuple[str, float]) -> bool:
        # "suy giảm 65%" is the case "từ 61% đến 80%" sets
        return a in said or any(c[0] == a[0] and c[1] <= a[1] <= c[2] for c in ranges)
    return any(not stated(a) and any(s[0] == a[0] for s in said) for a in asked)


# A capitalised run right after these words names a place ("huyện Vân Khê"), not a person.
PLACE_WORDS = {"tỉnh", "huyện", "xã", "thị", "phố", "phường", "trấn", "thôn", "ấp", "bản", "làng", "sông",
               "hồ", "núi", "đường", "tại", "ở", "vùng", "khu", "cụm", "xóm", "tổ", "quận"}


def names_person(text: str, exclude: set[str] = frozenset()) -> bool:
    """A who-question needs a person in the answer: "đồng chí Bí thư", an office held
    ("Chủ tịch UBND tỉnh"), a personal name (a capitalised run that is not a body, a
    place, or a name the question itself uses)."""
    if PERSON_MARK.search(text) or OFFICE.search(text):
        return True
    for segment in re.split(r"[^\w\s]+", text):
        run: list[str] = []
        before = ""
        for word in segment.split() + [""]:
            if word[:1].isupper() and not word.isupper():
                run.append(word)
                continue
            if (len(run) >= 2 and run[0].lower() not in NOT_PERSON and before not in PLACE_WORDS
                    and not {w.lower() for w in run} <= exclude):
                return True
            run = []
            before = word.lower()
    return False


_ROMAN = re.compile(r"[ivxl]{1,6}")

COUNT_WORDS = {"một", "hai", "ba", "bốn", "sáu", "bảy", "tám", "chín", "mười", "mươi"}


def is_count(token: str) -> bool:
    """A figure that can count things: not a year (2024) nor a date (14/6/2024).
    Of the number words only the unambiguous cardinals count ("năm" is also "year",
    "tỷ" a multiplier that follows a figure)."""
    if token in COUNT_WORDS:
        return True
    if "/" in token and re.fullmatch(r"\d+(?:/\d+)+", token):
        # "41/52 trường" counts; "14/6/2024", "14/6" and "5/2024" are dates.
        parts = token.split("/")
        day_month = len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit() and int(parts[0]) <= 31 and int(parts[1]) <= 12
        return len(parts) == 2 and not day_month and len(parts[1]) < 4
    if not NUMBER_RE.fullmatch(token) or token.endswith("%"):
        return False      # "18% số hồ sơ" is a share, not a count of hồ sơ
    return not re.fullmatch(r"(?:19|20)\d\d", token)


def has_figure(text: str) -> bool:
    return bool(numbers_in(text)) or any(t in NUMBER_WORDS for t in tokens(text))



def answers_figure(text: str, intent: Intent) -> bool:
    """Can this sentence answer a "how many / what rate / which rank" question?"""
    if intent.percent:
        return "%" in text or "phần trăm" in text.lower()
    # A figure other than the section's own label ("(5)", "3.") must be present.
    body = re.sub(r"^\s*(?:\(\d+\)|\d+(?:\.\d+)*[.)])\s*", "", text)
    if not has_figure(body):
        return False
    words = tokens(body)                      # lower-cased, punctuation dropped
    folded = [fold(w) for w in words]
    if intent.rank:
        # "thứ 02", "thứ hai", "lần thứ IV"
        return any(f == "thu" and i + 1 < len(words) and (has_figure(words[i + 1]) or _ROMAN.fullmatch(words[i + 1]))
                   for i, f in enumerate(folded))
    if intent.units and text.lstrip().startswith("|"):
        # A table row states its unit once, in its label or header ("GDP bình quân đầu
        # người (USD) | 8.500"), not after each figure.
        return any(is_count(w) for w in words) and any(f.strip("()").split("/")[0] in intent.units for f in folded)
    if intent.units:
        # "bao nhiêu hộ nghèo" is not answered by "tỷ lệ hộ nghèo 2,86%": a figure
        # (not a year or a date) must count the asked unit ("57 trường", "45 ha").
        for i, w in enumerate(words):
            if not is_count(w):
                continue
            for k in range(i + 1, min(i + 4, len(folded))):
                # The narrowing word may stand elsewhere in the sentence: "Trong 22
                # chỉ tiêu chủ yếu ..., đã có 4 chỉ tiêu đạt" answers "chỉ tiêu chủ yếu".
                # "tạ/ha" counts "tạ"
                if folded[k].split("/")[0] in intent.units and (not intent.unit_qualifier or intent.unit_qualifier in folded):
                    return True
        return False
    return True


# "Năm nào", "ngày nào": a year, a day or a month must be in the answer, and not only
# the one the question itself names ("năm 2024 ... ngày nào" is not answered by "năm 2024").
DATE_MARKS = {
    "day": re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\bngày\s+\d{1,2}\b", re.IGNORECASE),
    "month": re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}/(?:19|20)\d\d\b|\btháng\s+\d{1,2}\b", re.IGNORECASE),
    "year": re.compile(r"\b(?:19|20)\d\d\b"),
    "": re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}/\d{1,2}\b|\b(?:ngày|tháng|quý)\s+(?:\d|[IVX]+\b)", re.IGNORECASE),
}


def names_date(text: str, intent: Intent, question: str = "") -> bool:
    pattern = DATE_MARKS[intent.date_part]
    asked = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in asked for m in pattern.finditer(text))


# A reference to another document: its number ("25/2010/TTLT-BLĐTBXH-BTC-BYT", "119-KH/TU"),
# the date it was issued, and whose it is ("… ngày 11/9/2010 của Liên Bộ Lao động …").
# They identify that document; they are not a figure, a date or a body the citing
# sentence states, so "thực hiện từ ngày nào" is not answered by "Thông tư … ngày 11/9/2010".
CITATION = re.compile(
    r"\b\d{1,5}(?:/(?:19|20)\d\d)?[/-][A-ZĐ][\wĐđ&/-]*"
    r"(?:\s+ngày\s+\d{1,2}(?:\s*/\s*\d{1,2}\s*/\s*(?:19|20)\d\d|\s+tháng\s+\d{1,2}\s+năm\s+(?:19|20)\d\d))?"
    r"(?:\s+của\s+[^,;.:()“”\"]{1,80}?(?=\s+(?:về|v/v|quy định|hướng dẫn|ban hành|phê duyệt|sửa đổi)\b|[,;.:()“”\"]|$))?"
)
# "Thực hiện theo Thông tư … ngày 11/9/2010", "theo quy định tại Quyết định số …": the rule
# followed, whose date is not when the thing is done. ("… quyết định chủ trương đầu tư tại
# Nghị quyết số 02/NQ-HĐND ngày 13/5/2024": the act is the document, its date the answer.)
_FOLLOWED = re.compile(r"\btheo\s+(?:quy định\s+(?:tại|của)\s+)?(?:[^\W\d_]+\s+){0,4}(?:số\s+)?$", re.IGNORECASE)


# A question that speaks of a document asks about that one: named by its number, the
# dates beside other numbers are not its; named by its kind ("Quyết định thành lập Ban
# Chỉ đạo … ban hành ngày nào"), the date of the one a sentence cites may be it.
@lru_cache(maxsize=256)
def _documents_asked(question: str) -> tuple[frozenset[str], bool, bool]:
    """The serial numbers a question states, whether it names a document by number and
    whether by kind: read once per question, not once per sentence checked against it.
    ("Quyết định 1056 … ngày nào": the date beside another document's number, "thay thế
    Quyết định số 1704/QĐ-CT ngày 15/10/2007", is that document's.)"""
    folded = fold(question).lower()
    return (frozenset(re.findall(r"(?<![\d.,])\d{1,5}(?![\d.,]\d)", question)),
            bool(named_documents(question)), bool(DOCUMENT_KIND.search(folded)))


def without_citations(text: str, question: str = "", followed_only: bool = False) -> str:
    """The text without its references to documents, except those to a document the
    question names by number ("Nghị định 95/2021/NĐ-CP … ban hành ngày nào" is answered by
    "Nghị định số 95/2021/NĐ-CP ngày 01 tháng 11 năm 2021"); `followed_only` (a date
    question): a question naming a document by number keeps only that one's, one naming a
    kind of document keeps them all, any other loses only the references to a rule followed."""
    asked, named, kind = _documents_asked(question)

    def masked(m: re.Match) -> str:
        if re.match(r"\d+", m.group(0)).group(0) in asked:
            return m.group(0)
        if followed_only and not named and (kind or not _FOLLOWED.search(text[max(0, m.start() - 60):m.start()])):
            return m.group(0)
        return " "
    return CITATION.sub(masked, text)


def satisfies(text: str, intent: Intent, question_names: frozenset[str] = frozenset(), question: str = "") -> bool:
    """Does this sentence hold the kind of answer the question asks for? A question that
    asks for a document's number or issue date is answered by a reference to it; a date
    question, by any but a reference to a rule followed; any other question, by none."""
    if not (intent.code or intent.issued):
        # "Nghị định 95/2021/NĐ-CP … ban hành ngày nào": the named one's date is asked
        text = without_citations(text, question, followed_only=True) if intent.date else without_citations(text)
    if intent.date and not names_date(text, intent, question):
        return False
    if (intent.number or intent.percent or intent.rank) and not answers_figure(text, intent):
        return False
    if intent.code and not DOC_CODE.search(text):
        return False
    if intent.who or intent.body:
        # "Ai chủ trì" is answered by an office or by a body; "cơ quan nào" only by a body.
        if not ((intent.who and names_person(text, exclude=question_names)) or (intent.body and names_body(text))):
            return False
    return True

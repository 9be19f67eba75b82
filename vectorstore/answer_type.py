"""What kind of answer a sentence can give: a figure counting the asked unit, a rate,
a rank, a document number, a person. Shared by the reranker (which passages can answer
at all) and the answerer (which sentence to quote, or whether to refuse)."""

from __future__ import annotations

import re

from ingest.vntext import NUMBER_RE, NUMBER_WORDS, fold, numbers_in, tokens
from vectorstore.intent import Intent

DOC_CODE = re.compile(r"\d+[/-][\wĐđ]+|số \d+")
PERSON_MARK = re.compile(r"\b(?:đồng chí|ông|bà)\s+\S", re.IGNORECASE)
# Capitalised runs that start like this are bodies, places or documents, not people.
NOT_PERSON = {
    "sở", "ban", "bộ", "ủy", "uỷ", "ubnd", "hđnd", "tỉnh", "huyện", "thị", "thành", "xã", "phường", "chương",
    "nghị", "quyết", "kế", "cao", "trung", "đoàn", "hội", "văn", "tòa", "viện", "quỹ", "trường", "bệnh",
    "đại", "cổng", "kho", "công", "chính", "quốc", "nhà", "khu", "cụm", "trạm", "mặt", "tổ", "cục", "chi",
}


def names_person(text: str, exclude: set[str] = frozenset()) -> bool:
    """A who-question needs a person in the answer: "đồng chí Bí thư", a personal name
    (a capitalised run that is not a body or place the question itself names)."""
    if PERSON_MARK.search(text):
        return True
    for segment in re.split(r"[^\w\s]+", text):
        run: list[str] = []
        for word in segment.split() + [""]:
            if word[:1].isupper() and not word.isupper():
                run.append(word)
                continue
            if len(run) >= 2 and run[0].lower() not in NOT_PERSON and not {w.lower() for w in run} <= exclude:
                return True
            run = []
    return False


COUNT_WORDS = {"một", "hai", "ba", "bốn", "sáu", "bảy", "tám", "chín", "mười", "mươi"}


def is_count(token: str) -> bool:
    """A figure that can count things: not a year (2024) nor a date (14/6/2024).
    Of the number words only the unambiguous cardinals count ("năm" is also "year",
    "tỷ" a multiplier that follows a figure)."""
    if token in COUNT_WORDS:
        return True
    if not NUMBER_RE.fullmatch(token) or token.endswith("%"):
        return False      # "18% số hồ sơ" is a share, not a count of hồ sơ
    if "/" in token:
        # "41/52 trường" counts; "14/6/2024", "14/6" and "5/2024" are dates.
        parts = token.split("/")
        day_month = len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit() and int(parts[0]) <= 31 and int(parts[1]) <= 12
        return len(parts) == 2 and not day_month and len(parts[1]) < 4
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
        return any(f == "thu" and i + 1 < len(words) and has_figure(words[i + 1]) for i, f in enumerate(folded))
    if intent.units:
        # "bao nhiêu hộ nghèo" is not answered by "tỷ lệ hộ nghèo 2,86%": a figure
        # (not a year or a date) must count the asked unit ("57 trường", "45 ha").
        for i, w in enumerate(words):
            if not is_count(w):
                continue
            for k in range(i + 1, min(i + 4, len(folded))):
                # The narrowing word may stand elsewhere in the sentence: "Trong 22
                # chỉ tiêu chủ yếu ..., đã có 4 chỉ tiêu đạt" answers "chỉ tiêu chủ yếu".
                if folded[k] in intent.units and (not intent.unit_qualifier or intent.unit_qualifier in folded):
                    return True
        return False
    return True


def satisfies(text: str, intent: Intent, question_names: frozenset[str] = frozenset()) -> bool:
    """Does this sentence hold the kind of answer the question asks for?"""
    if (intent.number or intent.percent or intent.rank) and not answers_figure(text, intent):
        return False
    if intent.code and not DOC_CODE.search(text):
        return False
    if intent.who and not names_person(text, exclude=question_names):
        return False
    return True

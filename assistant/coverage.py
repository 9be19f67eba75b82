"""How much of a question a passage covers: the shared signal of the reranker and the
answerer.

A question's topic words (stop words and question words removed, diacritics restored
first so "đâu" and "đầu" stay apart) are weighted by their rarity (idf) in the indexed
reports; a passage covers the share of that weight whose words (or word pairs) it
contains. Rare words decide: "GRDP" matters, "tỉnh" hardly.
"""

from __future__ import annotations

import re

from ingest.vntext import fold, has_diacritics, search_tokens
from vectorstore.lexical import LexicalIndex

# Question words and glue that say nothing about the topic, accented: folded, "đâu"
# (where) would swallow "đầu" (đầu tư) and "từ" would swallow "tư".
STOP = set(
    """
    là gì bao nhiêu mấy nào thế như ra sao có không được đã của và các những cho với về trong tại thì ở để
    sẽ hay bạn tôi vậy à nhé cái này đó kia ai khi đâu hỏi xin vui lòng hiện nay đến hết theo từ trên dưới
    làm biết muốn người một giờ lúc năm tháng ngày nhiêu
    vì bị còn vẫn đang cũng nữa rồi mà nhưng nên chứ chuyện thảy nhỉ nha hả ạ khoản mức
    hai ba bốn sáu bảy tám chín mười
    """.split()
)
# Number words ("trong ba năm tới") are the question's own figures, not its topic: read
# as rare words they outweigh it ("năm thứ ba" is not what it asks about).
FORMAT_WORDS = {"phan", "tram", "phan_tram"}   # "bao nhiêu phần trăm" asks a format, not a topic
# Phrases that frame a question ("cam kết của tỉnh về y tế") without being its topic:
# reports state commitments without the word.
# Relative times ("năm ngoái", "sắp tới") are framing too: they name no period a report
# prints, and read as rare words they would outweigh the topic.
FRAMING = re.compile(
    r"\b(?:cam kết|cho (?:tôi )?biết|xin hỏi|làm ơn|vui lòng|vì sao|tại sao|"
    r"năm (?:nay|ngoái|qua|tới|sau|trước)|thời gian tới|sắp tới)\b",
    re.IGNORECASE,
)


IDENTITY_WEIGHT = 0.2
# Adverbs, prepositions, pronouns, conjunctions and particles of everyday speech ("lại",
# "nhau", "hoặc", "vào") are rare in formal reports, so their idf is high; read as topic
# they decide coverage, and a question asked in plain words is refused for them.
GLUE_TAGS = frozenset({"P", "R", "L", "E", "C", "CC", "I", "T"})
GLUE_WEIGHT = 0.1


def glue_syllables(question: str) -> frozenset[str]:
    """Folded syllables of the question's function words, by part of speech; a word
    that is also tagged as content elsewhere in the question keeps its weight."""
    if not has_diacritics(question):
        return frozenset()      # untagged without its marks: nothing is demoted
    from ingest.segmentation import tagged

    glue, content = set(), set()
    for word, tag in tagged(question):
        parts = {fold(p).lower() for p in word.split("_")}
        (glue if tag in GLUE_TAGS else content).update(parts)
    return frozenset(glue - content)


def question_identity(text: str, identity: frozenset[str]) -> frozenset[str]:
    """The words of a question that name a report: the words of "ủy ban nhân dân tỉnh
    huyện", and both syllables of a name's pair the question spells out ("Hà Nam")."""
    toks = [fold(t) for t in search_tokens(text)]
    out = {t for t in toks if t in identity}
    for a, b in zip(toks, toks[1:]):
        if f"{a}_{b}" in identity:
            out |= {a, b}
    return frozenset(out)


def question_weights(
    question: str, stats: LexicalIndex, drop_format: bool = False, identity: frozenset[str] = frozenset()
) -> dict[str, float]:
    """Topic terms of a (diacritic-restored) question -> idf weight.

    `identity` holds the words that name the reports themselves (their place, issuer,
    kind: "UBND tỉnh Bình Phước"): a question uses them to say which report it means,
    not what passage it wants, so they count for little.
    """
    framed = FRAMING.sub(" ", question)
    toks = [fold(t) for t in search_tokens(framed) if t not in STOP]
    if drop_format:
        toks = [t for t in toks if t not in FORMAT_WORDS]
    glue = glue_syllables(framed)
    weights: dict[str, float] = {
        term: stats.idf(term) * (IDENTITY_WEIGHT if term in identity else GLUE_WEIGHT if term in glue else 1.0)
        for term in toks
    }
    # A pair of question words that never occurs together in the reports is an
    # artefact of phrasing, not missing evidence: only known pairs add weight.
    for a, b in zip(toks, toks[1:]):
        if stats.df.get(f"{a}_{b}", 0):
            factor = IDENTITY_WEIGHT if a in identity and b in identity else 1.0
            weights[f"{a}_{b}"] = 0.5 * stats.idf(f"{a}_{b}") * factor
    return weights


def coverage(weights: dict[str, float], terms: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0


def best_coverage(wordings: list[dict[str, float]], terms: set[str]) -> float:
    """Coverage of a question asked in several wordings (as typed, and with a phrase in
    the reports' other words): a passage answers it as well as its best wording."""
    return max((coverage(w, terms) for w in wordings), default=0.0)



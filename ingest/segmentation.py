"""Vietnamese word segmentation and part-of-speech tags (pyvi's CRF models, bundled).

Used where syllables are not enough: telling the nouns of a question (its topic:
"giá xăng dầu") from its verbs and function words ("chiếm", "đạt", "là").
"""

from __future__ import annotations

from functools import lru_cache

from ingest.vntext import fold

# Classifiers ("Nc": "ngôi" mộ, "chiếc" xe, "con" trâu) count a noun without naming a
# topic, so they are not among a question's nouns: "một ngôi mộ đất" is about "mộ đất".
_NOUN_TAGS = {"N", "Np", "Nu", "Ny"}


@lru_cache(maxsize=1)
def _tagger():
    from pyvi import ViPosTagger, ViTokenizer

    return ViTokenizer, ViPosTagger


def words(text: str) -> list[str]:
    """Segmented words, syllables of one word joined by '_' ("kinh_tế")."""
    tokenizer, _ = _tagger()
    return tokenizer.tokenize(text).split()


@lru_cache(maxsize=4096)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """(word, POS tag) pairs, e.g. ("hộ", "N"), ("nghèo", "A")."""
    tokenizer, tagger = _tagger()
    tokens, tags = tagger.postagging(tokenizer.tokenize(text))
    return tuple(zip(tokens, (str(t) for t in tags)))


@lru_cache(maxsize=4096)
def noun_syllables(text: str) -> frozenset[str]:
    """Folded, lower-cased syllables of the nouns in text."""
    out = set()
    for token, tag in tagged(text):
        if tag in _NOUN_TAGS:
            out.update(fold(part).lower() for part in token.split("_"))
    return frozenset(out)

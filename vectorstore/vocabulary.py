"""The reports' own spellings: which accented form each folded syllable takes in the
indexed text, and which forms stand next to each other. An index like BM25's, derived
from the chunks and rebuilt with them; assistant/diacritics.py reads it to put the marks
back into a question typed without them."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from ingest.vntext import fold

_WORD = re.compile(r"[^\W\d_]+")


class SyllableStats:
    def __init__(self, texts: list[str]) -> None:
        self.forms: dict[str, Counter[str]] = defaultdict(Counter)     # folded -> accented form -> count
        self.pairs: Counter[tuple[str, str]] = Counter()               # adjacent accented forms
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        for phrase in text.split("."):      # phrases do not pair across a full stop
            words = [w.lower() for w in _WORD.findall(phrase)]
            for word in words:
                self.forms[fold(word)][word] += 1
            self.pairs.update(zip(words, words[1:]))

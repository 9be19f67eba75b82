"""The reports' own spellings: which accented form each folded syllable takes in the
indexed text, and which forms stand next to each other. An index like BM25's, derived
from the chunks and updated with them (a report's text added or taken out); assistant/diacritics.py reads it to put the marks
back into a question typed without them."""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict

from ingest.vntext import fold

_WORD = re.compile(r"[^\W\d_]+")


class SyllableStats:
    def __init__(self, texts: list[str]) -> None:
        self.forms: dict[str, Counter[str]] = defaultdict(Counter)     # folded -> accented form -> count
        self.pairs: Counter[tuple[str, str]] = Counter()               # adjacent accented forms
        self._lock = threading.Lock()     # a report is counted in while questions read
        for text in texts:
            self.add(text)

    def __getstate__(self) -> dict:
        return {"forms": dict(self.forms), "pairs": self.pairs}

    def __setstate__(self, state: dict) -> None:
        self.forms = defaultdict(Counter, state["forms"])
        self.pairs = state["pairs"]
        self._lock = threading.Lock()

    def add(self, text: str) -> None:
        self._count(text, 1)

    def remove(self, text: str) -> None:
        """Undo `add` of the same text (a report replaced or deleted)."""
        self._count(text, -1)

    def forms_of(self, folded: str) -> Counter[str]:
        """The accented forms of a folded syllable, with counts (a copy)."""
        with self._lock:
            return Counter(self.forms.get(folded, ()))

    def pair(self, a: str, b: str) -> int:
        return self.pairs.get((a, b), 0)

    def _count(self, text: str, sign: int) -> None:
        # phrases do not pair across a full stop
        phrases = [[w.lower() for w in _WORD.findall(phrase)] for phrase in text.split(".")]
        with self._lock:
            for words in phrases:
                for word in words:
                    forms = self.forms[fold(word)]
                    forms[word] += sign
                    if forms[word] <= 0:
                        del forms[word]
                for pair in zip(words, words[1:]):
                    self.pairs[pair] += sign
                    if self.pairs[pair] <= 0:
                        del self.pairs[pair]

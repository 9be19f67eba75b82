"""Everyday words -> the words reports print: a thesaurus for questions.

Citizens ask "chích ngừa", "xài smartphone", "đi bộ đội"; reports say "tiêm chủng",
"điện thoại thông minh", "giao quân". BM25 cannot match them, the small embedding
model matches them weakly, and the answerer would refuse the question because its key
words appear in no report. `assistant/data/vi_synonyms*.txt` list such groups
(`everyday | ... => formal | ...`).

Only words the indexed reports do not use are rewritten: when a report says "bà con"
itself, the question's own words match and are kept. A phrase is replaced by the first
of its formal forms that the reports do use; when they use none, the question is left
as it is, so a topic no report covers is still refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.vntext import fold, has_diacritics, tokens
from vectorstore.lexical import LexicalIndex

# vi_synonyms.txt and further batches beside it (vi_synonyms_*.txt), read as one.
PACKAGED = Path(__file__).with_name("data")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Rewrite:
    text: str                                   # the question with everyday phrases replaced
    replaced: tuple[tuple[str, str], ...] = ()  # (as asked, as reports say it)
    # The question with one phrase the reports do use put in its formal form as well
    # ("thu hút đầu tư" -> "xúc tiến đầu tư"): a passage may use either.
    variants: tuple[str, ...] = ()


@dataclass
class Thesaurus:
    # first syllable -> [(phrase syllables, formal forms)], longest phrases first
    _by_first: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = field(default_factory=dict)
    _by_first_folded: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = field(default_factory=dict)
    groups: int = 0

    @classmethod
    def parse(cls, text: str) -> Thesaurus:
        thesaurus = cls()
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if "=>" not in line:
                continue
            left, right = line.split("=>", 1)
            formal = tuple(p.strip().lower() for p in right.split("|") if p.strip())
            everyday = [tuple(tokens(p)) for p in left.split("|") if tokens(p)]
            if not formal or not everyday:
                continue
            thesaurus.groups += 1
            for phrase in everyday:
                thesaurus._by_first.setdefault(phrase[0], []).append((phrase, formal))
                if len(phrase) >= 2:      # one folded syllable ("chich") is too ambiguous
                    folded = tuple(fold(t) for t in phrase)
                    thesaurus._by_first_folded.setdefault(folded[0], []).append((folded, formal))
        for table in (thesaurus._by_first, thesaurus._by_first_folded):
            for entries in table.values():
                entries.sort(key=lambda e: -len(e[0]))
        return thesaurus

    @classmethod
    def load(cls, path: Path) -> Thesaurus:
        return cls.parse(path.read_text(encoding="utf-8"))

    @classmethod
    def packaged(cls) -> Thesaurus:
        """The thesaurus shipped with the package: every batch of groups, as one."""
        files = sorted(PACKAGED.glob("vi_synonyms*.txt"))
        return cls.parse("\n".join(f.read_text(encoding="utf-8") for f in files))

    def rewrite(self, question: str, stats: LexicalIndex, accented: bool | None = None) -> Rewrite:
        """`accented`: whether the user typed diacritics (the question given may have
        had them restored, not always rightly); a question typed without them is
        matched on folded phrases of two syllables or more only."""
        if not self.groups or not stats.size:
            return Rewrite(question)
        accented = has_diacritics(question) if accented is None else accented
        words = list(_WORD.finditer(question))
        exact = [(tokens(m.group(0)) or [m.group(0).lower()])[0] for m in words]
        folded = [fold(t) for t in exact]
        edits: list[tuple[int, int, str]] = []          # unknown phrases -> the reports' form
        alternatives: list[tuple[int, int, str]] = []   # known phrases -> another form they use
        replaced: list[tuple[str, str]] = []
        i = 0
        while i < len(words):
            # Typed with its marks, a phrase matches only as written: folded, "phần tiền"
            # (a share of money) would be "phân tiền" (to allocate money).
            if accented:
                match = self._match(exact, i, self._by_first)
            else:
                match = self._match(folded, i, self._by_first_folded)
            if not match:
                i += 1
                continue
            length, formal = match
            start, end = words[i].start(), words[i + length - 1].end()
            asked = question[start:end]
            if not _known(asked if accented else fold(asked), stats):
                target = next((f for f in formal if _known(f, stats)), None)
                if target is not None:
                    edits.append((start, end, target))
                    replaced.append((asked, target))
            else:
                # A form that only extends the asked words ("dữ liệu đất" -> "cơ sở dữ liệu
                # đất đai") would repeat them around itself.
                other = next((f for f in formal if fold(asked) not in fold(f) and _known(f, stats)), None)
                if other is not None:
                    alternatives.append((start, end, other))
            i += length
        return Rewrite(
            _apply(question, edits), tuple(replaced),
            tuple(_apply(question, edits + [alt]) for alt in alternatives[:3]),
        )

    @staticmethod
    def _match(seq: list[str], i: int, table) -> tuple[int, tuple[str, ...]] | None:
        for phrase, formal in table.get(seq[i], ()):
            if tuple(seq[i : i + len(phrase)]) == phrase:
                return len(phrase), formal
        return None


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, replacement in sorted(edits):
        out.append(text[pos:start] + replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _known(phrase: str, stats: LexicalIndex) -> bool:
    """Do the indexed reports use this phrase: its syllable pairs (or its one syllable,
    as written) occur in them."""
    words = tokens(phrase)
    if not words:
        return False
    if len(words) == 1:
        return bool(stats.df_exact.get(words[0], 0) if has_diacritics(phrase) else stats.df.get(fold(words[0]), 0))
    folded = [fold(w) for w in words]
    return all(stats.df.get(f"{a}_{b}", 0) for a, b in zip(folded, folded[1:]))

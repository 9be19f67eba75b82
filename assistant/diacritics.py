"""Putting diacritics back into a question typed without them, from the indexed reports.

"ty le truong dat chuan quoc gia" is ambiguous syllable by syllable (ty: tỷ/tý/tỵ...),
but the reports themselves say which forms occur and which pairs occur together. A
Viterbi pass over the question's syllables picks, for each, one of the accented forms
seen in the reports, preferring forms that the reports use next to each other. The
dense model (trained on accented text) then sees a question it can embed properly.
Syllables the reports never use are left as typed.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from ingest.vntext import fold, has_diacritics
from vectorstore.vocabulary import SyllableStats

_WORD = re.compile(r"[^\W\d_]+")

# Reports are statements; questions are built from words reports rarely use. These
# common question and function words (standard spelling) seed the model so that
# "bao nhieu" becomes "bao nhiêu", not the "bảo ... nhiều" a report would suggest.
_QUESTION_WORDS = (
    "bao nhiêu. là bao nhiêu. là gì. làm gì. làm gì để. để làm gì. sẽ làm gì. đã làm gì. cần làm gì. "
    "những gì. như thế nào. ra sao. thì sao. ở đâu. khi nào. bao giờ. lúc nào. vì sao. tại sao. mấy. ai. "
    "có không. được không. chưa. sẽ. đã. đang. để. cho. của. với. về. nửa năm. năm nay. năm tới. sắp tới. "
    "còn. thế nào. gì. nào. đâu. cam kết. kế hoạch. nhiệm vụ. mục tiêu. chỉ tiêu. phương hướng"
)
_SEED_COUNT = 10
_SEED = SyllableStats([_QUESTION_WORDS] * _SEED_COUNT)


class DiacriticRestorer:
    """Restores from the reports' syllable statistics (vectorstore/vocabulary.py) and a
    small seed of question words, which the reports rarely use."""

    def __init__(self, stats: SyllableStats, pair_weight: float = 2.0) -> None:
        self._stats = stats
        self._seed = _SEED
        self._pair_weight = pair_weight

    def _forms(self, folded: str) -> Counter[str]:
        return self._stats.forms_of(folded) + self._seed.forms_of(folded)

    def _pair(self, prev: str, form: str) -> int:
        return self._stats.pair(prev, form) + self._seed.pair(prev, form)

    def restore(self, question: str) -> str:
        """The question with diacritics restored; unchanged if it already has some."""
        if has_diacritics(question):
            return question
        matches = list(_WORD.finditer(question))
        if not matches:
            return question
        options = [
            [form for form, _ in self._forms(m.group(0).lower()).most_common(6)] or [m.group(0).lower()]
            for m in matches
        ]
        # Viterbi over candidate forms: unigram frequency plus a bonus for attested pairs.
        best: list[dict[str, tuple[float, str | None]]] = []
        for i, forms in enumerate(options):
            column: dict[str, tuple[float, str | None]] = {}
            for form in forms:
                unigram = math.log1p(self._forms(fold(form))[form])
                if i == 0:
                    column[form] = (unigram, None)
                    continue
                column[form] = max(
                    (score + unigram + self._pair_weight * math.log1p(self._pair(prev, form)), prev)
                    for prev, (score, _) in best[-1].items()
                )
            best.append(column)
        form = max(best[-1], key=lambda f: best[-1][f][0])
        chosen = [form]
        for i in range(len(best) - 1, 0, -1):
            form = best[i][form][1]
            chosen.append(form)
        chosen.reverse()
        out, last = [], 0
        for match, form in zip(matches, chosen):
            typed = match.group(0)
            out.append(question[last : match.start()])
            out.append(form.capitalize() if typed[:1].isupper() else form)
            last = match.end()
        out.append(question[last:])
        return "".join(out)

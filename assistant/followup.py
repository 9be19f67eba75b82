"""Turning a follow-up ("còn công nghiệp thì sao?") into a standalone question.

Without an LLM to rewrite it, a short follow-up that leans on the previous turn is
merged with the previous question: the new words carry the new topic, the old
question carries what is being asked (a rate, a rank, a commitment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import Turn
from ingest.vntext import fold

# "còn ... thì sao", "thế còn ...", "vậy ... thì sao", "... thì thế nào": leaning on context.
_FOLLOWUP = re.compile(
    r"^(?:con|the con|vay con|vay|va|con ve)\b|\b(?:thi sao|the nao|ra sao|thi the nao)\s*\??$"
)
_FILLER = re.compile(r"^(?:còn|thế còn|vậy còn|vậy|và|còn về)\s+|\s*(?:thì sao|thì thế nào|thế nào|ra sao)\s*\??\s*$", re.IGNORECASE)
_FILLER_FOLDED = re.compile(r"^(?:con|the con|vay con|vay|va|con ve)\s+|\s*(?:thi sao|thi the nao|the nao|ra sao)\s*\??\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rewritten:
    question: str          # what retrieval and answering see
    focus: str = ""        # a follow-up's new topic, which the answer must be about


def standalone_question(question: str, history: list[Turn]) -> Rewritten:
    if not history:
        return Rewritten(question)
    folded = fold(question).lower().strip()
    if len(folded.split()) > 10 or not _FOLLOWUP.search(folded):
        return Rewritten(question)
    topic = _FILLER.sub("", question).strip() or question
    if topic == question:
        topic = _FILLER_FOLDED.sub("", question).strip() or question
    previous = history[-1].question
    # The previous question says what is asked (a rate, a rank); the follow-up says
    # about what. Without the focus, "GRDP ... còn công nghiệp?" would be answered
    # with the GRDP sentence again, which matches more of the merged words.
    return Rewritten(f"{topic} {previous}", focus=topic)

"""Turning a follow-up ("còn công nghiệp thì sao?") into a standalone question.

Without an LLM to rewrite it, a short follow-up that leans on the previous turn is
merged with the previous question: the new words carry the new topic, the old
question carries what is being asked (a rate, a rank, a commitment).
"""

from __future__ import annotations

import re

from assistant.models import Turn
from ingest.vntext import fold

# "còn ... thì sao", "thế còn ...", "vậy ... thì sao", "... thì thế nào": leaning on context.
_FOLLOWUP = re.compile(
    r"^(?:con|the con|vay con|vay|va|con ve)\b|\b(?:thi sao|the nao|ra sao|thi the nao)\s*\??$"
)
_FILLER = re.compile(r"^(?:còn|thế còn|vậy còn|vậy|và|còn về)\s+|\s*(?:thì sao|thì thế nào|thế nào|ra sao)\s*\??\s*$", re.IGNORECASE)
_FILLER_FOLDED = re.compile(r"^(?:con|the con|vay con|vay|va|con ve)\s+|\s*(?:thi sao|thi the nao|the nao|ra sao)\s*\??\s*$", re.IGNORECASE)


def standalone_question(question: str, history: list[Turn]) -> str:
    if not history:
        return question
    folded = fold(question).lower().strip()
    if len(folded.split()) > 10 or not _FOLLOWUP.search(folded):
        return question
    topic = _FILLER.sub("", question).strip() or question
    if topic == question:
        topic = _FILLER_FOLDED.sub("", question).strip() or question
    previous = history[-1].question
    return f"{previous} {topic}"

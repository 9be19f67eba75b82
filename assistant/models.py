"""The answer as the contract shapes it (ask --json, REST, UI)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Citation(BaseModel):
    doc_id: str
    doc_title: str
    section_id: str
    section_path: str
    quote: str             # an exact substring of the section's text
    score: float           # how well this quote matches the question, 0..1


class Answer(BaseModel):
    question: str
    answer: str
    found: bool
    citations: list[Citation] = Field(default_factory=list)
    mode: str = "extractive"       # "extractive" | "llm" | "extractive-fallback"
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # why the answerer refused (for logs and the learned gate); not part of the contract
    reason: str = Field(default="", exclude=True)


class Turn(BaseModel):
    """One exchange of a chat history (for follow-up questions)."""

    question: str
    answer: str = ""

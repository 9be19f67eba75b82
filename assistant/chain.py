"""The retrieval chain: question -> retriever -> answerer, as LangChain Runnables.

    {"input": question, "doc_ids": [...]}
      | assign(analysis = the question read once)
      | assign(context  = retriever(analysis))                (timed)
      | assign(answer   = answerer(input, context, analysis))  (timed)
      | finish(answer, analysis)     the series' other reports, when one of several answered

The answerer is a seam (`Answerer` protocol): the grounded extractive one by default,
an LLM-backed one behind the same interface.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from assistant.models import Answer
from assistant.question import QuestionAnalysis
from assistant.retrieval import HybridRetriever


class Answerer(Protocol):
    mode: str

    def answer(self, question: str, docs: list[Document], focus: str = "",
               analysis: QuestionAnalysis | None = None) -> Answer: ...


Finish = Callable[[Answer, QuestionAnalysis], Answer]


def build_chain(retriever: HybridRetriever, answerer: Answerer, finish: Finish | None = None) -> Runnable:
    """{"input", "focus", "doc_ids"} -> Answer. The question is read once, in the first
    step, and the same analysis goes to the retriever and to the answerer; `finish`
    (the series' other reports) sees the answer with it."""

    def analyze(inputs: dict) -> QuestionAnalysis:
        return retriever.analyze(inputs["input"], inputs.get("focus", ""), inputs.get("doc_ids"))

    def retrieve(inputs: dict) -> dict:
        started = time.perf_counter()
        hits = retriever.search(inputs["input"], inputs.get("doc_ids"), analysis=inputs["analysis"])
        return {"docs": [hit.to_document() for hit in hits], "ms": (time.perf_counter() - started) * 1000}

    def answer(inputs: dict) -> Answer:
        started = time.perf_counter()
        result = answerer.answer(inputs["input"], inputs["context"]["docs"], inputs.get("focus", ""),
                                 analysis=inputs["analysis"])
        answer_ms = (time.perf_counter() - started) * 1000
        retrieve_ms = inputs["context"]["ms"]
        result.timings_ms = {
            "retrieve": round(retrieve_ms, 1), "answer": round(answer_ms, 1),
            "total": round(retrieve_ms + answer_ms, 1),
        }
        return result

    return (
        RunnablePassthrough.assign(analysis=RunnableLambda(analyze, name="analyze"))
        | RunnablePassthrough.assign(context=RunnableLambda(retrieve, name="retrieve"))
        | RunnablePassthrough.assign(answer=RunnableLambda(answer, name="answer"))
        | RunnableLambda(lambda x: finish(x["answer"], x["analysis"]) if finish else x["answer"], name="result")
    )

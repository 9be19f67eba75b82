"""Scoring a question set (contract format) against what is indexed.

Two levels, per question kind and overall:
- retrieval: hit@1, hit@3 and MRR@10 of the expected section among the retriever's
  ranked sections (each section counted once);
- answer: first citation in an expected section, every fact group present, out-of-scope
  questions refused, answerable ones not refused, figures not backed by a quote.
An optional "doc" field in a question restricts a hit to that report.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from assistant.extractive import ungrounded_numbers
from assistant.models import Answer
from ingest.loaders import InputError
from assistant.retrieval import ranked_sections


@dataclass
class Question:
    id: str
    q: str
    facts: list[list[str]]
    sections: list[str]
    kind: str
    doc: str | None = None

    @property
    def answerable(self) -> bool:
        return self.kind != "out-of-scope"


@dataclass
class QuestionResult:
    question: Question
    answer: Answer
    rank: int | None             # 1-based rank of the first expected section, None if not in top 10
    first_citation_ok: bool
    facts_ok: bool
    ungrounded: list[str]

    def to_json(self) -> dict:
        return {
            "id": self.question.id, "kind": self.question.kind, "q": self.question.q,
            "found": self.answer.found, "rank": self.rank, "first_citation_ok": self.first_citation_ok,
            "facts_ok": self.facts_ok, "ungrounded": self.ungrounded,
            "cited": [c.section_id for c in self.answer.citations], "expected": self.question.sections,
            "answer": self.answer.answer, "mode": self.answer.mode, "reason": self.answer.reason,
        }


@dataclass
class EvalReport:
    results: list[QuestionResult] = field(default_factory=list)
    seconds: float = 0.0
    # Generative mode only: seconds to the first streamed token, tokens per second.
    ttft: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)

    def generation(self) -> dict | None:
        """How the chat model did: answers it wrote that passed the grounding guard,
        answers that fell back to the extractive one, and its speed."""
        modes = [r.answer.mode for r in self.results if r.answer.found]
        if not self.ttft and "llm" not in modes:
            return None
        return {
            "llm_answers": modes.count("llm"), "fell_back": modes.count("extractive-fallback"),
            "ttft_p50_s": round(statistics.median(self.ttft), 2) if self.ttft else None,
            "ttft_p95_s": round(sorted(self.ttft)[int(0.95 * (len(self.ttft) - 1))], 2) if self.ttft else None,
            "tokens_per_s_p50": round(statistics.median(self.rates), 1) if self.rates else None,
        }

    def metrics(self, kind: str | None = None) -> dict[str, float | int]:
        rs = [r for r in self.results if kind is None or r.question.kind == kind]
        answerable = [r for r in rs if r.question.answerable]
        with_sections = [r for r in answerable if r.question.sections]
        oos = [r for r in rs if not r.question.answerable]
        n_sec = len(with_sections) or 1

        def share(items, pred) -> float:
            return round(sum(1 for r in items if pred(r)) / len(items), 3) if items else float("nan")

        return {
            "n": len(rs),
            "hit@1": share(with_sections, lambda r: r.rank == 1),
            "hit@3": share(with_sections, lambda r: r.rank is not None and r.rank <= 3),
            "mrr@10": round(sum(1 / r.rank for r in with_sections if r.rank) / n_sec, 3) if with_sections else float("nan"),
            "first_citation": share(with_sections, lambda r: r.first_citation_ok),
            "facts": share(answerable, lambda r: r.facts_ok),
            "refused_oos": share(oos, lambda r: not r.answer.found),
            "false_refusals": share(answerable, lambda r: not r.answer.found),
            "ungrounded_numbers": sum(len(r.ungrounded) for r in rs),
        }

    def to_json(self) -> dict:
        kinds = sorted({r.question.kind for r in self.results})
        return {
            "overall": self.metrics(),
            "by_kind": {k: self.metrics(k) for k in kinds},
            "seconds": round(self.seconds, 2),
            "generation": self.generation(),
            "questions": [r.to_json() for r in self.results],
        }

    def table(self) -> str:
        cols = ["n", "hit@1", "hit@3", "mrr@10", "first_citation", "facts", "refused_oos", "false_refusals", "ungrounded_numbers"]
        rows = [("overall", self.metrics())] + [(k, self.metrics(k)) for k in sorted({r.question.kind for r in self.results})]
        lines = ["| kind | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for name, m in rows:
            lines.append(f"| {name} | " + " | ".join("—" if m[c] != m[c] else str(m[c]) for c in cols) + " |")
        return "\n".join(lines)


def load_questions(path: str | Path) -> list[Question]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Không tìm thấy tệp câu hỏi: {path} / question file not found")
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(Question(
                id=str(raw["id"]), q=raw["q"], facts=raw.get("facts", []), sections=raw.get("sections", []),
                kind=raw.get("kind", "fact"), doc=raw.get("doc"),
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{n}: dòng không hợp lệ / invalid line ({exc})") from exc
    if not questions:
        raise InputError(f"Tệp câu hỏi trống: {path} / no questions")
    return questions


def _matches(question: Question, doc_id: str, section_id: str) -> bool:
    return section_id in question.sections and (question.doc is None or question.doc == doc_id)


def _answer(service, question: str, report: EvalReport) -> Answer:
    """The answer as a user gets it: streamed when a chat model writes it (timed)."""
    if getattr(service.answerer, "stream", None) is None:
        return service.ask(question)
    started, first, tokens, answer = time.perf_counter(), None, 0, None
    for item in service.ask_stream(question):
        if isinstance(item, Answer):
            answer = item
        else:
            tokens += 1
            first = first or time.perf_counter()
    if first is not None:
        report.ttft.append(first - started)
        report.rates.append(tokens / max(time.perf_counter() - first, 1e-6))
    return answer


def evaluate(service, questions: list[Question]) -> EvalReport:
    report = EvalReport()
    started = time.perf_counter()
    for question in questions:
        doc_ids = None
        hits = service.retriever.search(question.q, doc_ids, k=10)
        rank = next((i for i, (d, s) in enumerate(ranked_sections(hits)[:10], start=1) if _matches(question, d, s)), None)
        answer = _answer(service, question.q, report)
        first = answer.citations[0] if answer.citations else None
        text = answer.answer.lower()
        report.results.append(QuestionResult(
            question=question, answer=answer, rank=rank,
            first_citation_ok=bool(first and _matches(question, first.doc_id, first.section_id)),
            facts_ok=answer.found and all(any(f.lower() in text for f in group) for group in question.facts),
            ungrounded=ungrounded_numbers(answer),
        ))
    report.seconds = time.perf_counter() - started
    return report

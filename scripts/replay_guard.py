"""Score generative mode again from the answers a real `make eval-llm` run recorded,
with the grounding guard as it is now.

A chat model takes about an hour to answer the full question set on 2 cores. When
only the guard changes, its replies need not be generated again: each question gets
the reply the model gave in the recorded run (`eval --json` output), and the guard
and the scoring run for real. Questions whose recorded answer was the extractive
fallback get a reply no guard accepts, which is what a stricter guard does to them.

    python scripts/replay_guard.py RECORDED.json eval/qa_all.jsonl ... > replayed.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.evaluation import evaluate, load_questions  # noqa: E402
from assistant.services import AssistantService  # noqa: E402
from assistant.settings import Settings  # noqa: E402

REJECTED = "—"    # no citation: the guard returns the extractive answer


def main() -> None:
    recorded = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    replies = {q["q"]: q["answer"] for q in recorded["questions"] if q.get("mode") == "llm"}
    service = AssistantService(Settings(), chat_model=GenericFakeChatModel(messages=iter([])))
    stream = service.ask_stream

    def replayed(question: str, *args, **kwargs):
        service.answerer.chat_model = GenericFakeChatModel(messages=iter([AIMessage(content=replies.get(question, REJECTED))]))
        return stream(question, *args, **kwargs)

    service.ask_stream = replayed
    questions = [q for path in sys.argv[2:] for q in load_questions(path)]
    report = evaluate(service, questions)
    out = report.to_json()
    modes = [r.answer.mode for r in report.results]
    # Time to first token and tokens/s are the real run's; what the guard kept is this run's.
    out["generation"] = {**(recorded.get("generation") or {}),
                         "llm_answers": modes.count("llm"), "fell_back": modes.count("extractive-fallback")}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()

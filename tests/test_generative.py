"""Generative mode with a fake chat model: the grounding guard decides what users see."""

from __future__ import annotations

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.extractive import ungrounded_numbers
from tests.conftest import SAMPLE


class RecordingFake(GenericFakeChatModel):
    """A fake chat model that remembers the prompts it was given."""

    prompts: list = []

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.prompts.append(messages)
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


@pytest.fixture
def llm_service(make_service, tmp_path, embeddings):
    from assistant.services import AssistantService
    from assistant.settings import Settings

    def make(*replies: str):
        model = RecordingFake(messages=iter([AIMessage(content=r) for r in replies]))
        model.prompts = []
        service = AssistantService(Settings(data_dir=tmp_path / "llm"), embeddings=embeddings, chat_model=model)
        if not service.documents():
            service.ingest_path(SAMPLE)
        return service, model

    return make


QUESTION = "Tốc độ tăng trưởng GRDP 6 tháng đầu năm 2024 của tỉnh là bao nhiêu?"


def test_grounded_generated_answer_is_returned_with_quotes(llm_service):
    service, model = llm_service(
        "GRDP 6 tháng đầu năm của tỉnh ước tăng 7,76% so với cùng kỳ, đứng thứ 18 cả nước [A.I.4.(1)]."
    )
    answer = service.ask(QUESTION)
    assert answer.mode == "llm" and answer.found
    assert answer.answer.startswith("GRDP 6 tháng đầu năm")
    [citation] = answer.citations
    assert citation.section_id == "A.I.4.(1)"
    section = service.index.section(citation.doc_id, "A.I.4.(1)")
    assert citation.quote in section.text and "7,76%" in citation.quote
    prompt = model.prompts[0]
    assert "[A.I.4.(1)]" in prompt[1].content and "CÂU HỎI" in prompt[1].content


def test_invented_figure_falls_back_to_extractive(llm_service):
    service, _ = llm_service("GRDP tăng 8,5% [A.I.4.(1)].")
    answer = service.ask(QUESTION)
    assert answer.mode == "extractive-fallback"
    assert "8,5" not in answer.answer and "7,76%" in answer.answer


def test_citing_a_section_that_was_not_a_source_falls_back(llm_service):
    service, _ = llm_service("GRDP ước tăng 7,76% [B.9].")
    assert service.ask(QUESTION).mode == "extractive-fallback"


def test_answer_without_citation_falls_back(llm_service):
    service, _ = llm_service("GRDP ước tăng 7,76%.")
    assert service.ask(QUESTION).mode == "extractive-fallback"


def test_out_of_scope_never_reaches_the_model(llm_service):
    service, model = llm_service()        # no replies: calling the model would fail
    answer = service.ask("Giá xăng dầu tại Bình Phước tháng 6/2024 là bao nhiêu?")
    assert not answer.found and answer.citations == []
    assert model.prompts == []


def test_streaming_yields_tokens_then_the_checked_answer(llm_service):
    service, _ = llm_service("GRDP ước tăng 7,76% so với cùng kỳ [A.I.4.(1)].")
    docs = [hit.to_document() for hit in service.retriever.search(QUESTION)]
    items = list(service.answerer.stream(QUESTION, docs))
    tokens, final = items[:-1], items[-1]
    assert tokens and all(isinstance(t, str) for t in tokens)
    assert "".join(tokens).startswith("GRDP")
    assert final.mode == "llm" and final.citations[0].section_id == "A.I.4.(1)"


def test_llamacpp_without_the_extra_is_a_clear_error(tmp_path, embeddings):
    import importlib.util

    from assistant.services import AssistantService
    from assistant.settings import Settings
    from ingest.loaders import InputError

    if importlib.util.find_spec("llama_cpp") is not None:
        pytest.skip("llama-cpp-python is installed here (make run-llm)")
    with pytest.raises(InputError, match="llama-cpp-python"):
        AssistantService(Settings(data_dir=tmp_path / "x", llm="llamacpp"), embeddings=embeddings)


def test_service_stream_ends_with_timed_answer(llm_service):
    from assistant.models import Answer

    service, _ = llm_service("GRDP ước tăng 7,76% [A.I.4.(1)].")
    items = list(service.ask_stream(QUESTION))
    assert isinstance(items[-1], Answer) and items[-1].mode == "llm"
    assert all(isinstance(t, str) for t in items[:-1]) and len(items) > 2
    assert set(items[-1].timings_ms) == {"retrieve", "answer", "total"}
    assert items[-1].question == QUESTION


@pytest.mark.parametrize(
    "reply",
    [
        "Tốc độ tăng trưởng GRDP 6 tháng đầu năm 2024 của tỉnh là bao nhiêu? [A.I.4.(1)]",
        "Tỉnh phát triển rất tốt, mọi người đều hài lòng và vui vẻ [A.I.4.(1)].",
        "Tăng trưởng kinh tế của tỉnh khá cao so với cùng kỳ [A.I.4.(1)].",
    ],
    ids=["echoes-question", "words-not-in-source", "no-figure-for-a-figure-question"],
)
def test_guard_rejects_empty_or_drifting_answers(llm_service, reply):
    service, _ = llm_service(reply)
    answer = service.ask(QUESTION)
    assert answer.mode == "extractive-fallback" and "7,76%" in answer.answer


def test_guard_rejects_a_name_the_quotes_do_not_give(llm_service):
    # "Đông Nam Bộ" is in the section but the model must reword what the extractive
    # answer quoted, not pick another body or place from the passage.
    service, _ = llm_service("GRDP ước tăng 7,76%, dẫn đầu Tây Nguyên [A.I.4.(1)].")
    answer = service.ask(QUESTION)
    assert answer.mode == "extractive-fallback" and "Tây Nguyên" not in answer.answer


def test_guard_rejects_a_place_for_a_who_question(llm_service):
    service, _ = llm_service("Trung Quốc [A.I.4.(6)].")
    answer = service.ask("Ai làm trưởng đoàn xúc tiến đầu tư tại Trung Quốc?")
    assert answer.mode == "extractive-fallback"


RANK = "Tỉnh Bình Phước đứng thứ mấy cả nước về tốc độ tăng trưởng GRDP 6 tháng đầu năm 2024?"


@pytest.mark.parametrize(
    "question, reply",
    [
        # "02" is the region's rank in the passage, not the country's.
        (RANK, "Tỉnh đứng thứ 02 cả nước [A.I.4.(1)]."),
        # A rank was asked; a growth rate is not one.
        (RANK, "7,76% [A.I.4.(1)]"),
        # Two figures asked, one given.
        ("GRDP 6 tháng đầu năm 2024 của tỉnh tăng bao nhiêu phần trăm và công nghiệp tăng bao nhiêu?",
         "GRDP ước tăng 7,76% [A.I.4.(1)]."),
    ],
    ids=["figure-with-other-words", "percent-for-a-rank", "one-of-two-figures"],
)
def test_guard_rejects_a_figure_the_passage_does_not_say_that_way(llm_service, question, reply):
    service, _ = llm_service(reply)
    answer = service.ask(question)
    assert answer.mode == "extractive-fallback"
    assert answer.answer != reply


def test_every_figure_of_a_generated_answer_is_inside_a_quote(llm_service):
    service, _ = llm_service(
        "GRDP ước tăng 7,76% so với cùng kỳ năm 2023; sản xuất công nghiệp tăng 14,25% [A.I.4.(1)]."
    )
    answer = service.ask("GRDP và sản xuất công nghiệp 6 tháng đầu năm 2024 của tỉnh tăng bao nhiêu?")
    assert answer.mode == "llm"
    assert ungrounded_numbers(answer) == []
    assert any("14,25%" in c.quote for c in answer.citations)

"""The learned parts: the order of retrieved passages (assistant/data/ranker.json) and the
answer policy (assistant/data/policy.json), on the real store, parser and embeddings."""

from __future__ import annotations

import json

import pytest

from assistant.policy import PACKAGED, RANKER, GATE_FEATURES, UNIT_FEATURES, LinearModel
from assistant.retrieval import RANKER_FEATURES
from tests.conftest import SAMPLE


def test_the_shipped_models_read_the_features_the_code_computes():
    # A feature renamed or added without retraining would be read as 0 by every model.
    assert tuple(LinearModel.load(RANKER).names) == RANKER_FEATURES
    policy = json.loads(PACKAGED.read_text(encoding="utf-8"))
    assert tuple(policy["ranker"]["names"]) == UNIT_FEATURES
    assert tuple(policy["gate"]["names"]) == GATE_FEATURES
    # what they were fit on travels with them
    assert json.loads(RANKER.read_text(encoding="utf-8"))["trained_on"]["questions"] > 300
    assert policy["trained_on"]["threshold_on"] == "real"


@pytest.fixture
def learned_order(indexed, monkeypatch):
    monkeypatch.setattr(indexed.retriever, "ranker", LinearModel.load(RANKER))
    return indexed


@pytest.mark.parametrize("question, section", [
    ("ty le truong dat chuan quoc gia cua tinh la bao nhieu", "A.I.4.(5)"),
    ("Trong 6 tháng cuối năm tỉnh sẽ làm gì để hỗ trợ doanh nghiệp?", "B.5"),
])
def test_the_learned_order_puts_the_answering_section_first_with_its_belief(learned_order, question, section):
    hits = learned_order.retriever.search(question)
    assert hits[0].chunk.section_id == section
    shares = [h.share for h in hits]
    # one softmax over the head: a belief per passage, best first, together at most 1
    assert all(s is not None and 0.0 <= s <= 1.0 for s in shares)
    assert shares == sorted(shares, reverse=True)
    assert sum(shares) <= 1.0 + 1e-9
    answer = learned_order.ask(question)
    assert answer.found and answer.citations[0].section_id == section


def test_the_rules_order_carries_no_belief(indexed):
    assert all(h.share is None for h in indexed.retriever.search("Tổng vốn đầu tư công đã giải ngân là bao nhiêu?"))


def test_the_learned_policy_answers_what_it_is_sure_of_and_refuses_the_rest(make_service):
    service = make_service(answer={"policy": "learned"})
    assert service.retriever.ranker is not None          # it was fit on the learned order
    service.ingest_path(SAMPLE)
    answer = service.ask("ty le truong dat chuan quoc gia cua tinh la bao nhieu")
    assert answer.found and "50,51%" in answer.answer and answer.citations[0].section_id == "A.I.4.(5)"
    refused = service.ask("Sản lượng cà phê của tỉnh Bình Phước năm 2015 là bao nhiêu tấn?")
    assert not refused.found

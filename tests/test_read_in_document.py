"""A sentence read in its document: under the title that names its subject, with its
dates read whichever way they are written, and its closing articles taken for what they
are (about the document, not what it decides).

"1. Trưởng ban Chỉ đạo Trung ương: Phó Thủ tướng ..." does not repeat the body's long
name, which the decision's title gives; a question that types "01/7/2026" asks about
the sentence that prints "ngày 01 tháng 7 năm 2026". The store holds three real
public documents (eval/corpus/real, sources in SOURCES.md), read by the real parser and
embedded by the packaged model; the questions are written for these tests, not taken
from the question sets in eval/.
"""

from __future__ import annotations

import pytest

from assistant.services import AssistantService
from tests.conftest import grounded, real_store

DOCS = (
    "qd-798-ttg-2026-kien-toan-ban-chi-dao-cai-cach-tien-luong.txt",   # a body set up, member by member
    "nd-161-2026-cp-muc-luong-co-so-tien-thuong.txt",                # dates printed in words
    "qd-40-2011-ttg-che-do-thanh-nien-xung-phong.md",                 # allowances, article by article
    "qd-1056-ct-tuyen-quang-2010-muc-tro-giup-bao-tro-xa-hoi.txt",    # closes with its executors, bodies by name
)


@pytest.fixture(scope="module")
def store(tmp_path_factory, embeddings) -> AssistantService:
    return real_store(tmp_path_factory.mktemp("read-in-document"), embeddings, DOCS)



def test_a_member_line_answers_who_heads_the_body_its_title_names(store):
    answer = store.ask("Theo Quyết định 798/QĐ-TTg, Trưởng ban Chỉ đạo Trung ương về cải cách chính sách "
                       "tiền lương là ai?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 1.1"
    assert "Phạm Thị Thanh Trà" in answer.answer
    # the title and the closing article name the body too, but say nothing of who heads it
    assert not {"preamble", "Điều 6"} & {c.section_id for c in answer.citations}


def test_a_date_typed_in_figures_finds_the_sentence_that_prints_it_in_words(store):
    answer = store.ask("Lương cơ sở áp dụng từ 01/7/2026 theo Nghị định 161/2026/NĐ-CP là bao nhiêu đồng/tháng?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 3.2"
    assert "2.530.000 đồng/tháng" in answer.answer


def test_an_article_of_the_decision_answers_what_a_ministry_must_do(store):
    answer = store.ask("Quyết định 40/2011 giao Bộ Tài chính trách nhiệm gì?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 7.3"
    assert "bố trí ngân sách hàng năm" in answer.answer


def test_what_a_decision_replaces_is_asked_by_number(store):
    answer = store.ask("Quyết định 798/QĐ-TTg thay thế quyết định số mấy?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 6"
    assert "1480/QĐ-TTg" in answer.answer


def test_the_executors_article_tells_no_body_its_task(store):
    # "Các ông (bà): Chánh Văn phòng UBND tỉnh, Giám đốc các Sở ..., Giám đốc Kho bạc nhà nước
    # Tuyên Quang ... chịu trách nhiệm thi hành Quyết định này": the treasury is named, given no task
    answer = store.ask("Kho bạc nhà nước Tuyên Quang được giao việc gì về mức trợ giúp cho đối tượng bảo trợ xã hội?")
    assert not answer.found, answer.answer
    # asked who carries the decision out, that article answers
    answer = store.ask("Những ai chịu trách nhiệm thi hành Quyết định 1056 của tỉnh Tuyên Quang?")
    grounded(answer)
    assert answer.citations[0].section_id == "Điều 3"
    assert "Kho bạc nhà nước Tuyên Quang" in answer.answer

"""A document named by its kind and title, without a number ("Kế hoạch cải cách hành
chính 2026 - 2030 của tỉnh Lâm Đồng …"), is the one the question is answered from; the
years of a document a sentence cites are that document's, not the sentence's.

The store holds three real public documents of one province and one subject
(eval/corpus/real, sources in SOURCES.md): the 2026–2030 administrative-reform plan, the
first-quarter 2026 report on that reform, and the 2025 report on the reform indices.
The questions are written for these tests.
"""

from __future__ import annotations

import pytest

from assistant.document_names import TitleIndex, session_phrases
from assistant.extractive import _stated_years
from assistant.services import AssistantService
from tests.conftest import grounded, real_store

PLAN = "kh-ubnd-lam-dong-cchc-2026-2030"
DOCS = (f"{PLAN}.docx", "bc-ubnd-lam-dong-cchc-quy-1-2026.docx", "bc-snv-lam-dong-2025-chi-so-par-sipas-papi-pci.pdf")


@pytest.fixture(scope="module")
def store(tmp_path_factory, embeddings) -> AssistantService:
    return real_store(tmp_path_factory.mktemp("titled"), embeddings, DOCS)


TITLES = {
    "kh": "Kế hoạch cải cách hành chính nhà nước giai đoạn 2026 - 2030 của tỉnh Lâm Đồng",
    "qd": "Quyết định về việc công nhận xã, phường miền núi trên địa bàn tỉnh Lâm Đồng",
    "bc": "Báo cáo công tác cải cách hành chính quý I năm 2026 và phương hướng, nhiệm vụ quý II năm 2026 tỉnh Lâm Đồng",
}


def test_a_kind_followed_by_its_titles_words_names_that_document():
    index = TitleIndex(TITLES)
    named = index.named("Kế hoạch cải cách hành chính 2026 - 2030 của tỉnh Lâm Đồng đặt chỉ tiêu gì?")
    assert named is not None and named.doc_ids == ("kh",)
    # typed without diacritics, the same
    assert index.named("ke hoach cai cach hanh chinh 2026-2030 lam dong dat chi tieu gi").doc_ids == ("kh",)
    # the span that named it: what is asked is the rest
    question = "Kế hoạch cải cách hành chính 2026 - 2030 của tỉnh Lâm Đồng đặt chỉ tiêu gì?"
    assert question[named.end:].strip() == "đặt chỉ tiêu gì?"


def test_a_kind_used_as_a_word_or_a_document_named_by_number_names_no_title():
    index = TitleIndex(TITLES)
    # "được quyết định công nhận là …": two of the decision's words, then words it lacks
    assert index.named("Có bao nhiêu xã ở Lâm Đồng được quyết định công nhận là địa bàn không ma túy?") is None
    # a number names the document (or a document not indexed), not its title
    assert index.named("Quyết định 2285/QĐ-UBND công nhận xã, phường miền núi trên địa bàn tỉnh Lâm Đồng ra sao?") is None
    # a document of that kind to be made is not the one named
    assert index.named("Các sở phải ban hành kế hoạch cải cách hành chính 2026 - 2030 của tỉnh Lâm Đồng khi nào?") is None
    # the kind alone, or a kind no title has
    assert index.named("Kế hoạch của tỉnh đặt chỉ tiêu gì?") is None
    assert index.named("Đề án cải cách hành chính 2026 - 2030 của tỉnh Lâm Đồng đặt chỉ tiêu gì?") is None


def test_a_councils_session_says_which_resolution_not_what_is_asked():
    assert session_phrases("Theo Nghị quyết của HĐND tỉnh Hà Giang khóa XVII (kỳ họp thứ Năm, 2017), …") == \
        ["hdnd tinh ha giang khoa xvii", "ky hop thu nam"]
    assert session_phrases("nghi quyet phien hop thu 47 nhiem ky 2016 - 2021") == ["phien hop thu 47", "nhiem ky 2016 - 2021"]
    # a session's words in other uses are no session
    assert session_phrases("Khóa học kéo dài bao lâu, có họp thứ mấy?") == []


def test_the_years_of_a_cited_documents_title_are_not_the_sentences():
    sentence = ("Triển khai kế hoạch CCHC nhà nước năm 2026 trên địa bàn tỉnh theo Nghị quyết số 76/NQ-CP ngày "
                "15/7/2021 của Chính phủ về ban hành Chương trình tổng thể CCHC nhà nước giai đoạn 2021 - 2030, "
                "Chỉ thị số 23/CT-TTg ngày 02/9/2021 của Thủ tướng Chính phủ")
    assert _stated_years(sentence) == {"2026"}
    assert _stated_years("Năm 2024, GRDP tăng 7% theo Quyết định số 5/QĐ-UBND của UBND tỉnh.") == {"2024"}


def test_the_plan_named_by_its_title_answers_not_the_report_on_it(store):
    answer = store.ask("Kế hoạch cải cách hành chính nhà nước 2026 - 2030 của tỉnh Lâm Đồng đặt chỉ tiêu văn bản "
                       "được ký số tối thiểu bao nhiêu phần trăm?")
    grounded(answer)
    assert answer.citations[0].doc_id == PLAN and answer.citations[0].section_id == "II.6.a)"
    assert "95%" in answer.answer


def test_a_plan_of_another_period_is_not_answered_from_a_sentence_citing_a_longer_programme(store):
    # no 2021–2025 plan is indexed; the report's sentences cite "Chương trình tổng thể …
    # giai đoạn 2021 - 2030", which does not make them of 2021–2025
    answer = store.ask("Kế hoạch cải cách hành chính giai đoạn 2021 - 2025 của tỉnh Lâm Đồng đặt mục tiêu mức độ "
                       "hài lòng của người dân là bao nhiêu?")
    assert not answer.found, answer.answer

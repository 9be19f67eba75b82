"""The right report among several of one layout: the period a question names, a series'
latest report, the other periods quoted, filters, an indicator across periods.

The store holds a series — the bundled Bình Phước report (6 tháng đầu năm 2024) and the
same layout for 2023 and 2022 (scripts/confusable_corpus.py: years shifted, every other
figure changed) — beside the Đông Lâm district report. Parsed by the real parser,
embedded by the packaged model (once per passage template), stored in Chroma."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient

from assistant.api import RateLimiter, build_api
from assistant.extractive import ungrounded_numbers
from assistant.report_scope import ReportFilter, asked_period, report_scope
from assistant.services import NO_MATCHING_REPORT
from ingest.loaders import LoadedText
from scripts.confusable_corpus import PROVINCES, SERIES, TemplateEmbeddings, rewrite
from tests.conftest import DONG_LAM, SAMPLE

BINH_PHUOC = SERIES[0]


@pytest.fixture(scope="module")
def series_service(tmp_path_factory, embeddings):
    from assistant.services import AssistantService
    from tests.conftest import store_settings

    cached = TemplateEmbeddings(embeddings, [s.place for s in SERIES] + list(PROVINCES))
    service = AssistantService(store_settings(tmp_path_factory.mktemp("series")), embeddings=cached)
    service.ingest_path(SAMPLE)
    service.ingest_path(DONG_LAM)
    text = SAMPLE.read_text(encoding="utf-8")
    rng = random.Random(3)
    for back in (1, 2):
        year = BINH_PHUOC.year - back
        service.ingest(LoadedText(rewrite(BINH_PHUOC, text, BINH_PHUOC.place, -back, rng), f"bc-binh-phuoc-{year}.txt"),
                       doc_id=f"bc-binh-phuoc-{year}")
    return service


def _quotes_exact(service, answer) -> bool:
    return all(c.quote in service.index.section(c.doc_id, c.section_id).text for c in answer.citations)


@pytest.mark.parametrize("question, label", [
    ("Theo báo cáo 6 tháng đầu năm 2022, GRDP tăng bao nhiêu?", "6 tháng đầu năm 2022"),
    ("theo bao cao 6 thang dau nam 2022, grdp tang bao nhieu", "6 tháng đầu năm 2022"),
    ("Thu ngân sách quý II/2024 đạt bao nhiêu?", "quý II năm 2024"),
    ("Tính đến 14/6/2023 đã ban hành bao nhiêu kế hoạch?", "ngày 14/6/2023"),
    ("GRDP tăng bao nhiêu so với cùng kỳ năm 2023?", None),       # a comparison base is no period
    ("Từ năm 2021 đến nay tỉnh đã làm gì?", None),                 # nor a span's start
    ("Nghị quyết 12/2012/NQ-HĐND quy định gì?", None),             # nor a document's number
])
def test_the_period_a_question_names(question, label):
    period = asked_period(question)
    assert (period.label if period else None) == label


def test_a_question_naming_a_period_is_answered_from_that_periods_report(series_service):
    answer = series_service.ask("Theo báo cáo 6 tháng đầu năm 2022, tốc độ tăng trưởng GRDP của tỉnh là bao nhiêu?")
    assert answer.found
    assert answer.citations[0].doc_id == "bc-binh-phuoc-2022"
    assert _quotes_exact(series_service, answer) and not ungrounded_numbers(answer)


def test_a_question_naming_no_period_is_answered_from_the_latest_and_quotes_the_others(series_service):
    answer = series_service.ask("Tốc độ tăng trưởng GRDP của tỉnh Bình Phước là bao nhiêu?")
    assert answer.found
    first = answer.citations[0]
    assert first.doc_id == "bao-cao-binh-phuoc-6-thang-2024"
    assert answer.answer.startswith("Theo [Báo cáo") and "ngày 14/6/2024" in answer.answer   # which report
    others = [c.doc_id for c in answer.citations[1:]]
    assert others == ["bc-binh-phuoc-2023", "bc-binh-phuoc-2022"]                           # latest first
    assert "[6 tháng đầu năm 2023]" in answer.answer and "[6 tháng đầu năm 2022]" in answer.answer
    assert all(c.section_id == first.section_id for c in answer.citations)
    assert _quotes_exact(series_service, answer) and not ungrounded_numbers(answer)


def test_a_period_no_report_covers_is_refused_naming_the_periods_there_are(series_service):
    answer = series_service.ask("Theo báo cáo 6 tháng đầu năm 2019, tốc độ tăng trưởng GRDP của tỉnh Bình Phước là bao nhiêu?")
    assert not answer.found and not answer.citations
    assert "6 tháng đầu năm 2019" in answer.answer
    assert "6 tháng đầu năm 2022" in answer.answer and "6 tháng đầu năm 2024" in answer.answer


def test_a_period_no_report_is_made_for_but_a_report_speaks_of_is_not_missing(series_service):
    # "Chỉ số PAR năm 2019" in a report of 2020 is what that report speaks of: no report is
    # made for 2019, yet the one whose text names it may answer; where none names it, the
    # periods there are are named.
    records = series_service.index.snapshot().records
    question = "Năm 2019 tỉnh Bình Phước xếp thứ mấy về chỉ số PAR?"
    speaker = "bao-cao-huyen-dong-lam-2023"
    scope = report_scope(question, records, None, speaking_of=lambda year: {speaker})
    assert not scope.uncovered and scope.reports == [speaker]
    silent = report_scope(question, records, None, speaking_of=lambda year: set())
    assert silent.uncovered and "6 tháng đầu năm 2024" in silent.held


def test_a_report_alone_in_its_series_is_not_set_aside(series_service):
    # Đông Lâm's report (năm 2023) is the only one of its series: asked about 2023, it answers
    answer = series_service.ask("Năm 2023 huyện Đông Lâm có tổng giá trị sản xuất ước đạt bao nhiêu?")
    assert answer.found and answer.citations[0].doc_id == "bao-cao-huyen-dong-lam-2023"


def test_an_indicator_across_the_periods_of_a_series_every_point_cited(series_service):
    result = series_service.figures_across("Tốc độ tăng trưởng GRDP của tỉnh Bình Phước là bao nhiêu?")
    points = result["points"]
    assert [p["period"] for p in points] == ["6 tháng đầu năm 2022", "6 tháng đầu năm 2023", "6 tháng đầu năm 2024"]
    assert points[-1]["figure"] == "7,76" and points[-1]["value"] == pytest.approx(7.76)
    for p in points:
        section = series_service.index.section(p["doc_id"], p["section_id"])
        assert p["quote"] in section.text and p["figure"] in p["quote"]


def test_filters_by_place_kind_and_year(series_service):
    by_year = series_service.ask("Tốc độ tăng trưởng GRDP của tỉnh là bao nhiêu?", filters=ReportFilter(year="2022"))
    assert by_year.citations[0].doc_id == "bc-binh-phuoc-2022"
    district = series_service.documents_matching(ReportFilter(place="dong lam"))      # typed without diacritics
    assert [r.doc_id for r in district] == ["bao-cao-huyen-dong-lam-2023"]
    nothing = series_service.ask("GRDP tăng bao nhiêu?", filters=ReportFilter(place="Gia Lai"))
    assert not nothing.found and nothing.answer == NO_MATCHING_REPORT


def test_rest_filters_and_figures_across_periods(series_service):
    client = TestClient(build_api(series_service, RateLimiter(limit=50, window=60)))
    docs = client.get("/api/docs", params={"kind": "báo cáo", "year": "2023"}).json()
    assert {d["doc_id"] for d in docs} == {"bc-binh-phuoc-2023", "bao-cao-huyen-dong-lam-2023"}
    asked = client.post("/api/ask", json={"question": "Tốc độ tăng trưởng GRDP là bao nhiêu?", "year": "2022"}).json()
    assert asked["citations"][0]["doc_id"] == "bc-binh-phuoc-2022"
    trend = client.get("/api/figures", params={"q": "Tốc độ tăng trưởng GRDP của tỉnh Bình Phước là bao nhiêu?"})
    assert trend.status_code == 200 and len(trend.json()["points"]) == 3
    assert client.get("/api/figures", params={"q": ""}).status_code == 400

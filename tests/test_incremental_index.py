"""The store updated a report at a time: the lexical index, the registry's generation, a
second process catching up with only the new report's chunks."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.loaders import LoadedText, load_path
from ingest.pipeline import prepare_report
from tests.conftest import ALL_SAMPLES, DONG_LAM, HOA_SON, SAMPLE
from vectorstore.lexical import MERGE_RATIO, LexicalIndex, SegmentFiles

QUERIES = [
    "tốc độ tăng trưởng GRDP 6 tháng đầu năm",
    "ty le truong dat chuan quoc gia",                  # typed without diacritics
    "thu ngân sách nhà nước đạt bao nhiêu tỷ đồng",
    "kinh tế số chiếm bao nhiêu phần trăm GRDP",
]


@pytest.fixture(scope="module")
def passages() -> dict[str, list[str]]:
    """The samples' chunks as the index stores them, by report."""
    out = {}
    for path in ALL_SAMPLES:
        report = prepare_report(load_path(path))
        out[report.doc_id] = [f"{c.section_path}\n{c.text}" for c in report.chunks]
    return out


def _by_text(index: LexicalIndex, texts: list[str], query: str) -> dict[str, float]:
    scores = index.scores(query)
    return {t: round(float(scores[i]), 4) for i, t in enumerate(texts) if index.live[i]}


def test_bm25_updated_per_report_scores_as_one_built_from_scratch(passages):
    """Add the reports one by one, take one out, add it back changed: every live passage
    scores what a fresh index over the same passages gives it, df included."""
    grown, order = LexicalIndex(), []
    for texts in passages.values():
        grown.add(texts)
        order += texts
    grown.remove(range(0, len(passages["bao-cao-binh-phuoc-6-thang-2024"])))
    changed = [t.replace("7,76%", "8,12%") for t in passages["bao-cao-binh-phuoc-6-thang-2024"]]
    grown.add(changed)
    order += changed
    live = [t for i, t in enumerate(order) if grown.live[i]]
    fresh = LexicalIndex(live)
    assert grown.size == fresh.size == len(live)
    for query in QUERIES:
        assert _by_text(grown, order, query) == _by_text(fresh, live, query)
        assert [round(h.score, 4) for h in grown.search(query, 5)] == [round(h.score, 4) for h in fresh.search(query, 5)]
        assert all(grown.live[h.index] for h in grown.search(query, 50))
    for term in ("tang_truong", "7,76%", "8,12%", "truong"):
        assert grown.df.get(term, 0) == fresh.df.get(term, 0)
    assert grown.df.get("7,76%", 0) == 0 < fresh.df.get("8,12%", 0)     # the old version's figure is gone


def test_scores_are_bm25s_scores(passages):
    """The same BM25 as the library it replaced (Lucene's variant, k1 1.5, b 0.75)."""
    import bm25s

    from vectorstore.lexical import index_terms

    texts = [t for report in passages.values() for t in report]
    reference = bm25s.BM25()
    reference.index([index_terms(t)[0] or ["∅"] for t in texts], show_progress=False)
    ours = LexicalIndex(texts)
    for query in ("ty le truong dat chuan quoc gia", "kinh te so chiem bao nhieu phan tram grdp"):
        expected = np.asarray(reference.get_scores(index_terms(query)[0]), dtype=np.float32)
        assert np.allclose(ours.scores(query), expected, atol=1e-4)


def test_a_search_kept_to_some_reports_reads_their_postings_only_and_ranks_the_same(passages):
    index = LexicalIndex()
    spans = [index.add(texts) for texts in passages.values()]
    index.add([t + " ." for texts in passages.values() for t in texts])     # a larger collection around them
    small = [range(spans[1].start, spans[1].start + 12), range(spans[2].start + 3, spans[2].start + 10)]
    mask = np.zeros(index.capacity, dtype=bool)
    for span in small:
        mask[span.start:span.stop] = True
    for query in QUERIES:
        kept = index.search(query, 8, mask, small)
        assert kept and all(mask[h.index] for h in kept)
        assert [(h.index, round(h.score, 4)) for h in kept] == [(h.index, round(h.score, 4)) for h in index.search(query, 8, mask)]


def test_a_search_weighed_inside_some_reports_scores_as_if_they_were_alone(passages):
    """Among many reports of one layout every section's words are common; weighed by the
    scoped report's own statistics, its sections rank as they would in a store of it alone."""
    index = LexicalIndex()
    first = index.add(passages["bao-cao-binh-phuoc-6-thang-2024"])
    for texts in passages.values():
        for _ in range(5):
            index.add(texts)            # the others, and copies of this layout
    alone = LexicalIndex(passages["bao-cao-binh-phuoc-6-thang-2024"])
    mask = np.zeros(index.capacity, dtype=bool)
    mask[first.start:first.stop] = True
    for query in QUERIES:
        local = index.search(query, 10, mask, [first], local=1.0)
        assert local and [(h.index, round(h.score, 4)) for h in local] == \
            [(h.index, round(h.score, 4)) for h in alone.search(query, 10)]
    # weighed by the whole collection, the same report's sections score otherwise; half
    # and half, like neither
    for query in QUERIES:
        whole = index.scores(query, [first])[first.start:first.stop]
        own = index.scores(query, [first], local=1.0)[first.start:first.stop]
        half = index.scores(query, [first], local=0.5)[first.start:first.stop]
        assert not np.allclose(whole, own)
        assert not np.allclose(half, whole) and not np.allclose(half, own)


def test_segments_stay_few_as_reports_are_added(passages):
    """One segment per report would make a question's cost grow with the reports: merges
    keep them logarithmic."""
    index = LexicalIndex()
    texts = [t for report in passages.values() for t in report]
    for _ in range(40):
        for i in range(0, len(texts), 12):
            index.add(texts[i:i + 12])
    added = 40 * len(range(0, len(texts), 12))
    assert index.segments <= 2 + int(np.log(added) / np.log(MERGE_RATIO)) * 2
    assert index.size == 40 * len(texts)


def test_postings_spilled_to_files_score_as_on_the_heap_and_survive_a_reload(passages, tmp_path):
    """Large segments live in files, memory-mapped: the scores are the heap index's, a
    kept index maps them again after a reload, and a delete reads the segments that span
    the report only."""
    import pickle

    files = SegmentFiles(tmp_path / "segments", spill_at=500)
    spilled, heap, order = LexicalIndex(files=files), LexicalIndex(), []
    for texts in passages.values():
        spilled.add(texts)
        heap.add(texts)
        order += texts
    first = len(passages["bao-cao-binh-phuoc-6-thang-2024"])
    for index in (spilled, heap):
        index.remove(range(0, first))
    assert spilled.spilled() and files.names() >= spilled.spilled()
    assert all(isinstance(s.docs, np.memmap) for s in spilled._folded.segments if s.file)
    for query in QUERIES:
        assert _by_text(spilled, order, query) == _by_text(heap, order, query)

    reloaded = pickle.loads(pickle.dumps(spilled))
    reloaded.attach(SegmentFiles(tmp_path / "segments"))
    for query in QUERIES:
        assert _by_text(reloaded, order, query) == _by_text(heap, order, query)
    name = sorted(spilled.spilled())[0]
    files.remove(name)                             # another process pruned it
    again = pickle.loads(pickle.dumps(spilled))   # this one still maps it, and writes it back
    again.attach(files)
    assert name in files.names()
    broken = pickle.loads(pickle.dumps(spilled))
    files.remove(name)
    with pytest.raises(FileNotFoundError):
        broken.attach(files)


def test_a_kept_index_with_spilled_postings_restarts_prunes_and_rebuilds_when_a_file_is_lost(make_service, tmp_path):
    data = tmp_path / "spill"
    question = "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?"
    first = make_service(data, retrieval={"spill_postings": 2000})
    first.ingest_path(SAMPLE)
    first.ingest_path(DONG_LAM)
    expected = first.ask(question).answer
    folder = first.index._cache.with_suffix(".segments")
    named = first.index._live.spilled()
    assert named and {p.name for p in folder.iterdir()} == named    # nothing merged away is left behind

    second = make_service(data, retrieval={"spill_postings": 2000})
    fetched = _fetches(second)
    assert second.ask(question).answer == expected and fetched == []

    for path in folder.iterdir():                 # the files lost: rebuilt from the store
        path.unlink()
    third = make_service(data, retrieval={"spill_postings": 2000})
    assert third.ask(question).answer == expected
    assert third.index._live.spilled() <= {p.name for p in folder.iterdir()}


def test_an_unchanged_store_is_not_read_again_per_question(make_service, monkeypatch):
    service = make_service()
    service.ingest_path(SAMPLE)
    service.ask("Tốc độ tăng trưởng GRDP 6 tháng đầu năm là bao nhiêu?")
    reads = []
    original = service.index.documents
    monkeypatch.setattr(service.index, "documents", lambda: reads.append(1) or original())
    answer = service.ask("Tỷ lệ hộ nghèo giảm còn bao nhiêu?")
    assert reads == [], "the registry was read although nothing changed"
    service.ingest_path(DONG_LAM)
    service.ask("Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?")
    assert len(reads) >= 1                   # a change is seen
    assert answer.question


def test_a_second_process_fetches_only_the_new_reports_chunks(make_service, tmp_path, sample_text):
    data = tmp_path / "shared"
    writer = make_service(data)
    reader = make_service(data)
    writer.ingest_path(SAMPLE)
    writer.ingest_path(DONG_LAM)
    question = "Kinh tế số chiếm bao nhiêu phần trăm GRDP của tỉnh trong năm 2024?"
    reader.ask(question)                     # the reader holds the two reports
    fetched = []
    original = reader.index._fetch_chunks
    monkeypatch_fetch = lambda versions, records=None: fetched.append(list(versions)) or original(versions, records)  # noqa: E731
    reader.index._fetch_chunks = monkeypatch_fetch

    plan = writer.ingest_path(HOA_SON).record
    answer = reader.ask(question)
    assert answer.found and answer.citations[0].doc_id == plan.doc_id
    assert fetched == [[plan.version]], "the reader fetched more than the new report"

    # replaced in the writer: the reader drops the old version's figure
    changed = sample_text.replace("ước tăng 7,76%", "ước tăng 8,12%")
    writer.ingest(LoadedText(changed, SAMPLE.name))
    writer.delete("bao-cao-huyen-dong-lam-2023")
    grdp = reader.ask("Tốc độ tăng trưởng GRDP 6 tháng đầu năm 2024 của tỉnh Bình Phước là bao nhiêu?")
    assert grdp.found and "8,12%" in grdp.answer and "7,76" not in grdp.answer
    assert not any("dong-lam" in c.doc_id for c in reader.ask("Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?").citations)

    # what the reader holds now is what a process starting on the store would build
    fresh = make_service(data)
    kept, built = reader.index.snapshot(), fresh.index.snapshot()
    assert {c.chunk_id for c in kept.chunks} == {c.chunk_id for c in built.chunks}
    for query in QUERIES:
        a, b = kept.lexical.scores(query), built.lexical.scores(query)
        assert {c.chunk_id: round(float(a[kept.positions[c.chunk_id]]), 4) for c in kept.chunks} == \
               {c.chunk_id: round(float(b[built.positions[c.chunk_id]]), 4) for c in built.chunks}
    assert kept.doc_ids == built.doc_ids and kept.doc_level == built.doc_level
    assert reader.ask(question).answer == fresh.ask(question).answer


def _fetches(service) -> list[list[str]]:
    fetched: list[list[str]] = []
    original = service.index._fetch_chunks
    service.index._fetch_chunks = lambda versions, records=None: fetched.append(list(versions)) or original(versions, records)
    return fetched


def test_a_new_process_starts_from_the_kept_index_and_fetches_only_what_is_new(make_service, tmp_path):
    data = tmp_path / "kept"
    first = make_service(data)
    first.ingest_path(SAMPLE)
    first.ingest_path(DONG_LAM)
    first.ask("Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?")    # builds and keeps it
    kept = first.index._cache
    assert kept is not None and kept.is_file()

    second = make_service(data)
    fetched = _fetches(second)
    answer = second.ask("Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?")
    assert "50,51%" in answer.answer and fetched == []

    plan = first.ingest_path(HOA_SON).record
    third = make_service(data)
    fetched = _fetches(third)
    answer = third.ask("Kinh tế số chiếm bao nhiêu phần trăm GRDP của tỉnh trong năm 2024?")
    assert answer.found and answer.citations[0].doc_id == plan.doc_id
    assert fetched == [[plan.version]]

    kept.write_bytes(b"\x80\x05 torn")                  # a torn file: rebuilt from the store
    fourth = make_service(data)
    answer = fourth.ask("Kinh tế số chiếm bao nhiêu phần trăm GRDP của tỉnh trong năm 2024?")
    assert answer.found and answer.citations[0].doc_id == plan.doc_id
    assert fourth.index.snapshot().live_chunks == third.index.snapshot().live_chunks


def test_a_question_kept_to_one_report_gets_chromas_nearest_chunks_of_it(make_service):
    """Scored here against that report's vectors, not by a filtered Chroma query: the
    same chunks, the same similarities."""
    service = make_service()
    service.ingest_path(SAMPLE)
    service.ingest_path(DONG_LAM)
    snapshot = service.index.snapshot()
    vector = service.embeddings.embed_query("Tỷ lệ trường đạt chuẩn quốc gia")
    mine = service.index.dense_search(vector, 6, snapshot, ["bao-cao-huyen-dong-lam-2023"])
    got = service.index._chunks.query(query_embeddings=[vector], n_results=6, include=["distances"],
                                      where={"doc_id": "bao-cao-huyen-dong-lam-2023"})
    chroma = [(snapshot.positions[c], 1.0 - d) for c, d in zip(got["ids"][0], got["distances"][0])]
    assert [p for p, _ in mine] == [p for p, _ in chroma]
    assert all(abs(a - b) < 1e-4 for (_, a), (_, b) in zip(mine, chroma))
    assert all(snapshot.by_position[p].doc_id == "bao-cao-huyen-dong-lam-2023" for p, _ in mine)

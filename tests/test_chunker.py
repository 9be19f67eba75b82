"""Section-aware chunks (ingest/chunker.py), report metadata (ingest/metadata.py) and
the ingest pipeline (ingest/pipeline.py) that ties loading, parsing and chunking."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest

from ingest.chunker import chunk_report
from ingest.loaders import InputError, load_bytes, load_path, load_text
from ingest.metadata import extract_metadata
from ingest.pipeline import prepare_report, validate_doc_id
from ingest.sections import PATH_SEPARATOR, ParsedReport, parse_report
from ingest.vntext import sentence_spans
from tests.conftest import ALL_SAMPLES, DONG_LAM, HOA_SON
from tests.conftest import SAMPLE as BINH_PHUOC

MAX_CHARS = [900, 400, 150]


@lru_cache(maxsize=None)
def parsed(path: Path) -> ParsedReport:
    return parse_report(path.read_text(encoding="utf-8"))


def by_id(report: ParsedReport):
    return {s.section_id: s for s in report.sections}


# ---------------------------------------------------------------------------
# Invariants on the three reports


@pytest.mark.parametrize("max_chars", MAX_CHARS)
@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_chunks_are_exact_slices_inside_one_section(path, max_chars):
    report = parsed(path)
    sections = by_id(report)
    chunks = chunk_report(report, "doc", max_chars=max_chars)
    assert chunks
    for chunk in chunks:
        assert chunk.doc_id == "doc"
        assert chunk.text == report.text[chunk.start : chunk.end]
        assert chunk.text.strip() == chunk.text and chunk.text
        sec = sections[chunk.section_id]
        # inside its section, hence never across two sections
        assert sec.start <= chunk.start < chunk.end <= sec.end, chunk.section_id
        assert chunk.text in sec.text
        assert sec.text[chunk.start - sec.start : chunk.end - sec.start] == chunk.text
        for other in report.sections:
            if other is not sec:
                assert chunk.end <= other.start or chunk.start >= other.end, (chunk.section_id, other.section_id)
        assert chunk.section_path == sec.section_path
        assert chunk.heading == sec.heading
        assert chunk.programme == sec.programme


@pytest.mark.parametrize("max_chars", MAX_CHARS)
@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_no_chunk_longer_than_max_chars(path, max_chars):
    chunks = chunk_report(parsed(path), "doc", max_chars=max_chars)
    assert max(len(c.text) for c in chunks) <= max_chars


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_chunks_in_document_order_with_unique_keys(path):
    chunks = chunk_report(parsed(path), "doc", max_chars=300)
    assert [c.order for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_key for c in chunks}) == len(chunks)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)


@pytest.mark.parametrize("max_chars", MAX_CHARS)
@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_every_section_with_body_text_is_chunked_and_fully_covered(path, max_chars):
    report = parsed(path)
    chunks = chunk_report(report, "doc", max_chars=max_chars)
    parents = {s.parent_id for s in report.sections if s.parent_id}
    for sec in report.sections:
        own = [c for c in chunks if c.section_id == sec.section_id]
        is_bare_parent = sec.section_id in parents and sec.text.strip() == sec.heading.strip()
        if is_bare_parent:
            # "II. Đánh giá chung": its words reach the index through its children's paths
            assert own == []
            assert any(sec.heading in c.section_path for c in chunks)
            continue
        assert own, f"{sec.section_id} has no chunk"
        covered = set()
        for c in own:
            covered.update(range(c.start, c.end))
        missing = [i for i in range(sec.start, sec.end) if i not in covered and not report.text[i].isspace()]
        assert missing == [], f"text of {sec.section_id} missing from its chunks"


def test_sample_facts_are_whole_inside_a_chunk_of_their_section():
    report = parsed(BINH_PHUOC)
    chunks = chunk_report(report, "bp")
    facts = {
        "A.I.4.(1)": "ước tăng 7,76% so với cùng kỳ năm 2023, đứng thứ 02 vùng Đông Nam Bộ và đứng thứ 18 so với cả nước",
        "A.I.4.(2)": "6 tháng đầu năm, UBND tỉnh quyết liệt",
        "A.I.3": "hơn 2.346 văn bản điều hành khác",
        "B.7": "Chương trình công tác năm 2024 của Tỉnh ủy, UBND tỉnh.",
    }
    for section_id, fact in facts.items():
        assert any(fact in c.text for c in chunks if c.section_id == section_id), section_id


def test_consecutive_chunks_of_a_long_section_overlap_by_a_sentence():
    sentences = [f"Chỉ tiêu số {n} đạt {n * 3},{n}% kế hoạch của năm." for n in range(1, 61)]
    text = "BÁO CÁO\n\nI. Kết quả\n\n" + " ".join(sentences) + "\n\nII. Nhiệm vụ\n\nThu ngân sách.\n"
    report = parse_report(text)
    chunks = [c for c in chunk_report(report, "d", max_chars=300) if c.section_id == "I"]
    assert len(chunks) >= 5
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.start < nxt.start < prev.end < nxt.end
        shared = report.text[nxt.start : prev.end]
        # the shared part is exactly the last sentence of the previous chunk
        assert shared in sentences
        assert prev.text.endswith(shared) and nxt.text.startswith(shared)
    assert chunks[0].text.startswith("I. Kết quả")
    assert chunks[-1].text.endswith(sentences[-1])


def test_overlap_zero_gives_disjoint_chunks():
    report = parsed(BINH_PHUOC)
    chunks = chunk_report(report, "d", max_chars=300, overlap=0)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start >= prev.end


def test_chunks_on_long_sample_section_overlap():
    report = parsed(BINH_PHUOC)
    chunks = [c for c in chunk_report(report, "d", max_chars=400) if c.section_id == "A.I.1"]
    assert len(chunks) >= 3
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.start < nxt.start
        assert nxt.start <= prev.end + 2   # no gap: consecutive pieces touch or overlap
    assert chunks[-1].end == report.get("A.I.1").end


def test_no_chunk_is_contained_in_the_previous_one():
    duplicates = []
    for path in ALL_SAMPLES:
        for max_chars in (900, 400):
            chunks = chunk_report(parsed(path), "doc", max_chars=max_chars)
            for prev, nxt in zip(chunks, chunks[1:]):
                if prev.section_id == nxt.section_id and nxt.end <= prev.end:
                    duplicates.append((path.stem, max_chars, nxt.section_id, nxt.text[:50]))
    assert duplicates == []


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=lambda p: p.stem)
def test_embedding_text_carries_the_heading_path(path):
    report = parsed(path)
    for chunk in chunk_report(report, "doc"):
        emb = chunk.embedding_text()
        assert emb.startswith(chunk.section_path)
        assert emb.endswith(chunk.text)
        assert chunk.section_path


def test_embedding_text_names_parents():
    report = parsed(BINH_PHUOC)
    chunk = next(c for c in chunk_report(report, "bp") if c.section_id == "A.I.4.(1)")
    path = chunk.section_path.split(PATH_SEPARATOR)
    assert path[0] == "A. TÌNH HÌNH CÔNG TÁC 6 THÁNG ĐẦU NĂM 2024"
    assert path[1] == "I. Kết quả chủ yếu"
    assert path[2] == "4. Về công tác chỉ đạo, điều hành phát triển kinh tế - xã hội"
    assert path[3].startswith("(1) Tốc độ tăng trưởng")
    assert "A. TÌNH HÌNH CÔNG TÁC 6 THÁNG ĐẦU NĂM 2024" in chunk.embedding_text()
    b6 = next(c for c in chunk_report(report, "bp") if c.section_id == "B.6")
    assert "B. CHƯƠNG TRÌNH CÔNG TÁC 6 THÁNG CUỐI NĂM 2024" in b6.embedding_text()
    assert b6.programme
    hoa_son = parsed(HOA_SON)
    dieu1 = next(c for c in chunk_report(hoa_son, "hs") if c.section_id.endswith("Điều 1"))
    assert "PHẦN THỨ NHẤT ĐÁNH GIÁ KẾT QUẢ CHUYỂN ĐỔI SỐ NĂM 2024" in dieu1.embedding_text()
    assert "Chương I. KẾT QUẢ ĐẠT ĐƯỢC" in dieu1.embedding_text()


def test_programme_flag_on_chunks():
    chunks = chunk_report(parsed(DONG_LAM), "dl")
    assert all(c.programme for c in chunks if c.section_id.startswith("III"))
    assert not any(c.programme for c in chunks if c.section_id.split(".")[0] in ("I", "II"))
    assert any(c.section_id.startswith("I.1") for c in chunks)


def test_fifty_thousand_character_single_line_is_split():
    words = ("Thu ngân sách trên địa bàn đạt 12,5 tỷ đồng tăng mạnh so với cùng kỳ năm trước " * 700)
    line = words[:50000]
    assert len(line) == 50000 and "\n" not in line
    report = parse_report("BÁO CÁO\n\nI. Kết quả\n\n" + line + "\n")
    chunks = [c for c in chunk_report(report, "big", max_chars=900) if c.section_id == "I"]
    assert len(chunks) >= 50000 // 900
    assert all(len(c.text) <= 900 for c in chunks)
    assert all(c.text == report.text[c.start : c.end] for c in chunks)
    # cut at spaces: no chunk starts or ends inside a word
    for c in chunks:
        assert c.start == 0 or report.text[c.start - 1].isspace() or report.text[c.start - 1] == "\n"
        assert c.end == len(report.text) or not report.text[c.end].isalnum()
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    sec = report.get("I")
    assert all(i in covered or report.text[i].isspace() for i in range(sec.start, sec.end))


def test_single_line_without_spaces_is_still_bounded():
    report = parse_report("I. Kết quả\n\n" + "0123456789" * 5000)
    chunks = chunk_report(report, "d", max_chars=900)
    assert all(len(c.text) <= 900 for c in chunks)
    assert sum(len(c.text) for c in chunks if c.section_id == "I") >= 50000


def test_short_section_is_one_chunk():
    report = parsed(DONG_LAM)
    sec = report.get("I.3.b)")
    chunks = [c for c in chunk_report(report, "dl") if c.section_id == "I.3.b)"]
    assert len(chunks) == 1 and chunks[0].text == sec.text


# ---------------------------------------------------------------------------
# Metadata


def test_metadata_binh_phuoc():
    meta = extract_metadata(parsed(BINH_PHUOC))
    assert meta.date == "2024-06-14"
    assert meta.place == "Bình Phước"
    assert meta.kind == "báo cáo"
    assert meta.title == "Báo cáo tình hình công tác 6 tháng đầu năm và Chương trình công tác 6 tháng cuối năm 2024"
    assert meta.signer == "Trần Tuệ Hiền"
    assert meta.signer_role == "CHỦ TỊCH"
    assert meta.issuer == "ỦY BAN NHÂN DÂN"
    assert meta.number == ""
    assert meta.period == {"label": "6 tháng đầu năm 2024", "start": "2024-01", "end": "2024-06"}
    assert set(meta.to_dict()) == {"title", "kind", "number", "place", "date", "issuer", "level", "period",
                                   "signer", "signer_role", "signed_at"}


@pytest.mark.parametrize(
    "path, expected",
    [
        (
            DONG_LAM,
            dict(
                date="2023-12-12", place="Đông Lâm", kind="báo cáo", number="215/BC-UBND",
                title="Báo cáo kết quả thực hiện nhiệm vụ phát triển kinh tế - xã hội năm 2023 và phương hướng, nhiệm vụ năm 2024",
                issuer="ỦY BAN NHÂN DÂN HUYỆN ĐÔNG LÂM", signer="Lương Đình Thạch", signer_role="CHỦ TỊCH",
                level="huyện", period={"label": "năm 2023", "start": "2023-01", "end": "2023-12"}, signed_at="Đông Lâm",
            ),
        ),
        (
            HOA_SON,
            dict(
                date="2025-03-05", place="Hòa Sơn", kind="kế hoạch", number="88/KH-UBND",
                title="Kế hoạch chuyển đổi số tỉnh Hòa Sơn giai đoạn 2025-2027",
                issuer="ỦY BAN NHÂN DÂN TỈNH HÒA SƠN", signer="Đinh Quang Vĩnh", signer_role="PHÓ CHỦ TỊCH",
                level="tỉnh", period={"label": "giai đoạn 2025-2027", "start": "2025-01", "end": "2027-12"},
                signed_at="Hòa Sơn",
            ),
        ),
    ],
    ids=["dong-lam", "hoa-son"],
)
def test_metadata_other_samples(path, expected):
    assert extract_metadata(parsed(path)).to_dict() == expected


def test_metadata_same_for_crlf_and_nfd():
    text = BINH_PHUOC.read_text(encoding="utf-8")
    base = extract_metadata(parse_report(text)).to_dict()
    assert extract_metadata(parse_report(text.replace("\n", "\r\n"))).to_dict() == base
    assert extract_metadata(parse_report(unicodedata.normalize("NFD", text))).to_dict() == base


@pytest.mark.parametrize("path", [BINH_PHUOC, DONG_LAM], ids=["binh-phuoc", "dong-lam"])
def test_metadata_title_with_single_newlines(path):
    text = path.read_text(encoding="utf-8")
    squeezed = re.sub(r"\n\s*\n", "\n", text)
    assert extract_metadata(parse_report(squeezed)).title == extract_metadata(parse_report(text)).title


def test_metadata_without_preamble_or_closing_falls_back():
    report = parse_report("I. Kết quả\n\nThu ngân sách đạt 12 tỷ đồng.\n")
    meta = extract_metadata(report, fallback_title="Báo cáo nhanh")
    assert meta.title == "Báo cáo nhanh"
    assert meta.date == "" and meta.signer == ""
    assert extract_metadata(report).title == "I. Kết quả"


def test_metadata_signer_without_on_behalf_line():
    text = (
        "Hà Nội, ngày 3 tháng 1 năm 2025\n\nBÁO CÁO\n\nTổng kết năm\n\nI. Kết quả\n\nĐạt kế hoạch.\n\n"
        "Nơi nhận:\n- Lưu: VT.\n\nNguyễn Thị Mai\n"
    )
    meta = extract_metadata(parse_report(text))
    assert meta.signer == "Nguyễn Thị Mai"
    assert meta.date == "2025-01-03" and meta.place == "Hà Nội"
    assert meta.title == "Báo cáo tổng kết năm"


# ---------------------------------------------------------------------------
# Pipeline


def test_prepare_report_from_sample_file():
    prepared = prepare_report(load_path(BINH_PHUOC))
    assert prepared.doc_id == "bao-cao-binh-phuoc-6-thang-2024"
    assert prepared.title.startswith("Báo cáo tình hình công tác 6 tháng đầu năm")
    assert prepared.metadata.signer == "Trần Tuệ Hiền"
    assert prepared.chunks and all(c.doc_id == prepared.doc_id for c in prepared.chunks)
    assert len(prepared.content_hash) == 64
    assert prepared.source == BINH_PHUOC.name


def test_same_report_in_other_encodings_has_the_same_hash():
    text = DONG_LAM.read_text(encoding="utf-8")
    base = prepare_report(load_text(text, "paste"))
    for data in (text.replace("\n", "\r\n").encode("utf-8"), unicodedata.normalize("NFD", text).encode("utf-8"), text.encode("utf-16")):
        other = prepare_report(load_bytes(data, "bao-cao.txt"))
        assert other.content_hash == base.content_hash
        assert [c.text for c in other.chunks] == [c.text for c in base.chunks]
    changed = prepare_report(load_text(text.replace("412,6", "412,7"), "paste"))
    assert changed.content_hash != base.content_hash


def test_pasted_report_gets_an_id_from_its_title():
    prepared = prepare_report(load_text(HOA_SON.read_text(encoding="utf-8"), "paste"))
    assert prepared.doc_id == "ke-hoach-chuyen-doi-so-tinh-hoa-son-giai-doan-2025-2027"
    custom = prepare_report(load_text(HOA_SON.read_text(encoding="utf-8")), doc_id="hoa-son", title="  Chuyển đổi số  ")
    assert custom.doc_id == "hoa-son" and custom.title == "Chuyển đổi số"
    assert all(c.doc_id == "hoa-son" for c in custom.chunks)


@pytest.mark.parametrize("bad", ["", "Hoa-Son", "hòa-sơn", "-abc", "a b", "a/b", "x" * 81])
def test_invalid_doc_id_is_a_user_error(bad):
    with pytest.raises(InputError) as excinfo:
        validate_doc_id(bad)
    assert "\n" not in str(excinfo.value)


def test_text_of_invisible_characters_is_rejected():
    with pytest.raises(InputError) as excinfo:
        prepare_report(load_text("\u200b\u200b\u2060\u00ad", "paste"))
    assert "\n" not in str(excinfo.value)


def test_sentence_spans_used_by_chunks_stay_within_text():
    # chunk boundaries come from sentence_spans: they never cut a figure in two
    report = parsed(DONG_LAM)
    for chunk in chunk_report(report, "dl", max_chars=150):
        assert not re.match(r"^[,.]?\d", chunk.text) or chunk.start == 0 or not report.text[chunk.start - 1].isdigit()
        assert not chunk.text[-1:].isdigit() or chunk.end == len(report.text) or not report.text[chunk.end].isdigit()
    assert sentence_spans("7,76%.") == [(0, 6)]

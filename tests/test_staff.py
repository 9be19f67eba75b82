"""Staff batches and archives, re-indexing, the audit log: on the real service and store."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ingest.archive import MAX_MEMBERS, zip_members
from ingest.loaders import InputError
from tests.conftest import DONG_LAM, SAMPLE

REPORT = "BÁO CÁO\n\nKết quả xã {0} năm 2024\n\nI. Kết quả\n\n1. Nông nghiệp\n\nDiện tích lúa của xã {0} đạt {1} ha.\n"


def _zip(members: dict[str, bytes], **kw) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, **kw) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zip_of_reports_is_read_member_by_member_and_bad_members_say_why():
    data = _zip({
        "bao-cao/xa-an-phu.txt": REPORT.format("An Phú", 512).encode(),
        "../../etc/passwd.txt": b"BAO CAO\n\nI. Noi dung\n\nabc\n",       # climbs out: kept as its bare name
        "__MACOSX/._xa-an-phu.txt": b"\x00\x05",                          # Finder's litter: skipped
        "con.zip": _zip({"a.txt": b"x"}),
        "bang.xlsx": b"PK...",
        "bom.txt": b"0" * (3 * 1024 * 1024),
    })
    members = zip_members(data, max_file_bytes=1024 * 1024)
    by_name = {m.name: m for m in members}
    assert set(by_name) == {"xa-an-phu.txt", "passwd.txt", "con.zip", "bang.xlsx", "bom.txt"}
    assert by_name["xa-an-phu.txt"].data.startswith("BÁO CÁO".encode())
    assert "lồng" in by_name["con.zip"].error and "không hỗ trợ" in by_name["bang.xlsx"].error
    assert by_name["bom.txt"].data is None and "quá lớn" in by_name["bom.txt"].error    # read capped, not trusted


def test_an_archive_that_is_not_one_or_holds_too_much_is_refused():
    with pytest.raises(InputError, match=".zip"):
        zip_members(b"PK\x03\x04 broken", 1024)
    with pytest.raises(InputError, match="tối đa"):
        zip_members(_zip({f"{n}.txt": b"x" for n in range(MAX_MEMBERS + 1)}), 1024)
    with pytest.raises(InputError, match="không có tệp"):
        zip_members(_zip({"__MACOSX/x": b"x"}), 1024)


def test_a_batch_indexes_every_good_file_and_a_bad_one_loses_nothing(make_service):
    service = make_service()
    service.ingest_path(DONG_LAM)
    before = {r.doc_id: r.content_hash for r in service.documents()}
    archive = _zip({"xa-tan-hoa.txt": REPORT.format("Tân Hòa", 640).encode(), "trong.txt": b"   "})
    outcomes = list(service.ingest_files([
        ("xa-an-phu.txt", REPORT.format("An Phú", 512).encode()),
        ("ho-so.zip", archive),
        ("hong.docx", b"PK\x03\x04 not a docx"),
    ], who="lan"))
    assert [(o.name, o.status) for o in outcomes] == [
        ("xa-an-phu.txt", "indexed"), ("ho-so.zip/xa-tan-hoa.txt", "indexed"), ("ho-so.zip/trong.txt", "error"),
        ("hong.docx", "error")]
    assert all(o.message for o in outcomes if o.status == "error")
    after = {r.doc_id: r.content_hash for r in service.documents()}
    assert {k: after[k] for k in before} == before                       # nothing already there changed
    answer = service.ask("Diện tích lúa của xã Tân Hòa đạt bao nhiêu ha?")
    assert answer.found and "640 ha" in answer.answer
    who = [(e.who, e.action, e.status) for e in service.audit_entries()]
    assert who[:4] == [("lan", "ingest", "error"), ("lan", "ingest", "error"), ("lan", "ingest", "indexed"),
                       ("lan", "ingest", "indexed")]


def test_reindex_parses_every_report_again_from_what_its_reader_gave(make_service, monkeypatch):
    service = make_service()
    service.ingest_path(SAMPLE)
    first = service.documents()[0]
    assert [o.status for o in service.reindex("lan")] == ["unchanged"]
    # A parser change: the same text now splits into another heading tree.
    import ingest.pipeline as pipeline

    real_parse = pipeline.parse_report

    def parse_without_last_section(loaded):
        parsed = real_parse(loaded)
        parsed.sections = parsed.sections[:-1]
        return parsed

    monkeypatch.setattr(pipeline, "parse_report", parse_without_last_section)
    outcomes = list(service.reindex("lan"))
    assert [(o.doc_id, o.status) for o in outcomes] == [(first.doc_id, "replaced")]
    now = service.documents()[0]
    assert now.sections == first.sections - 1 and now.title == first.title
    assert service.audit_entries()[0].action == "reindex"


def test_a_report_indexed_before_sources_were_kept_is_reported_not_lost(make_service):
    service = make_service()
    service.ingest_path(DONG_LAM)
    service.index._sources.delete(ids=["bao-cao-huyen-dong-lam-2023"])     # as a store of an earlier version
    outcomes = list(service.reindex("lan"))
    assert outcomes[0].status == "error" and "tải lại" in outcomes[0].message
    assert [r.doc_id for r in service.documents()] == ["bao-cao-huyen-dong-lam-2023"]


def test_the_staff_tabs_queue_reads_each_file_in_turn_and_says_what_became_of_it(make_service, tmp_path):
    from webui.staff import index_batch

    service = make_service(staff_tokens="lan:token-of-lan-1", max_upload_bytes=64 * 1024)
    paths = []
    for n, place in enumerate(["An Phú", "Bình Minh"], start=1):
        path = tmp_path / f"xa-{n}.txt"
        path.write_text(REPORT.format(place, 500 + n), encoding="utf-8")
        paths.append(str(path))
    big = tmp_path / "qua-lon.txt"
    big.write_bytes(b"a" * (65 * 1024))
    paths.append(str(big))
    assert list(index_batch(service, "wrong-token", paths))[-1][1] == []          # refused: nothing read
    steps = list(index_batch(service, "token-of-lan-1", paths))
    assert steps[0][1] == [[Path(p).name, "Đang chờ"] for p in paths]             # the queue, before any work
    summary, rows = steps[-1]
    assert [r[0] for r in rows] == ["xa-1.txt", "xa-2.txt", "qua-lon.txt"]
    assert rows[0][1].startswith("Đã lập chỉ mục") and rows[2][1].startswith("Lỗi: tệp quá lớn")
    assert "2 thành công, 1 lỗi" in summary
    assert [(e.who, e.status) for e in service.audit_entries()[:4]] == [
        ("lan", "error"), ("lan", "indexed"), ("lan", "indexed"), ("?", "refused")]

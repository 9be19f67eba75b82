"""The REST API in-process (FastAPI TestClient) on a real service and store."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.api import RateLimiter, build_api
from assistant.staff import StaffTokens
from tests.conftest import DONG_LAM

TOKEN = "staff-secret-9f3a"


@pytest.fixture
def client(make_service):
    service = make_service(staff_token=TOKEN)
    service.ingest_path(DONG_LAM)
    return TestClient(build_api(service, RateLimiter(limit=5, window=60)))


def test_ask_returns_the_contract_json(client):
    r = client.post("/api/ask", json={"question": "Thu ngân sách nhà nước trên địa bàn huyện năm 2023 ước được bao nhiêu tỷ đồng?"})
    assert r.status_code == 200
    body = r.json()
    assert body["found"] and "412,6" in body["answer"]
    assert set(body) == {"question", "answer", "found", "citations", "mode", "timings_ms"}


def test_openapi_schema_lists_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/docs", "/api/docs/{doc_id}"} <= set(paths)


def test_staff_can_add_and_delete_with_the_token(client):
    text = "BÁO CÁO\n\nI. Kết quả\n\n1. Kinh tế\n\nTổng sản phẩm trên địa bàn xã tăng 6,5%.\n"
    r = client.post("/api/docs", json={"text": text, "title": "Báo cáo xã thử"}, headers={"X-Staff-Token": TOKEN})
    assert r.status_code == 201 and r.json()["status"] == "indexed"
    assert "bao-cao-xa-thu" in [d["doc_id"] for d in client.get("/api/docs").json()]
    assert client.delete("/api/docs/bao-cao-xa-thu", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 204
    assert client.delete("/api/docs/bao-cao-xa-thu", headers={"X-Staff-Token": TOKEN}).status_code == 404


def test_upload_a_file(client, tmp_path):
    files = {"file": ("bao-cao-moi.txt", "BÁO CÁO\n\nI. Nội dung\n\nDiện tích lúa đạt 1.200 ha.\n".encode("utf-8"), "text/plain")}
    r = client.post("/api/docs", files=files, headers={"X-Staff-Token": TOKEN})
    assert r.status_code == 201 and r.json()["doc_id"] == "bao-cao-moi"


def test_wrong_or_missing_token_changes_nothing(client):
    before = client.get("/api/docs").json()
    assert client.post("/api/docs", json={"text": "BÁO CÁO\n\nNội dung."}, headers={"X-Staff-Token": "sai"}).status_code == 401
    assert client.post("/api/docs", json={"text": "BÁO CÁO\n\nNội dung."}).status_code == 401
    assert client.delete("/api/docs/bao-cao-huyen-dong-lam-2023").status_code == 401
    assert client.get("/api/docs").json() == before


def test_indexing_is_off_without_a_configured_token(make_service):
    client = TestClient(build_api(make_service()))
    r = client.post("/api/docs", json={"text": "BÁO CÁO\n\nNội dung."}, headers={"X-Staff-Token": "anything"})
    assert r.status_code == 403


@pytest.mark.parametrize("payload", [{"text": "   "}, {"text": "\x00\x01" * 500}, {"nope": 1}])
def test_bad_reports_are_400_and_keep_the_index(client, payload):
    before = client.get("/api/docs").json()
    r = client.post("/api/docs", json=payload, headers={"X-Staff-Token": TOKEN})
    assert r.status_code == 400 and r.json()["detail"]
    assert client.get("/api/docs").json() == before


def test_asking_is_rate_limited_per_client(client):
    codes = [client.post("/api/ask", json={"question": "Giá vàng hôm nay?"}).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_named_staff_tokens_say_who_and_refuse_the_rest():
    tokens = StaffTokens.parse("lan:token-of-lan-1, minh:token-of-minh-2", "old-single-token")
    assert tokens.who("token-of-minh-2") == "minh" and tokens.who("old-single-token") == "staff"
    assert tokens.who("token-of-minh-") is None and tokens.who("") is None and tokens.who(None) is None
    assert not StaffTokens.parse(None, None).enabled
    for bad in ("lan", "lan:short", "lan:token-of-lan-1,minh:token-of-lan-1", "bad name:long-enough-token"):
        with pytest.raises(ValueError) as refused:
            StaffTokens.parse(bad)
        assert "token-of-lan-1" not in str(refused.value)          # a token never shows in an error


def test_batch_upload_audit_and_reindex_through_the_api(make_service):
    service = make_service(staff_tokens="lan:token-of-lan-1,minh:token-of-minh-2")
    client = TestClient(build_api(service))
    lan, minh = {"X-Staff-Token": "token-of-lan-1"}, {"Authorization": "Bearer token-of-minh-2"}
    good = "BÁO CÁO\n\nKết quả xã {0} năm 2024\n\nI. Kết quả\n\n1. Nông nghiệp\n\nDiện tích lúa xã {0} đạt 5{1} ha.\n"
    files = [("files", (f"xa-{n}.txt", good.format(name, n).encode("utf-8"), "text/plain"))
             for n, name in enumerate(["An Phú", "Bình Minh"], start=1)]
    files.append(("files", ("hong.pdf", b"%PDF-1.4 not really", "application/pdf")))
    r = client.post("/api/docs/batch", files=files, headers=lan)
    assert r.status_code == 200
    outcomes = r.json()
    assert [o["status"] for o in outcomes] == ["indexed", "indexed", "error"] and outcomes[2]["message"]
    assert client.delete("/api/docs/xa-1", headers=minh).status_code == 204
    assert client.get("/api/audit", headers={"X-Staff-Token": "wrong-token-123"}).status_code == 401
    log = client.get("/api/audit", headers=lan).json()
    assert [(e["who"], e["action"], e["doc_id"] or e["detail"][:8]) for e in log[:5]] == [
        ("?", "refused", "API: mã "), ("minh", "delete", "xa-1"), ("lan", "ingest", "hong.pdf"),
        ("lan", "ingest", "xa-2"), ("lan", "ingest", "xa-1")]
    csv_text = client.get("/api/audit?format=csv", headers=lan).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "at,who,action,doc_id,title,status,detail" and "minh,delete,xa-1" in csv_text
    again = client.post("/api/reindex", headers=minh).json()
    assert [(o["doc_id"], o["status"]) for o in again] == [("xa-2", "unchanged")]   # the same parser: nothing to do
    sections = client.get("/api/docs/xa-2/sections").json()
    assert [s["section_id"] for s in sections][-2:] == ["I", "I.1"] and "5" in sections[-1]["text"]
    assert client.get("/api/docs/khong-co/sections").status_code == 404


def test_a_server_starting_in_the_background_answers_once_ready(make_service):
    service = make_service(staff_token=TOKEN)
    client = TestClient(build_api(service))
    service.start_in_background([DONG_LAM])
    assert client.get("/api/health").json() == {"ready": False, "documents": 0}
    # Asked before the seed is indexed, the question waits for it instead of being
    # answered from an empty store.
    r = client.post("/api/ask", json={"question": "Thu ngân sách nhà nước trên địa bàn huyện năm 2023 ước được bao nhiêu tỷ đồng?"})
    assert r.json()["found"] and "412,6" in r.json()["answer"]
    assert client.get("/api/health").json() == {"ready": True, "documents": 1}


@pytest.mark.parametrize("doc_id", ["..%2F..%2Fetc%2Fpasswd", "a%00b", "x" * 300, "%2E%2E"])
def test_document_ids_with_path_tricks_are_refused(client, doc_id):
    r = client.delete(f"/api/docs/{doc_id}", headers={"X-Staff-Token": TOKEN})
    assert r.status_code in (400, 404)
    assert [d["doc_id"] for d in client.get("/api/docs").json()] == ["bao-cao-huyen-dong-lam-2023"]
    r = client.post("/api/docs", json={"text": "BÁO CÁO\nMột báo cáo.", "doc_id": "../../etc/passwd"},
                    headers={"X-Staff-Token": TOKEN})
    assert r.status_code == 400


def test_the_staff_token_is_never_logged(client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    client.post("/api/docs", json={"text": "BÁO CÁO\nI. KẾT QUẢ\nSản lượng lúa đạt 1.234 tấn.", "title": "Thử"},
                headers={"X-Staff-Token": TOKEN})
    client.post("/api/docs", json={"text": "x"}, headers={"Authorization": f"Bearer {TOKEN}-wrong"})
    client.delete("/api/docs/khong-co", headers={"X-Staff-Token": TOKEN})
    assert caplog.records                      # the service did log the ingest ...
    assert TOKEN not in caplog.text            # ... and never the secret, right or wrong

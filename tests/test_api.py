"""The REST API in-process (FastAPI TestClient) on a real service and store."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.api import RateLimiter, build_api, staff_token_ok
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


def test_token_comparison():
    assert staff_token_ok("abc", "abc")
    assert not staff_token_ok("abc", "abd") and not staff_token_ok(None, "abc") and not staff_token_ok("abc", None)


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

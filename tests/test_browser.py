"""The app in a real browser: Debian's Chromium driven by Playwright against the served
app on loopback. Each test saves a screenshot under its temp dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE, free_port, store_env, wait_for_http

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "staff-secret-7c1e"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = free_port()
    env = {**os.environ, **store_env(tmp_path_factory.mktemp("browser-app")),
           "ASSISTANT_STAFF_TOKEN": TOKEN, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--seed", str(SAMPLE)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc, 120, "app server")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install -y chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url, wait_until="load")
    yield page
    page.screenshot(path=str(tmp_path / "screen.png"), full_page=True)
    context.close()


def ask(page, question: str) -> None:
    box = page.get_by_label("Câu hỏi")
    box.fill(question)
    box.press("Enter")


def test_ask_see_answer_chip_and_evidence(page):
    ask(page, "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?")
    page.get_by_text("50,51%").first.wait_for()
    chip = page.locator("details > summary", has_text="[A.I.4.(5)]").first
    chip.wait_for()
    assert page.locator("details[open]").count() == 0            # closed until clicked
    chip.click()
    opened = page.locator("details[open]").first
    opened.wait_for()
    assert "50,51%" in opened.locator("mark").first.inner_text()
    assert "Kết quả chủ yếu" in opened.inner_text()


def test_staff_pastes_a_report_then_asks_about_it(page):
    page.get_by_role("tab", name="Nhập báo cáo").click()
    page.get_by_label("Mã nhân viên").fill(TOKEN)
    page.get_by_label("Dán nội dung báo cáo").fill(
        "BÁO CÁO\n\nKết quả xã Tân Phú năm 2024\n\nI. Kết quả\n\n1. Nông nghiệp\n\n"
        "Diện tích trồng sầu riêng của xã đạt 812 ha, tăng 64 ha so với năm trước.\n"
    )
    page.get_by_label("Tiêu đề (không bắt buộc)").fill("Báo cáo xã Tân Phú 2024")
    page.get_by_role("button", name="Lập chỉ mục").click()
    page.get_by_text("Đã lập chỉ mục").first.wait_for()
    page.get_by_role("tab", name="Hỏi đáp").click()
    ask(page, "Diện tích trồng sầu riêng của xã Tân Phú là bao nhiêu ha?")
    page.get_by_text("812 ha").first.wait_for()


def test_wrong_token_is_refused(page):
    page.get_by_role("tab", name="Nhập báo cáo").click()
    page.get_by_label("Mã nhân viên").fill("not-the-token")
    page.get_by_label("Dán nội dung báo cáo").fill("BÁO CÁO\n\nI. Kết quả\n\nTăng 6%.\n")
    page.get_by_role("button", name="Lập chỉ mục").click()
    page.get_by_text("Từ chối").first.wait_for()


def test_commitments_tab_lists_programme_items(page):
    page.get_by_role("tab", name="Cam kết").click()
    page.get_by_text("Tổ phản ứng nhanh", exact=False).first.wait_for()
    assert page.get_by_text("B.5", exact=True).count() >= 1

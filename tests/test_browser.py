"""The app in a real browser: Debian's Chromium driven by Playwright against the served
app on loopback, seeded with the bundled report and a real plan and a real later report
of the same body (UBND tỉnh Lâm Đồng: Kế hoạch CCHC 2026-2030 with its task table, and
the Báo cáo CCHC quý I/2026). Each test saves a screenshot under its temp dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE, free_port, store_env, wait_for_http

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "staff-secret-7c1e"
REAL = ROOT / "eval" / "corpus" / "real"
PLAN = REAL / "kh-ubnd-lam-dong-cchc-2026-2030.docx"
LATER_REPORT = REAL / "bc-ubnd-lam-dong-cchc-quy-1-2026.docx"


def serve_seeded(data_dir: Path, seeds: list[Path], extra_env: dict[str, str] | None = None):
    """The app served on loopback with its seed reports indexed; yields its URL."""
    import json
    import time
    import urllib.request

    port = free_port()
    env = {**os.environ, **store_env(data_dir), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
           **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port), *[a for s in seeds for a in ("--seed", str(s))]],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc, 120, "app server")
        wait_for_http(url + "api/health", proc, 5, "health")
        deadline = time.monotonic() + 300          # the seeds are indexed behind the listening server
        while not json.load(urllib.request.urlopen(url + "api/health", timeout=10))["ready"]:
            assert time.monotonic() < deadline and proc.poll() is None, "seed reports not indexed in time"
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    yield from serve_seeded(tmp_path_factory.mktemp("browser-app"), [SAMPLE, PLAN, LATER_REPORT],
                            {"ASSISTANT_STAFF_TOKENS": f"lan:{TOKEN}"})


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
    page.get_by_role("button", name="Lập chỉ mục", exact=True).click()
    page.get_by_text("Đã lập chỉ mục").first.wait_for()
    page.get_by_role("tab", name="Hỏi đáp").click()
    ask(page, "Diện tích trồng sầu riêng của xã Tân Phú là bao nhiêu ha?")
    page.get_by_text("812 ha").first.wait_for()


def test_wrong_token_is_refused(page):
    page.get_by_role("tab", name="Nhập báo cáo").click()
    page.get_by_label("Mã nhân viên").fill("not-the-token")
    page.get_by_label("Dán nội dung báo cáo").fill("BÁO CÁO\n\nI. Kết quả\n\nTăng 6%.\n")
    page.get_by_role("button", name="Lập chỉ mục", exact=True).click()
    page.get_by_text("Từ chối").first.wait_for()


def test_commitments_tab_lists_programme_items(page):
    page.get_by_role("tab", name="Cam kết").click()
    page.get_by_text("Tổ phản ứng nhanh", exact=False).first.wait_for()
    assert page.get_by_text("B.5", exact=True).count() >= 1


def test_a_citation_chip_carries_its_heading_and_opens_the_reader_at_its_section(page, tmp_path):
    ask(page, "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?")
    chip = page.locator("#evidence-panel summary.citation-chip", has_text="[A.I.4.(5)]").first
    chip.wait_for()
    assert len(chip.inner_text()) > len("[A.I.4.(5)]") + 3       # the section's heading beside its id
    chip.click()
    with page.context.expect_page() as opened:
        page.locator("#evidence-panel details[open] a.reader-link").first.click()
    reader = opened.value
    reader.wait_for_load_state("load")
    heading = reader.locator("#reader-heading")
    heading.wait_for()
    assert heading.inner_text().startswith("[A.I.4.(5)]")
    assert "50,51%" in reader.locator("#reader-section").inner_text()
    reader.screenshot(path=str(tmp_path / "reader-from-chip.png"), full_page=True)


def test_a_deep_link_opens_the_reader_at_a_section_of_an_attached_plan(browser, app_url, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url + "?doc=kh-ubnd-lam-dong-cchc-2026-2030&section=II.1", wait_until="load")
    heading = page.locator("#reader-heading")
    heading.wait_for()
    assert heading.inner_text().startswith("[II.1]")
    outline = page.locator("#reader-outline")
    assert outline.locator("li.current").count() == 1                # the outline marks where we are
    assert "Phụ lục" in outline.inner_text() or "PHỤ LỤC" in outline.inner_text()   # the attachment is in the tree
    page.screenshot(path=str(tmp_path / "deep-link.png"), full_page=True)
    context.close()


def _commitments(page):
    page.get_by_role("tab", name="Cam kết").click()
    table = page.locator("#commitments-table")
    table.locator("[role=gridcell]").first.wait_for()          # the rows are there
    return table


def test_a_task_of_the_attached_plan_shows_its_agency_deadline_and_follow_through(page):
    table = _commitments(page)
    page.get_by_label("Tìm (có thể gõ không dấu)").fill("kiem tra cong tac cai cach hanh chinh")
    row = table.locator("[role=row]", has_text="Sở Nội vụ").first
    row.wait_for()
    text = row.inner_text()
    assert "Kế hoạch cải cách hành chính" in text            # the report's title, not its slug
    assert "kh-ubnd" not in text
    assert "tháng 01 hằng năm" in text                       # the deadline cell of the plan's task table
    assert "đang thực hiện" in text or "đã hoàn thành" in text
    row.locator("[role=gridcell]").nth(2).click()
    evidence = page.get_by_text("Báo cáo sau:").first
    evidence.wait_for()
    assert page.locator(".evidence mark").count() >= 2            # the task, and the later report's passage
    assert "Báo cáo công tác cải cách hành chính quý I" in page.locator(".evidence").nth(1).inner_text()


def test_commitments_export_downloads_a_spreadsheet(page, tmp_path):
    _commitments(page)
    page.get_by_role("button", name="Xuất Excel (.xlsx)").click()
    link = page.locator("a[download][href$='cam-ket.xlsx']").first
    link.wait_for()
    with page.expect_download() as got:
        link.click()
    saved = tmp_path / "cam-ket.xlsx"
    got.value.save_as(saved)
    from openpyxl import load_workbook

    sheet = load_workbook(saved).active
    header = [c.value for c in sheet[1]]
    assert "Cơ quan chủ trì" in header and "Tình trạng" in header
    assert sheet.max_row > 40                                   # the plan's task rows, every one


def test_an_answer_can_be_copied_with_its_sources_and_the_conversation_downloaded(page, tmp_path):
    ask(page, "Tỷ lệ trường đạt chuẩn quốc gia đến hết tháng 5 là bao nhiêu?")
    page.wait_for_function("() => document.querySelector('#takeaway textarea').value.includes('Nguồn:')")
    value = page.locator("#takeaway textarea").input_value()
    assert "[1]" in value and "[A.I.4.(5)]" in value and "50,51%" in value
    with page.expect_download() as got:
        page.get_by_role("button", name="Tải hội thoại (.docx)").click()
    saved = tmp_path / "hoi-dap.docx"
    got.value.save_as(saved)
    import docx

    text = "\n".join(p.text for p in docx.Document(str(saved)).paragraphs)
    assert "Tỷ lệ trường đạt chuẩn quốc gia" in text and "Nguồn:" in text


def test_staff_upload_three_files_shows_three_results_and_an_audit_entry(page, tmp_path):
    files = []
    for n, (place, crop) in enumerate([("Tân Lập", "cà phê"), ("Tân Hòa", "hồ tiêu"), ("Tân Mỹ", "điều")], start=1):
        path = tmp_path / f"bao-cao-xa-{n}.txt"
        path.write_text(f"BÁO CÁO\n\nKết quả xã {place} năm 2024\n\nI. Kết quả\n\n1. Nông nghiệp\n\n"
                        f"Diện tích {crop} của xã {place} đạt {100 + n} ha.\n", encoding="utf-8")
        files.append(str(path))
    page.get_by_role("tab", name="Nhập báo cáo").click()
    page.get_by_label("Mã nhân viên").fill(TOKEN)
    page.locator("#staff-upload input[type=file]").set_input_files(files)
    page.get_by_role("button", name="Lập chỉ mục", exact=True).click()
    page.get_by_text("Xong:").first.wait_for()
    queue = page.locator("#staff-queue")
    for n in (1, 2, 3):
        assert "Đã lập chỉ mục" in queue.locator("[role=row]", has_text=f"bao-cao-xa-{n}.txt").first.inner_text()
    page.get_by_role("button", name="Xem nhật ký").click()
    entry = page.locator("#audit-log [role=row]", has_text="bao-cao-xa-2.txt").first
    entry.wait_for()
    assert "lan" in entry.inner_text().split()               # who, by the token's name


@pytest.mark.parametrize("tab", ["Hỏi đáp", "Đọc báo cáo", "Cam kết", "Số liệu", "Nhập báo cáo"])
def test_every_tab_fits_a_390px_phone(browser, app_url, tmp_path, tab):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url + "?doc=kh-ubnd-lam-dong-cchc-2026-2030&section=I.1" if tab == "Đọc báo cáo" else app_url,
              wait_until="load")
    page.locator("[role=tab]").first.wait_for()
    tab_button = page.get_by_role("tab", name=tab)
    assert tab_button.is_visible()                 # the tabs wrap: none hides in a menu
    tab_button.click()
    page.wait_for_timeout(1500)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    page.screenshot(path=str(tmp_path / f"phone-{tab}.png"), full_page=True)
    context.close()
    assert width <= 392, f"the {tab} tab is {width}px wide on a 390px screen"


@pytest.fixture(scope="module")
def series_app_url(tmp_path_factory):
    """An app holding a series: the bundled report (6 tháng đầu năm 2024) and the same
    layout for 2023 and 2022 (scripts/confusable_corpus.py: years shifted, figures changed)."""
    import random

    from scripts.confusable_corpus import SERIES, rewrite

    folder = tmp_path_factory.mktemp("series-files")
    text, rng, seeds = SAMPLE.read_text(encoding="utf-8"), random.Random(3), [SAMPLE]
    for back in (1, 2):
        path = folder / f"bc-binh-phuoc-{SERIES[0].year - back}.txt"
        path.write_text(rewrite(SERIES[0], text, SERIES[0].place, -back, rng), encoding="utf-8")
        seeds.append(path)
    yield from serve_seeded(tmp_path_factory.mktemp("series-app"), seeds)


def test_an_indicator_across_three_periods_as_a_table_and_a_chart(browser, series_app_url, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(series_app_url, wait_until="load")
    ask(page, "Tốc độ tăng trưởng GRDP của tỉnh Bình Phước là bao nhiêu?")
    page.get_by_text("Các kỳ báo cáo khác").first.wait_for()            # the answer names the other periods
    page.get_by_role("tab", name="Số liệu").click()
    page.locator("#trend-question textarea").fill("Tốc độ tăng trưởng GRDP của tỉnh Bình Phước là bao nhiêu?")
    page.locator("#trend-button").click()
    page.locator("#trend-table [role=row]", has_text="6 tháng đầu năm 2022").first.wait_for()
    rows = page.locator("#trend-table [role=row]", has_text="6 tháng đầu năm")
    periods = {p for p in ("2022", "2023", "2024") for i in range(rows.count()) if f"năm {p}" in rows.nth(i).inner_text()}
    assert periods == {"2022", "2023", "2024"}
    assert "7,76" in page.locator("#trend-table").inner_text()
    page.locator("#trend-chart canvas, #trend-chart svg").first.wait_for()   # the chart is drawn
    page.screenshot(path=str(tmp_path / "trend.png"), full_page=True)
    context.close()

"""The dashboard in a real headless Chromium: every page renders, finishes running and shows no error.

Starts ``streamlit run app.py`` on a free port with a temporary configuration
(copy of the built-in référentiels, fresh decision store), waits for
``/_stcore/health``, opens each page, waits until the app has finished running,
checks that no exception or error box is shown, and saves a screenshot of each
page to tests/artifacts/ and docs/screenshots/ (used by the README).

Needs Debian's ``chromium`` and ``chromium-driver`` (``make browser-deps``).
Skipped when they are missing, except in CI (``$CI`` set), where it must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from crossref import pipeline
from crossref.config import Config
from crossref.ui import PAGES

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# README screenshots are refreshed only on request, so a test run never modifies tracked files.
UPDATE_DOCS = os.environ.get("CROSSREF_UPDATE_SCREENSHOTS") == "1"
START_TIMEOUT = 90
PAGE_TIMEOUT = 120  # the first page computes (or loads) the results
SETTLE_S = 1.5  # the page must stay idle this long to count as finished
# A second screenshot, scrolled to the part of the page that shows the detail.
DETAIL = {
    "matrices": '[data-testid="stPlotlyChart"]',
    "equivalences": '[data-testid="stHtml"]',
    "passerelles": '[data-testid="stPlotlyChart"]',
    "graph": '[data-testid="stDataFrame"]',
}

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()) and not os.environ.get("CI"):
    pytest.skip("Debian chromium / chromium-driver not installed (run `make browser-deps`)",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    data = tmp / "data"
    for sub in ("referentiels", "templates"):
        shutil.copytree(ROOT / "data" / sub, data / sub)
    config = tmp / "config.json"
    config.write_text(f'{{"data_dir": "{data}", "database_url": "sqlite:///{tmp / "decisions.sqlite"}"}}',
                      encoding="utf-8")
    pipeline.run(Config.load(config), decisions=False)  # warm disk cache: the server starts fast
    port = _free_port()
    env = {**os.environ, "CROSSREF_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}
    log = open(tmp / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"streamlit did not start: {(tmp / 'streamlit.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.fail("chromium / chromedriver missing: run `make browser-deps` (required in CI)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1400,1000", "--lang=fr-FR",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def _wait_finished(drv, title: str) -> None:
    """Until the app's script has stopped running (``stApp``'s ``data-test-script-state``), the page's
    h1 reads ``title`` and nothing is loading, for SETTLE_S seconds in a row."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + PAGE_TIMEOUT
    idle_since = None
    state = h1 = None
    while time.monotonic() < deadline:
        app = drv.find_elements(By.CSS_SELECTOR, '[data-testid="stApp"]')
        state = app[0].get_attribute("data-test-script-state") if app else None
        h1 = [e.text.strip() for e in drv.find_elements(By.CSS_SELECTOR, "h1")]
        busy = drv.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], '
                                                  '[data-testid="stSpinner"]')
        if state == "notRunning" and title in h1 and not busy:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= SETTLE_S:
                return
        else:
            idle_since = None
        time.sleep(0.25)
    pytest.fail(f"page {title!r} did not finish running in {PAGE_TIMEOUT} s (script state: {state}, h1: {h1})")


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_page_in_browser(server, driver, page):
    from selenium.webdriver.common.by import By

    path = "" if page is PAGES[0] else page.url_path
    driver.get(f"{server}/{path}")
    _wait_finished(driver, page.title)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = page.file.removesuffix(".py")
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    exceptions = [e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')]
    errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentError"]')]
    assert not exceptions, f"{page.title}: exception shown: {exceptions}"
    assert not errors, f"{page.title}: error shown: {errors}"
    # the navigation lists every page, in French
    nav = driver.find_element(By.CSS_SELECTOR, '[data-testid="stSidebarNav"]').text
    assert all(p.title in nav for p in PAGES), nav
    if UPDATE_DOCS:
        driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    if name in DETAIL:
        found = driver.find_elements(By.CSS_SELECTOR, DETAIL[name])
        assert found, f"{page.title}: {DETAIL[name]} not rendered"
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", found[0])
        time.sleep(1.0)
        driver.save_screenshot(str(ARTIFACTS / f"{name}_detail.png"))
        if UPDATE_DOCS:
            driver.save_screenshot(str(SCREENSHOTS / f"{name}_detail.png"))


def _open(drv, server: str, page) -> None:
    drv.get(f"{server}/{'' if page is PAGES[0] else page.url_path}")
    _wait_finished(drv, page.title)


def test_matrix_cell_click_lists_its_pairs(server, driver):
    """A click on a heatmap cell selects that cell: the pairs behind it are listed."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page = next(p for p in PAGES if p.file == "matrices.py")
    _open(driver, server, page)
    chart = driver.find_element(By.CSS_SELECTOR, '[data-testid="stPlotlyChart"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", chart)
    time.sleep(0.5)
    area = chart.find_element(By.CSS_SELECTOR, "rect.nsewdrag")  # the plotting area
    # tick labels in screen order: top to bottom, left to right
    ys = [e.text for e in sorted((e for e in chart.find_elements(By.CSS_SELECTOR, ".ytick text") if e.text),
                                 key=lambda e: e.rect["y"])]
    xs = [e.text for e in sorted((e for e in chart.find_elements(By.CSS_SELECTOR, ".xtick text") if e.text),
                                 key=lambda e: e.rect["x"])]
    ys, xs = list(dict.fromkeys(ys)), list(dict.fromkeys(xs))
    assert len(ys) >= 2 and len(xs) >= 2, (ys, xs)
    w, h = area.rect["width"], area.rect["height"]
    # last row, last column (the page opens on the first cell)
    ActionChains(driver).move_to_element_with_offset(
        area, int(w * (len(xs) - 0.5) / len(xs) - w / 2), int(h * (len(ys) - 0.5) / len(ys) - h / 2)).click().perform()
    time.sleep(0.5)
    _wait_finished(driver, page.title)
    shown = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMarkdown"]'))
    assert f"Couverture de {xs[-1]} par {ys[-1]}" in shown, shown[:2000]
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')


def test_equivalences_row_click_opens_the_pair(server, driver):
    """A click on a row of the pairs table shows that pair's texts."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page = next(p for p in PAGES if p.file == "equivalences.py")
    _open(driver, server, page)
    table = driver.find_element(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')
    before = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "h3")]
    w, h = table.rect["width"], table.rect["height"]
    # the selection checkbox of the third row (rows are 35 px high, header included)
    ActionChains(driver).move_to_element_with_offset(table, int(16 - w / 2), int(35 * 3 + 17 - h / 2)).click().perform()
    time.sleep(0.5)
    _wait_finished(driver, page.title)
    after = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "h3")]
    assert after and after[0] != before[0], (before, after)
    assert len(driver.find_elements(By.CSS_SELECTOR, '[data-testid="stHtml"] mark')) >= 1
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')


def _grid_headers(drv, grid) -> list[str]:
    """Headers of the columns a data grid has drawn (the grid draws only what is in view), in order."""
    from selenium.webdriver.common.by import By

    cells = grid.find_elements(By.CSS_SELECTOR, "th, [role=columnheader]")
    ranked = sorted((int(c.get_attribute("aria-colindex") or 0), (c.get_attribute("textContent") or "").strip())
                    for c in cells)
    return [text for _, text in ranked if text]


def _assert_visible_first(drv, grid, decisive: list[str]) -> None:
    width = drv.execute_script("return window.innerWidth")
    assert grid.rect["x"] >= 0 and grid.rect["x"] + grid.rect["width"] <= width, (grid.rect, width)
    headers = _grid_headers(drv, grid)
    assert headers[:len(decisive)] == decisive, headers


def test_decisive_columns_visible_at_1366x768(server, driver):
    """At 1366 × 768, the decisive columns are the first ones drawn in the Équivalences and VAE tables."""
    from selenium.webdriver.common.by import By

    size = driver.get_window_size()
    driver.set_window_size(1366, 768)
    try:
        page = next(p for p in PAGES if p.file == "equivalences.py")
        _open(driver, server, page)
        grid = driver.find_element(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')
        _assert_visible_first(driver, grid, ["Score", "Relation", "Statut", "Portée"])

        page = next(p for p in PAGES if p.file == "passerelles.py")
        _open(driver, server, page)
        tab = next(t for t in driver.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                   if "VAE" in (t.get_attribute("textContent") or ""))
        driver.execute_script("arguments[0].click();", tab)
        time.sleep(0.5)
        area = next(a for a in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stTextArea"] textarea')
                    if a.is_displayed())
        area.send_keys("Je mène les négociations annuelles avec mes clients grands comptes.\n"
                       "Je réalise la veille concurrentielle.")
        driver.execute_script("arguments[0].blur();", area)
        time.sleep(1.0)
        button = next(b for b in driver.find_elements(By.CSS_SELECTOR, "button")
                      if "Analyser l'expérience" in (b.get_attribute("textContent") or ""))
        driver.execute_script("arguments[0].click();", button)
        time.sleep(1.0)
        _wait_finished(driver, page.title)
        grids = [g for g in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')
                 if "Meilleure preuve" in _grid_headers(driver, g)]
        assert grids, "the VAE competence table is not shown"
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", grids[0])
        time.sleep(0.5)
        _assert_visible_first(driver, grids[0], ["État", "Score", "Compétence", "Meilleure preuve"])
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    finally:
        driver.set_window_size(size["width"], size["height"])

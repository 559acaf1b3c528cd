"""report.html in a real browser: Debian's headless Chromium, driven by Playwright (no browser download).

The page loads with no console message of any kind and no page error, asks for nothing but itself (charts
are data URIs), its screenshot is not blank, and its tables hold the numbers of summary.csv and
groups.csv (each cell's exact value, and the text shown for it).
"""
from __future__ import annotations

import io
import shutil

import numpy as np
import pandas as pd
import pytest

from scenarios.report.report import show
from tests.scenarios.helpers import SMALL, invoke, no_traceback, write

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium: Debian's `chromium` package "
                                                "(.ci/run installs it with apt-get when missing)"),
]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The compare report of SMALL against one more l1 agent, loaded in Chromium: what the page did and holds."""
    playwright = pytest.importorskip("playwright.sync_api", reason="needs Playwright: pip install -e '.[test]'")
    folder = tmp_path_factory.mktemp("report")
    result = invoke("compare", write(folder, SMALL), "--alt", "more:staffing.groups.l1.shifts.0.agents=6", "-r", 3,
                    "--out", folder / "out", "--report")
    assert result.exit_code == 0 and no_traceback(result), result.output
    page_path = folder / "out" / "report.html"
    messages, requests = [], []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: messages.append(f"page error: {error}"))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_path.as_uri(), wait_until="load")
        cells = page.eval_on_selector_all(
            "section.scenario td[data-kpi]",
            "cells => cells.map(c => [c.closest('section').dataset.scenario, c.dataset.row, c.dataset.kpi,"
            " c.dataset.value, c.textContent])")
        images = page.eval_on_selector_all("img", "images => images.map(i => [i.naturalWidth, i.complete])")
        screenshot = page.screenshot(full_page=True)
        browser.close()
    return {"folder": folder / "out", "page": page_path, "messages": messages, "requests": requests,
            "cells": pd.DataFrame(cells, columns=["scenario", "row", "kpi", "value", "text"]),
            "images": images, "screenshot": screenshot}


def test_the_page_loads_without_console_messages_or_requests(rendered):
    assert rendered["messages"] == []
    assert set(rendered["requests"]) == {rendered["page"].as_uri()}  # data: images make no requests
    assert rendered["images"] and all(width > 100 and complete for width, complete in rendered["images"])


def test_the_screenshot_is_not_blank(rendered):
    from PIL import Image
    pixels = np.asarray(Image.open(io.BytesIO(rendered["screenshot"])).convert("L"), dtype=float)
    assert pixels.shape[0] > 2000  # tables and charts, not an empty page
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.01  # text and lines on a white page


@pytest.mark.parametrize("scenario", ["scenario", "more"])
def test_the_tables_hold_the_numbers_of_summary_and_groups(rendered, scenario):
    cells = rendered["cells"][rendered["cells"].scenario == scenario]
    summary = pd.read_csv(rendered["folder"] / scenario / "summary.csv").set_index("contact_type")
    groups = pd.read_csv(rendered["folder"] / scenario / "groups.csv").set_index("group")
    checked = 0
    for _, cell in cells.iterrows():
        table = groups if cell.row in groups.index else summary
        mean, half = table.at[cell.row, cell.kpi], table.at[cell.row, f"{cell.kpi}_ci95"]
        assert cell.text == show(mean, half), (cell.row, cell.kpi)
        if np.isnan(mean):
            assert cell.value == ""
        else:
            assert float(cell.value) == mean, (cell.row, cell.kpi)  # the exact value, not a rounding
            checked += 1
    every_kpi = len(summary.index) * summary.columns.str.endswith("_ci95").sum()
    assert checked > 0 and len(cells) >= every_kpi  # every KPI of every row is in the page

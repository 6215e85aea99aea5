"""The self-contained HTML report in headless Chromium: both charts load, totals show."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from assistant.billing import explain_bill
from assistant.billing.render import render_bill
from assistant.config import load_settings
from assistant.core.scope import Scope
from assistant.warehouse.db import reader, writer
from assistant.windows import month_window
from tests.billing.bill_rows import two_months
from tests.conftest import require_binary

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOT_DIR = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.mark.browser
def test_html_report_renders_with_its_charts(penny_env, tmp_path) -> None:
    chromium = require_binary("chromium")
    from playwright.sync_api import sync_playwright

    settings = load_settings(now=datetime(2026, 12, 5))
    with writer(settings) as con:
        two_months(con)
    with reader(settings) as con:
        expl = explain_bill(
            con,
            month_window(2026, 11),
            compare=month_window(2026, 9),
            scope=Scope.everything(),
            settings=settings,
        )
    page_file = tmp_path / "bill.html"
    page_file.write_text(render_bill(expl, "html"), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            widths = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)"
            )
            amortized = page.inner_text("#total-amortized")
            change = page.inner_text("#total-change")
            SHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT_DIR / "bill-2026-11.png"), full_page=True)
        finally:
            browser.close()
    assert len(widths) == 2 and all(w > 0 for w in widths)
    assert "$1,868.16" in amortized and "+$1,486.64" in change
    # self-contained: nothing but the file itself and its data: URIs was requested
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []

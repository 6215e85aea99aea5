"""The chat page's Budgets panel in a real browser (Playwright driving Debian's Chromium)
against the real app on loopback, over the steady November (tests/budgets/steady_month.py)
up to Nov 21 00:00: 20 days × $24 = payments $480.00 of $600.00 (80.00 %), forecast
$720.00 (30 × $24), $120.00 over it; the whole bill $720.00 of $1,080.00 (66.67 %)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.interfaces.api import create_app
from tests.budgets.steady_month import BUDGETS, CELLS_NOV_21, steady_november
from tests.conftest import require_binary
from tests.interfaces.conftest import ADMIN_TOKEN, PAYMENTS_TOKEN, LiveServer, tokens
from tests.interfaces.test_web_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_budgets_panel_shows_each_tokens_own_budgets(penny_env: Path, tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    from playwright.sync_api import expect, sync_playwright

    settings = load_settings(
        now=datetime(2026, 11, 21), budgets=BUDGETS, server={"tokens": tokens()}
    )
    steady_november(settings, hours=480)
    with LiveServer(create_app(settings, engine="offline")) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(server.url + "/")
        expect(page.locator("#budgets")).to_be_hidden()
        page.fill("#token", PAYMENTS_TOKEN)
        page.click("#token-form button")
        panel = page.locator("#budgets")
        expect(panel).to_be_visible(timeout=30_000)
        expect(page.locator("#budgets-title")).to_have_text("Budgets, 2026-11 to 2026-11-21")
        rows = panel.locator("tr")
        expect(rows).to_have_count(2)  # the header and payments' own budget only
        expect(rows.nth(1).locator("td")).to_have_text(CELLS_NOV_21["payments"])
        expect(page.locator("#budgets-note")).to_contain_text("2 more not visible to this token")
        width = rows.nth(1).locator(".bar i").evaluate("i => i.style.width")
        assert width == "80%"

        page.fill("#token", ADMIN_TOKEN)
        page.click("#token-form button")
        expect(rows).to_have_count(4, timeout=30_000)
        expect(rows.nth(1).locator("td").nth(2)).to_have_text("$720.00")

        shot = tmp_path / "budgets.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("WEB_TEST_SCREENSHOT"):
            page.screenshot(path=os.environ["WEB_TEST_SCREENSHOT"], full_page=True)
        assert shot.stat().st_size > 10_000
        browser.close()

"""The chat page in a real browser: Playwright driving Debian's Chromium against the real
app served by uvicorn, asking questions on the demo warehouse and reading the rendered page."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.interfaces.api import create_app
from assistant.warehouse.db import reader
from tests.conftest import require_binary
from tests.interfaces.conftest import ADMIN_TOKEN, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def test_chat_page_streams_answers_with_tables_tools_and_bill_charts(
    demo_settings: Settings, tmp_path: Path
) -> None:
    chromium = require_binary("chromium")
    from playwright.sync_api import expect, sync_playwright

    with reader(demo_settings) as con:
        (payments,) = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' AND "
            "team = 'payments' AND strftime(hour, '%Y-%m') = '2026-10'"
        ).fetchone()
        (checkout,) = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' AND "
            "team = 'payments' AND controller_kind = 'Deployment' AND "
            "controller_name = 'checkout-api' AND strftime(hour, '%Y-%m') = '2026-10'"
        ).fetchone()
    money = f"${Decimal(payments).quantize(Decimal('0.01')):,}"
    checkout_money = f"${Decimal(checkout).quantize(Decimal('0.01')):,}"

    with LiveServer(create_app(demo_settings, engine="offline")) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        page.goto(server.url + "/")
        page.fill("#token", ADMIN_TOKEN)
        page.click("#token-form button")
        expect(page.locator("#whoami")).to_have_text("signed in as ada (everything)")

        page.fill("#question", "how much did team payments cost in October")
        page.press("#question", "Enter")
        turn = page.locator(".turn").nth(0)
        expect(turn.locator(".answer")).not_to_have_class("answer streaming", timeout=60_000)
        expect(turn.locator(".tool.ok")).to_have_text(["query_costs"])
        expect(turn.locator(".answer strong")).to_have_text(["payments", money])
        cells = turn.locator(".answer table tr").filter(has_text="Deployment/checkout-api")
        expect(cells.locator("td.num")).to_have_text(checkout_money)
        expect(turn.locator(".meta")).to_contain_text("offline · 0 tokens · AI cost $0")

        page.fill("#question", "bill October")
        page.press("#question", "Enter")
        bill = page.locator(".turn").nth(1)
        expect(bill.locator(".tool.ok")).to_have_text(["explain_bill"], timeout=60_000)
        expect(bill.locator(".charts img")).to_have_count(2, timeout=60_000)
        widths = bill.locator(".charts img").evaluate_all(
            "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth)))"
        )
        assert all(w > 300 for w in widths)
        assert bill.locator(".answer table").count() >= 1

        shot = tmp_path / "chat.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("WEB_TEST_SCREENSHOT"):
            page.screenshot(path=os.environ["WEB_TEST_SCREENSHOT"], full_page=True)
        assert shot.stat().st_size > 10_000
        browser.close()

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


def test_the_html_bill_over_http_shows_its_style_and_charts_and_runs_nothing(
    demo_settings: Settings,
) -> None:
    """Served under the API's CSP (default-src 'none') a browser showed the bill unstyled
    with both charts broken; its own policy allows its one style block and data: images."""
    chromium = require_binary("chromium")
    from playwright.sync_api import sync_playwright

    with LiveServer(create_app(demo_settings, engine="offline")) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        page = context.new_page()
        blocked: list[str] = []
        page.on(
            "console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None
        )
        response = page.goto(server.url + "/v1/bill/2026-10?format=html")
        assert response is not None and response.ok
        assert "style-src 'sha256-" in response.headers["content-security-policy"]
        widths = page.locator("img").evaluate_all(
            "imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth)))"
        )
        assert len(widths) == 2 and all(w > 300 for w in widths)
        # the style block applied: tables collapse their borders (the browser default is
        # 'separate')
        collapse = page.locator("table").first.evaluate("t => getComputedStyle(t).borderCollapse")
        assert collapse == "collapse"
        # and nothing else may run or load: a script added by hand is refused
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'document.title = \"ran\"'; document.body.append(s); }"
        )
        assert page.title() != "ran"
        assert blocked == [] or all("script" in b.lower() for b in blocked)
        browser.close()

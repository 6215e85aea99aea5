"""Hostile labels through every renderer: data stays data.

A small warehouse is built from the known test cluster with its namespaces and team
renamed to hostile labels (Slack control sequences, a Markdown link, table pipes, Rich
markup, HTML, a newline), then real answers about it go through each medium's renderer:
the answer's Markdown, Slack's mrkdwn and Block Kit (the ``text`` field too), the web
page's renderer in Chromium, the terminal (Rich) and the HTML bill.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from assistant.agent.ask import ask
from assistant.allocation.allocate import allocate
from assistant.config import Settings, load_settings
from assistant.core.answer import AskContext
from assistant.core.markdown import md_escape, md_unescape, split_cells
from assistant.ingest.focus.run import ingest_focus
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from assistant.interfaces.slack_blocks import answer_blocks, error_blocks, plain_mrkdwn
from tests.hostile.conftest import HOSTILE_LABELS, NOW
from tests.ingest.focus.focus_rows import line, write_csv
from tests.ingest.metrics.cluster_file import render

NS_A = "<!channel> [click me](https://evil.example/x) a|b *x*"
NS_B = "`code` &amp; __dunder__ [click me] line\nbreak"
TEAM = "<@U024BE7LH> [bold red]red[/] <script>alert(1)</script>"


def _om(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("hostile-labels")
    text = (
        render(openmetrics=True)
        .replace('namespace="shop"', f'namespace="{_om(NS_A)}"')
        .replace('namespace="batch"', f'namespace="{_om(NS_B)}"')
        .replace('label_team="payments"', f'label_team="{_om(TEAM)}"')
    )
    path = home / "cluster.om"
    path.write_text(text, encoding="utf-8")
    # node-a's bill for the two hours (an EC2 line an hour): without one, every cost is a
    # price-list estimate, listed apart and never ranked as the bill
    bill = write_csv(
        home / "bill.csv",
        [
            line(
                BillingPeriodStart="2026-10-01 00:00:00",
                BillingPeriodEnd="2026-11-01 00:00:00",
                ResourceId="i-0abc123",
                ChargePeriodStart=f"2026-10-01 {10 + i}:00:00",
                ChargePeriodEnd=f"2026-10-01 {11 + i}:00:00",
                BilledCost="0.192",
                EffectiveCost="0.192",
                ListCost="0.192",
                ContractedCost="0.192",
            )
            for i in range(2)
        ],
    )
    settings = load_settings(home=home, now=NOW)
    ingest_focus([bill], settings)
    ingest_openmetrics([path], "c1", settings)
    allocate(settings)
    return settings


def _answer(settings: Settings, question: str) -> Any:
    return ask(question, AskContext(), settings, engine="offline")


# -- the Markdown an answer is written in ---------------------------------------------


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_markdown_escape_keeps_every_label_one_literal_cell(label: str) -> None:
    row = f"| {md_escape(label)} | $1.00 |"
    cells = split_cells(row)
    assert len(cells) == 2
    assert md_unescape(cells[0]) == label.replace("\n", " ")
    assert "\n" not in row


def test_answers_about_hostile_names_keep_them_as_text(hostile: Settings) -> None:
    a = _answer(hostile, "top 5 namespaces in October")
    table = [line for line in a.text.splitlines() if line.startswith("|")]
    widths = {len(split_cells(line)) for line in table}
    assert widths == {3}, table  # no label added a cell
    names = [md_unescape(split_cells(line)[1]) for line in table[2:]]
    assert NS_A in names and NS_B.replace("\n", " ") in names
    assert "](https://evil.example/x)" not in a.text.replace("\\]", "").replace("\\[", "")


# -- Slack: mrkdwn, Block Kit and the plain text field -----------------------------------

_CONTROL = re.compile(r"<[!@#]|<https?://evil|<script")


@pytest.mark.parametrize("question", ["top 5 namespaces in October", "cost by team in October"])
def test_slack_blocks_and_text_carry_no_control_sequence(hostile: Settings, question: str) -> None:
    a = _answer(hostile, question)
    text, blocks = answer_blocks(a)
    payload = text + json.dumps(blocks, ensure_ascii=False)
    assert _CONTROL.search(payload) is None, payload
    assert "&lt;!channel&gt;" in payload or "&lt;@U024BE7LH&gt;" in payload
    # tables are preformatted: one line per row, the label whole on it
    tables = [
        b["text"]["text"]
        for b in blocks
        if b["type"] == "section" and b["text"]["text"].startswith("```")
    ]
    for t in tables:
        lines = t.strip("`").splitlines()
        assert len({len(line) for line in lines}) >= 1
        assert all("\n" not in line for line in lines)


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_slack_errors_and_plain_text_escape_every_label(label: str) -> None:
    text, blocks = error_blocks(f"No team named {label!r}.", f"Did you mean {label}?")
    payload = text + json.dumps(blocks, ensure_ascii=False)
    assert _CONTROL.search(payload) is None
    shown = plain_mrkdwn(label)
    assert "<" not in shown and ">" not in shown and "*" not in shown.replace("∗", "")


# -- the terminal: Rich markup is never read from data -----------------------------------


def test_terminal_tables_print_labels_literally(hostile: Settings) -> None:
    from assistant.capabilities.context import Ctx
    from assistant.capabilities.costs import CostsRequest, costs
    from assistant.cli.cmd_costs import render as render_costs

    report = costs(CostsRequest(window="2026-10", group_by="team"), Ctx.create(hostile))
    out = io.StringIO()
    render_costs(report, Console(file=out, width=300, color_system=None))
    printed = out.getvalue()
    assert "[bold red]red[/]" in printed  # markup shown, not applied
    assert "<script>alert(1)</script>" in printed


def test_cli_errors_print_data_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    bad = tmp_path / "[bold red]bill[/].csv"
    code = main(["ingest", "focus", str(bad)])
    err = capsys.readouterr().err
    assert code == 1
    assert "[bold red]bill[/].csv" in err.replace("\n", "")


# -- the HTML bill ---------------------------------------------------------------------


def test_html_bill_and_its_charts_escape_hostile_names(hostile: Settings) -> None:
    from assistant.billing.explain import explain_bill
    from assistant.billing.render import chart_images, render_bill
    from assistant.core.scope import Scope
    from assistant.warehouse.db import reader
    from assistant.windows import month_window

    with reader(hostile) as con:
        expl = explain_bill(con, month_window(2026, 10), scope=Scope.everything(), settings=hostile)
    assert any(p.group == TEAM for p in expl.daily)  # the hostile team is in the bill
    svg = chart_images(expl, "svg")["daily_by_team"].decode()
    assert "<script>alert(1)</script>" not in svg and "&lt;script&gt;" in svg
    # every text field the page prints, made hostile
    loud = expl.model_copy(
        update={"notes": HOSTILE_LABELS, "narrative": " ".join(HOSTILE_LABELS), "scope": TEAM}
    )
    html = render_bill(loud, "html")
    assert "<script>alert(1)</script>" not in html and "<!channel>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # narrative and notes


# -- the web page, in a real browser ----------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_web_page_renders_hostile_answers_as_text(hostile: Settings) -> None:
    from playwright.sync_api import sync_playwright

    from assistant.interfaces.api import WEB_DIR
    from tests.conftest import require_binary
    from tests.interfaces.test_web_browser import CHROMIUM_ARGS

    chromium = require_binary("chromium")
    answers = [_answer(hostile, q).text for q in ("top 5 namespaces in October",)]
    answers.append("\n".join(f"| {md_escape(label)} | $1.00 |" for label in HOSTILE_LABELS))
    answers.append(" ".join(md_escape(label) for label in HOSTILE_LABELS))
    script = (WEB_DIR / "app.js").read_text(encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_content("<main id='log'></main><div id='out'></div>")
        # the page's own renderer, without its event wiring (no form on this page)
        page.add_script_tag(content=script.split("function authHeaders")[0])
        for md in answers:
            result = page.evaluate(
                """md => {
                    const out = document.getElementById('out');
                    out.innerHTML = markdown(md);
                    return {
                        links: [...out.querySelectorAll('a')].map(a => a.href),
                        scripts: out.querySelectorAll('script').length,
                        rows: [...out.querySelectorAll('tr')].map(r => r.children.length),
                        text: out.textContent,
                    };
                }""",
                md,
            )
            assert result["links"] == [] and result["scripts"] == 0
            assert len(set(result["rows"])) <= 1, result["rows"]  # no label split a row
            assert "[click me](https://evil.example/x)" in result["text"]
        browser.close()

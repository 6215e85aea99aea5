"""Every way Penny states a month's total, as a table of views (issue 10).

A view is ``(warehouse, month) -> {basis: total}``: the total one interface states for that
month, per cost basis it can state (``amortized`` = Σ EffectiveCost, ``invoice`` = Σ
BilledCost). Numbers are Decimals where the interface returns data, the text as written
where it only returns prose (offline answers, Slack): the suite checks that text holds
the bill to the cent. To add an interface (MCP, an OpenCost-compatible API), add a view.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from assistant.agent.ask import ask
from assistant.capabilities.context import Ctx
from assistant.capabilities.costs import CostsRequest, costs
from assistant.cli import main
from assistant.config import Settings, load_settings
from assistant.core.answer import AskContext
from assistant.core.scope import Scope
from assistant.costs.assets import asset_costs
from assistant.costs.dimensions import DIMENSIONS
from assistant.interfaces.api import create_app
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tests.interfaces.conftest import ADMIN_TOKEN, SIGNING_SECRET, auth, tokens
from tools.registry import ToolContext, call

__all__ = ["BASES", "VIEWS", "Stated", "Warehouse"]

BASES = ("amortized", "invoice")
Stated = dict[str, Decimal | str]  # basis → a total (data) or the text that states it


@dataclass
class Warehouse:
    """A built warehouse, its closed months and their bills (from the files, not the DB)."""

    name: str
    home: Path
    now: str
    bill: dict[str, dict[str, Decimal]]  # month → basis → Σ of that month's lines
    extra: dict[str, Any] = field(default_factory=dict)
    _http: TestClient | None = None

    @property
    def months(self) -> list[str]:
        return sorted(self.bill)

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(
            home=self.home,
            db=self.home / "penny.duckdb",
            now=self.now,
            server={"tokens": tokens()},
            **overrides,
        )

    def ctx(self) -> Ctx:
        return Ctx.create(self.settings(), Scope.everything("consistency"))

    @property
    def http(self) -> TestClient:
        if self._http is None:
            self._http = TestClient(create_app(self.settings(), engine="offline"))
        return self._http


def _costs(group_by: str, **kw: Any) -> Callable[[Warehouse, str], Stated]:
    def view(wh: Warehouse, month: str) -> Stated:
        return {
            b: costs(
                CostsRequest(window=month, group_by=group_by, basis=b, **kw), wh.ctx()
            ).totals.total
            for b in BASES
        }

    return view


def _assets(by: str) -> Callable[[Warehouse, str], Stated]:
    def view(wh: Warehouse, month: str) -> Stated:
        s = wh.settings()
        window = parse_window(month, now=s.current_time())
        with reader(s) as con:
            return {
                b: asset_costs(con, window=window, by=by, basis=b, settings=s).total  # type: ignore[arg-type]
                for b in BASES
            }

    return view


def _tool(name: str, args: dict[str, Any], pick: Callable[[dict[str, Any]], Any]) -> Callable[
    [Warehouse, str], Stated
]:  # fmt: skip
    def view(wh: Warehouse, month: str) -> Stated:
        out: Stated = {}
        for b in BASES if "basis" in args else ("amortized",):
            raw = {k: (month if v == "{month}" else b if v == "{basis}" else v)
                   for k, v in args.items()}  # fmt: skip
            result, _ = call(name, raw, ToolContext.create(wh.settings()))
            assert result.ok and result.status == "success", (name, result.error)
            out[b] = Decimal(str(pick(result.to_json()["data"])))
        return out

    return view


def _cli_costs(wh: Warehouse, month: str) -> Stated:
    out: Stated = {}
    for b in BASES:
        text = _run_cli(wh, ["costs", "--window", month, "--by", "team", "--basis", b, "--json"])
        out[b] = Decimal(json.loads(text)["totals"]["total"])
    return out


def _cli_bill(wh: Warehouse, month: str) -> Stated:
    data = json.loads(_run_cli(wh, ["bill", month, "--format", "json"]))
    return {"amortized": Decimal(data["totals"]["amortized"]),
            "invoice": Decimal(data["totals"]["invoice"])}  # fmt: skip


def _bill_reconciliation(wh: Warehouse, month: str) -> Stated:
    data = json.loads(_run_cli(wh, ["bill", month, "--format", "json"]))
    return {"amortized": Decimal(data["reconciliation"]["total"])}


def _bill_month_over_month(wh: Warehouse, month: str) -> Stated:
    """The next month's bill states this month as its "before": it must be this bill."""
    later = _next(month)
    if later not in wh.bill:
        return {}
    data = json.loads(_run_cli(wh, ["bill", later, "--format", "json"]))
    stated = {"amortized": Decimal(data["previous_totals"]["amortized"])}
    prose = re.search(rf"Against {month} \((\$[\d,.]+)\)", data["narrative"])
    assert prose is not None, data["narrative"]
    stated["amortized (narrative)"] = prose.group(1)
    return stated


def _next(month: str) -> str:
    y, m = (int(x) for x in month.split("-"))
    return f"{y + (m == 12)}-{m % 12 + 1:02d}"


@contextmanager
def _env(wh: Warehouse) -> Iterator[None]:
    import os

    saved = {k: os.environ.get(k) for k in ("PENNY_HOME", "PENNY_DB", "PENNY_NOW")}
    os.environ.update(PENNY_HOME=str(wh.home), PENNY_DB=str(wh.home / "penny.duckdb"),
                      PENNY_NOW=wh.now)  # fmt: skip
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_cli(wh: Warehouse, argv: list[str]) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with _env(wh), contextlib.redirect_stdout(buf):
        code = main(argv)
    assert code == 0, (argv, buf.getvalue())
    return buf.getvalue()


def _http_costs(wh: Warehouse, month: str) -> Stated:
    out: Stated = {}
    for b in BASES:
        r = wh.http.get("/v1/costs", params={"window": month, "by": "cluster", "basis": b},
                        headers=auth(ADMIN_TOKEN))  # fmt: skip
        assert r.status_code == 200, r.text
        out[b] = Decimal(r.json()["totals"]["total"])
    return out


def _http_bill(wh: Warehouse, month: str) -> Stated:
    r = wh.http.get(f"/v1/bill/{month}", params={"format": "json"}, headers=auth(ADMIN_TOKEN))
    assert r.status_code == 200, r.text
    t = r.json()["totals"]
    return {"amortized": Decimal(t["amortized"]), "invoice": Decimal(t["invoice"])}


def _offline(question: str) -> Callable[[Warehouse, str], Stated]:
    def view(wh: Warehouse, month: str) -> Stated:
        answer = ask(question.format(month=month), AskContext(), wh.settings(), engine="offline")
        assert answer.understood, answer.text
        stated = re.search(r"\*\*(\$[\d,]+\.\d\d)\*\*", answer.text)
        assert stated is not None, answer.text
        return {"amortized": stated.group(1)}

    return view


def _slack(question: str) -> Callable[[Warehouse, str], Stated]:
    def view(wh: Warehouse, month: str) -> Stated:
        slack = wh.extra["slack"]
        before = len(slack.stub.named("chat.update"))
        slack.mention(question.format(month=month), ts=f"1790{len(slack.asked):06d}.000100")
        slack.asked.append(month)
        update = slack.stub.wait_for("chat.update", before + 1)[-1]
        text = json.dumps(update.body.get("blocks") or update.body.get("text"))
        stated = re.search(r"\*\*?(\$[\d,]+\.\d\d)\*", text) or re.search(r"(\$[\d,]+\.\d\d)", text)
        assert stated is not None, text
        return {"amortized": stated.group(1)}

    return view


VIEWS: dict[str, Callable[[Warehouse, str], Stated]] = {
    **{f"costs by {d}": _costs(d) for d in DIMENSIONS},
    "costs by label:team": _costs("label:team"),
    "costs by node (allocation view)": _costs("node", view="allocation"),
    "costs by cluster (allocation view)": _costs("cluster", view="allocation"),
    "costs by namespace, idle shared": _costs("namespace", share_idle=True),
    "costs by node, idle shared (allocation view)": _costs(
        "node", view="allocation", share_idle=True
    ),
    "assets by node": _assets("node"),
    "assets by cluster": _assets("cluster"),
    "penny costs --json": _cli_costs,
    "penny bill (totals)": _cli_bill,
    "penny bill (reconciliation)": _bill_reconciliation,
    "penny bill of the next month (before)": _bill_month_over_month,
    "tool query_costs": _tool(
        "query_costs",
        {"window": "{month}", "group_by": "team", "basis": "{basis}"},
        lambda d: d["totals"]["total"],
    ),
    "tool cost_trend": _tool(
        "cost_trend",
        {"window": "{month}", "bucket": "month", "basis": "{basis}"},
        lambda d: d["total"],
    ),
    "tool explain_bill": _tool(
        "explain_bill", {"month": "{month}"}, lambda d: d["totals"]["amortized"]
    ),
    "HTTP /v1/costs": _http_costs,
    "HTTP /v1/bill": _http_bill,
    "offline: what did we spend": _offline("What did we spend in {month}?"),
    "offline: which cluster cost the most": _offline("Which cluster cost the most in {month}?"),
    "offline: top nodes": _offline("top 5 nodes in {month}"),
    "Slack: what did we spend": _slack("what did we spend in {month}?"),
}


def slack_app(wh: Warehouse) -> Any:
    """The Slack app over HTTP (uvicorn on loopback) with the Web API stub, for ``wh``."""
    from assistant.interfaces.live_server import LiveServer
    from tests.interfaces.slack_stub import SlackStub
    from tests.interfaces.test_slack import Slack

    stub = SlackStub()
    settings = wh.settings(
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": stub.api_url,
            "default_scope": ["*"],
        }
    )
    server = LiveServer(create_app(settings, engine="offline"))
    slack = Slack(server.__enter__().url, stub, settings)
    slack.asked = []  # type: ignore[attr-defined]
    return slack, server, stub

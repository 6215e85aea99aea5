"""The weekly digest on the demo: posted Monday 2026-11-16, it covers 2026-11-09..16 against
2026-11-02..09. The demo plants payments' checkout-api in the new staging-use1 cluster from
2026-11-10 (a new workload that week) and the ledger-worker over-request (1.5 cores asked,
0.44 used at p95); the all-teams view has the AWS Data Transfer spike of 2026-11-14, which
no workload explains (``__unallocated__``)."""

from __future__ import annotations

import json
from datetime import datetime

from assistant.capabilities.context import Ctx
from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.interfaces.slack_notices import digest_blocks
from assistant.notify.digest import digest_week, weekly_digest
from tests.notify.conftest import allocated, dollars
from tools.registry import ToolContext, call

POSTED = datetime(2026, 11, 16, 9)
WEEK = "hour >= '2026-11-09' AND hour < '2026-11-16'"
BEFORE = "hour >= '2026-11-02' AND hour < '2026-11-09'"


def _ctx(settings: Settings, scope: Scope) -> Ctx:
    return Ctx(settings=settings, scope=scope, now=POSTED)


def test_the_week_is_the_seven_days_before_the_posting_day() -> None:
    week = digest_week(datetime(2026, 11, 16, 9, 15))
    assert week.label() == "2026-11-09..2026-11-16"
    assert digest_week(datetime(2026, 11, 18, 0)).label() == "2026-11-11..2026-11-18"


def test_team_digest_numbers_are_the_warehouse_sums(settings: Settings) -> None:
    scope = Scope(teams=["payments"], user="slack-channel:C0PAY")
    d = weekly_digest(_ctx(settings, scope), digest_week(POSTED))
    team = "kind = 'workload' AND team = 'payments'"
    cost = allocated(settings, f"{team} AND {WEEK}")
    before = allocated(settings, f"{team} AND {BEFORE}")
    assert (d.cost, d.previous_cost, d.change) == (cost, before, cost - before)
    assert d.by == "workload" and d.audience == "team payments"

    # biggest change: checkout-api, whose only new cost is its staging-use1 copy
    checkout = f"{team} AND controller_kind = 'Deployment' AND controller_name = 'checkout-api'"
    staging = allocated(settings, f"{checkout} AND cluster = 'staging-use1' AND {WEEK}")
    assert staging > 0 and allocated(settings, f"{checkout} AND cluster = 'staging-use1'") == (
        staging
        + allocated(settings, f"{checkout} AND cluster = 'staging-use1' AND hour >= '2026-11-16'")
    )
    b = d.biggest
    assert b is not None and b.group == "payments/Deployment/checkout-api"
    assert b.change == allocated(settings, f"{checkout} AND {WEEK}") - allocated(
        settings, f"{checkout} AND {BEFORE}"
    )
    assert (b.driver, b.driver_amount) == ("New workloads", staging)

    # one saving: the same recommendation the rightsizing tool gives this scope
    tool, _ = call("rightsizing", {"top_n": 1}, ToolContext(settings, scope, POSTED, "t"))
    first = tool.data["recommendations"][0]
    assert d.saving is not None and d.saving.workload == first["workload"]
    assert d.saving.workload == "payments/Deployment/ledger-worker"
    assert str(d.saving.monthly_savings) == str(first["monthly_savings"])

    text, blocks = digest_blocks(d)
    body = json.dumps(blocks, ensure_ascii=False)
    assert blocks[0]["text"]["text"] == "Weekly cost: team payments"
    assert blocks[1]["text"]["text"] == (
        f"*{dollars(cost)}* last week (2026-11-09..2026-11-16), up *{dollars(cost - before)}* "
        f"({d.pct:+.2f}%) from {dollars(before)} the week before."
    )
    assert f"driven by New workloads (+{dollars(staging)})" in body
    assert f"saves *${first['monthly_savings']}/month*" in body
    actions = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == ["penny_why", "penny_draft_patch_0"]
    assert json.loads(actions[0]["value"]) == {"kind": "digest", "key": "2026-11-09..2026-11-16"}
    assert actions[1]["value"] == "payments/Deployment/ledger-worker"
    sources = blocks[-1]["elements"][0]["text"]
    assert sources.startswith("Sources: allocations, node\u02cdcost\u02cdhours")  # '_' shown as is
    assert "2026-11-09..2026-11-16" in sources and "weekly digest for team payments" in sources
    assert text.startswith(f"Weekly cost for team payments: {dollars(cost)} last week")


def test_a_team_channel_never_sees_another_team(settings: Settings) -> None:
    scope = Scope(teams=["search"], user="slack-channel:C0SEARCH")
    d = weekly_digest(_ctx(settings, scope), digest_week(POSTED))
    body = json.dumps(digest_blocks(d)[1], ensure_ascii=False)
    assert d.cost == allocated(settings, f"kind = 'workload' AND team = 'search' AND {WEEK}")
    rows = ("\u02cd\u02cdunallocated", "\u02cd\u02cdidle")  # the bill's own rows, as shown
    for other in ("payments", "checkout", "ml-training", "storefront", *rows):
        assert other not in body
    assert "search/" in body


def test_all_teams_digest_totals_the_bill_and_names_the_unexplained_spike(
    settings: Settings,
) -> None:
    d = weekly_digest(_ctx(settings, Scope.everything("slack-channel:C0FIN")), digest_week(POSTED))
    assert d.cost == allocated(settings, WEEK)  # workloads + idle + unallocated: the bill
    assert d.previous_cost == allocated(settings, BEFORE)
    b = d.biggest
    unallocated = "kind = 'unallocated'"
    assert b is not None and (b.group, b.driver) == ("__unallocated__", "Unallocated services")
    assert b.change == allocated(settings, f"{unallocated} AND {WEEK}") - allocated(
        settings, f"{unallocated} AND {BEFORE}"
    )
    assert d.by == "team" and d.audience == "all teams"
    body = json.dumps(digest_blocks(d)[1], ensure_ascii=False)
    assert "\u02cd\u02cdunallocated\u02cd\u02cd" in body  # not bold, not eaten by mrkdwn

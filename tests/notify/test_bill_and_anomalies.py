"""The month-close bill and anomaly alerts on the demo (data 2026-09-01..2026-11-20).

Planted in the demo: team data's backfill job spiked on 2026-10-22 (18 pods of
data-backfill); ml's llm-finetune job ran 2026-10-08..13. The October bill is in
truths.json (effective cost 35,462.63)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from assistant.capabilities.context import Ctx
from assistant.config import Settings
from assistant.config_slack import BillPostSettings
from assistant.core.scope import Scope
from assistant.errors import NotFound
from assistant.interfaces.slack_notices import anomaly_blocks, bill_blocks
from assistant.notify.anomaly import alert_key, recent_anomalies
from assistant.notify.bill_close import closed_bill, month_to_post
from assistant.notify.details import details
from tests.demo_warehouse import truths
from tests.notify.conftest import allocated, dollars


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 3, 8, 59), None),  # before the closing day and hour
        (datetime(2026, 11, 3, 9, 0), "2026-10"),
        (datetime(2026, 11, 30, 23, 0), "2026-10"),  # all month long: the month just ended
        (datetime(2026, 1, 5, 9, 0), "2025-12"),  # across the year
        (datetime(2026, 12, 2, 23, 0), None),
    ],
)
def test_the_month_to_post_is_the_one_just_ended_after_its_closing_day(
    now: datetime, expected: str | None
) -> None:
    month = month_to_post(now, BillPostSettings(day=3, hour=9))
    assert (month.label() if month else None) == expected


def test_a_closed_month_is_posted_with_the_bills_own_numbers(settings: Settings) -> None:
    now = datetime(2026, 11, 3, 9)
    october = month_to_post(now, BillPostSettings())
    assert october is not None
    report = closed_bill(Ctx(settings=settings, scope=Scope.everything(), now=now), october)
    assert report is not None
    expl = report.explanation
    planted = Decimal(truths(settings.home)["bill"]["2026-10"]["effective_cost"])
    assert expl.totals is not None and expl.totals.amortized == planted
    text, blocks = bill_blocks(report, "all teams")
    assert text == f"The 2026-10 bill for all teams: {dollars(planted)} amortized"
    assert blocks[0]["text"]["text"] == "The 2026-10 bill has closed"
    narrative = blocks[1]["text"]["text"]
    assert narrative.startswith(f"The 2026-10 bill is {dollars(planted)} amortized")
    button = blocks[2]["elements"][0]
    assert json.loads(button["value"]) == {"kind": "bill", "key": "2026-10"}
    assert "2026-10-01..2026-11-01" in blocks[3]["elements"][0]["text"]


def test_a_team_gets_its_own_closed_bill_and_an_incomplete_month_waits(
    settings: Settings,
) -> None:
    ctx = Ctx(settings=settings, scope=Scope(teams=["payments"]), now=datetime(2026, 11, 3, 9))
    october = month_to_post(ctx.now, BillPostSettings())
    assert october is not None
    report = closed_bill(ctx, october)
    assert report is not None
    mine = allocated(
        settings,
        "kind = 'workload' AND team = 'payments' AND hour >= '2026-10-01' AND hour < '2026-11-01'",
    )
    assert report.explanation.allocated_total == mine
    text, blocks = bill_blocks(report, "team payments")
    assert text == f"The 2026-10 bill for team payments: {dollars(mine)} amortized"
    assert "ml-training" not in json.dumps(blocks)
    # November's data ends on the 20th: on 2026-12-03 it is not posted (nor guessed)
    late = Ctx(settings=settings, scope=Scope.everything(), now=datetime(2026, 12, 3, 9))
    november = month_to_post(late.now, BillPostSettings())
    assert november is not None and closed_bill(late, november) is None


def test_anomaly_alert_key_stays_the_same_while_the_run_goes_on(settings: Settings) -> None:
    # team ml steps up twice: on 2026-10-03 (ranker-train grows, ≈ $370 → $432 a day) and
    # on 2026-10-08 (llm-finetune starts, → ≈ $1,139 a day). Seen on successive mornings
    # with a 3-day lookback, each change keeps the one key of the day it began, so a
    # channel is told of each once; the second is new on the 10th, the first out of view
    # from the 11th.
    admin = Scope.everything()
    keys = []
    for day in (5, 7, 9, 10, 11, 12):
        _, found = recent_anomalies(
            Ctx(settings=settings, scope=admin, now=datetime(2026, 10, day, 9)),
            by="team",
            lookback_days=3,
        )
        keys.append([alert_key(a) for a in found])
    step, finetune = "team:ml:spike:2026-10-03", "team:ml:spike:2026-10-08"
    assert keys == [[step], [step], [step], [step, finetune], [finetune], [finetune]]


def test_the_planted_spike_is_alerted_with_its_numbers_and_only_where_visible(
    settings: Settings,
) -> None:
    now = datetime(2026, 10, 24, 9)
    report, found = recent_anomalies(
        Ctx(settings=settings, scope=Scope.everything(), now=now), by="team", lookback_days=3
    )
    (spike,) = found
    assert alert_key(spike) == "team:data:spike:2026-10-22"
    day = "hour >= '2026-10-22' AND hour < '2026-10-23'"
    # the detector leaves idle and billing events out of daily spend: workload rows only
    assert spike.actual == allocated(settings, f"kind = 'workload' AND team = 'data' AND {day}")
    backfill = spike.workloads[0]
    assert backfill["workload"] == "analytics/Job/data-backfill"
    assert backfill["actual"] == allocated(
        settings, f"namespace = 'analytics' AND controller_name = 'data-backfill' AND {day}"
    )
    text, blocks = anomaly_blocks(spike, alert_key(spike), report.provenance, "all teams")
    assert blocks[0]["text"]["text"] == "Unusual cost: data (team)"
    assert blocks[1]["text"]["text"] == (
        f"*data* (team) spiked on 2026-10-22: *{dollars(spike.actual)}* against "
        f"{dollars(spike.expected)} expected (+{dollars(spike.excess)})."
    )
    assert json.loads(blocks[-2]["elements"][0]["value"]) == {
        "kind": "anomaly",
        "key": "team:data:spike:2026-10-22",
    }
    assert text.startswith("Unusual cost: data spiked on 2026-10-22")
    # ml's channel sees nothing of it
    _, ml = recent_anomalies(
        Ctx(settings=settings, scope=Scope(teams=["ml"]), now=now), by="team", lookback_days=3
    )
    assert ml == []


def test_why_details_recompute_with_the_channels_scope(settings: Settings) -> None:
    admin = Ctx(settings=settings, scope=Scope.everything(), now=datetime(2026, 11, 16, 9))
    spike = details(admin, "anomaly", "team:data:spike:2026-10-22")
    assert "| analytics/Job/data-backfill |" in spike.markdown
    assert spike.title == "Why data (team) looks unusual"
    # the same press from a channel scoped to payments finds nothing of team data
    payments = Ctx(settings=settings, scope=Scope(teams=["payments"]), now=admin.now)
    with pytest.raises(NotFound, match="no longer looks unusual"):
        details(payments, "anomaly", "team:data:spike:2026-10-22")
    week = details(payments, "digest", "2026-11-09..2026-11-16")
    before = allocated(
        settings,
        "kind = 'workload' AND team = 'payments' AND hour >= '2026-11-02' AND hour < '2026-11-09'",
    )
    after = allocated(
        settings,
        "kind = 'workload' AND team = 'payments' AND hour >= '2026-11-09' AND hour < '2026-11-16'",
    )
    assert f"{dollars(before)} → {dollars(after)}" in week.markdown
    assert "### By workload" in week.markdown and "ml-training" not in week.markdown
    bill = details(payments, "bill", "2026-10")
    assert bill.bill_month == "2026-10" and bill.markdown.startswith("# Bill for 2026-10")

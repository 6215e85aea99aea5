"""The offline engine on the demo warehouse: exact figures, follow-ups across processes,
honest refusals, plain tool errors, scope."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from assistant.agent.ask import ask
from assistant.agent.offline import answer, forget_threads
from assistant.config import Settings, load_settings
from assistant.core.answer import AskContext
from assistant.core.scope import Scope
from assistant.warehouse.db import reader


def cents(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def sql_one(settings: Settings, sql: str) -> Decimal:
    with reader(settings) as con:
        (value,) = con.execute(sql).fetchone()
    return Decimal(value)


def test_team_cost_is_the_allocations_sum_to_the_cent(demo_settings: Settings) -> None:
    ctx = AskContext(user="t", channel="eval")
    a = answer("What did the payments team spend last month?", ctx, demo_settings)
    # Σ total_cost of payments workload rows, 2026-10-01 <= hour < 2026-11-01
    expected = sql_one(
        demo_settings,
        "SELECT sum(total_cost) FROM allocations WHERE kind = "
        "'workload' AND team = 'payments' AND hour >= '2026-10-01' AND hour < "
        "'2026-11-01'",
    )
    assert f"**{cents(expected)}** in 2026-10" in a.text
    assert [c.name for c in a.tool_calls] == ["query_costs"]
    assert a.tool_calls[0].args["filters"] == {"team": "payments"}
    assert a.provenance[0].window == {
        "start": "2026-10-01T00:00:00Z",
        "end": "2026-11-01T00:00:00Z",
        "label": "2026-10",
    }
    assert "Source: `query_costs` over `allocations`" in a.text


def test_followup_survives_a_new_process_through_the_ledger(demo_settings: Settings) -> None:
    ctx = AskContext(user="t", channel="cli", thread_id="thread-followup")
    ask("What did the payments team spend last month?", ctx, demo_settings, engine="offline")
    forget_threads()  # as if `penny ask --thread` ran in a new process
    a = ask("and in September?", ctx, demo_settings, engine="offline")
    expected = sql_one(
        demo_settings,
        "SELECT sum(total_cost) FROM allocations WHERE kind = "
        "'workload' AND team = 'payments' AND hour >= '2026-09-01' AND hour < "
        "'2026-10-01'",
    )
    assert a.understood and f"**{cents(expected)}** in 2026-09" in a.text
    assert a.tool_calls[0].args == {
        "window": "2026-09",
        "group_by": "controller",
        "filters": {"team": "payments"},
        "top_n": 5,
    }


def test_unknown_question_is_refused_without_numbers(demo_settings: Settings) -> None:
    a = answer("Should we migrate to GKE?", AskContext(), demo_settings)
    assert a.understood is False and a.tool_calls == []
    # GKE is understood (the managed Kubernetes service); "migrate" is said back, unanswered
    assert "I can't answer that as asked (offline, without an LLM)" in a.text
    assert 'I could not map "migrate"' in a.text
    assert "$" not in a.text and "How much did we spend on GKE last month?" in a.text
    b = answer("Write me a poem about Kubernetes", AskContext(), demo_settings)
    assert b.understood is False and b.tool_calls == [] and "$" not in b.text
    assert "I can't answer that without an LLM configured" in b.text


def test_empty_period_is_said_plainly(demo_settings: Settings) -> None:
    a = answer("What did the payments team spend in March 2025?", AskContext(), demo_settings)
    assert a.tool_calls[0].result["status"] == "no_data"
    assert a.text.startswith("There is no data for team payments in 2025-03: No cost rows")
    assert "$" not in a.text


def test_scope_is_applied_by_the_tools(demo_settings: Settings) -> None:
    # a payments-only asker does not see the ml team: its name is unknown to the finder,
    # and an explicit ranking only holds payments rows
    ctx = AskContext(user="p", scope=Scope(teams=["payments"], user="p"))
    a = answer("top 5 teams last month", ctx, demo_settings)
    assert "payments" in a.text and "| ml |" not in a.text
    rows = a.tool_calls[0].result["data"]["rows"]
    assert {r["name"] for r in rows if r["kind"] == "workload"} == {"payments"}


def test_no_warehouse_says_what_to_run(tmp_path: object) -> None:
    settings = load_settings()  # a fresh PENNY_HOME with no warehouse
    a = answer("top 5 namespaces last month", AskContext(), settings)
    assert "`penny demo`" in a.text and "$" not in a.text


def test_a_crashing_tool_is_reported_not_raised(monkeypatch: object) -> None:
    from pydantic import BaseModel

    from assistant.agent.offline.runner import Runner
    from tools.registry import REGISTRY, ToolContext, ToolSpec

    class NoArgs(BaseModel):
        pass

    def broken(args: NoArgs, ctx: ToolContext) -> object:
        raise RuntimeError("disk on fire")

    # the capability itself crashes: the plan gets no report and the tool's own sentence
    REGISTRY["broken_for_test"] = ToolSpec(
        "broken_for_test",
        NoArgs,
        lambda a, c: None,  # type: ignore[arg-type,return-value]
        "x",
        capability=broken,  # type: ignore[arg-type]
    )
    try:
        run = Runner(ToolContext.create(load_settings()))
        report, msg = run.report("broken_for_test", {}, NoArgs)
    finally:
        del REGISTRY["broken_for_test"]
    result = run.calls[0].result
    assert report is None and result["ok"] is False
    assert result["error"] == (
        "Tool broken_for_test failed with an internal error (RuntimeError: disk on fire). "
        "This is a bug in Penny, not in your arguments; answer without this tool and say so."
    )
    assert msg == f"I couldn't get broken_for_test: {result['error']}"
    assert [c.name for c in run.calls] == ["broken_for_test"] and run.sources == []


def test_unknown_team_gets_the_tools_own_refusal(demo_settings: Settings) -> None:
    a = answer("what did team xyz spend last month?", AskContext(), demo_settings)
    assert a.tool_calls[0].result["ok"] is False
    assert a.text.startswith(
        "I couldn't get team xyz in 2026-10: No team named 'xyz' in the cost data you may see."
    )
    assert "$" not in a.text


def test_rightsizing_answer_says_why_a_small_saving_outranks_bigger_ones(
    demo_settings: Settings,
) -> None:
    """Ranked by severity, then savings: the demo's report-builder (OOM-killed, memory
    raised, a cents-sized saving) sits above bigger savings, and the answer says why."""
    from assistant.rightsizing.savings import SEVERITY_ORDER
    from tools.registry import ToolContext, call

    a = answer("What should we rightsize?", AskContext(), demo_settings)
    res, _ = call("rightsizing", {"top_n": 5}, ToolContext.create(demo_settings))
    recs = res.data["recommendations"]
    severities = [r["severity"] for r in recs]
    assert severities == sorted(severities, key=SEVERITY_ORDER.index)  # most severe first
    for r in recs:
        assert f"| {r['workload']} | {r['team']} | {r['severity']} |" in a.text
    oom = [
        (r["workload"], c["container"], n)
        for r in recs
        for c in r["containers"]
        for n in c["notes"]
        if "OOM kill" in n
    ]
    assert oom, "the demo plants an OOM-killed workload among the top five"
    workload, container, note = oom[0]
    assert f"- {workload} ({container}): {note}" in a.text


def test_a_known_name_the_answer_cannot_be_narrowed_to_is_said_as_such(
    demo_settings: Settings,
) -> None:
    # GPU utilization has no team filter: team ml is known, so it is not "unmapped" (what
    # the ml team *spent* on GPUs is its cost's GPU column: evals/200_ml_team_gpu_spend)
    a = answer("how busy were the ml team's GPUs last month?", AskContext(), demo_settings)
    assert "I know the team ml, but I can't narrow GPU utilization to it." in a.text
    assert 'could not map "ml"' not in a.text
    assert "$" not in a.text  # refused: no GPU figure for the whole fleet passed off as ml's


def test_a_workload_in_two_clusters_is_named_with_each_cluster(demo_settings: Settings) -> None:
    a = answer("what should the payments team rightsize?", AskContext(), demo_settings)
    rows = [
        line
        for line in a.text.splitlines()
        if line.startswith("|") and "payments/Deployment/checkout-api" in line
    ]
    # checkout-api runs in prod and staging: two rows, each saying which
    assert len(rows) == 2, a.text
    assert rows[0].startswith("| prod-use1:") and rows[1].startswith("| staging-use1:")


def test_metrics_without_a_bill_are_said_as_estimates_not_ranked(tmp_path: Path) -> None:
    # the test cluster's metrics alone: every cost is priced from the price list, so
    # nothing is on the bill to rank, and the estimate is named apart from any total
    from assistant.allocation.allocate import allocate
    from assistant.ingest.metrics.openmetrics import ingest_openmetrics
    from tests.ingest.metrics.cluster_file import write

    settings = load_settings(home=tmp_path, now=datetime(2026, 11, 20))
    ingest_openmetrics([write(tmp_path / "c.om")], "lab", settings)
    allocate(settings)
    a = answer("top 5 namespaces in October", AskContext(), settings)
    assert a.text.startswith("No bill lines cover the namespaces in 2026-10"), a.text
    assert "Not on the bill, so not in the total: **$" in a.text
    assert "Top 0" not in a.text


@pytest.mark.parametrize(
    "scope",
    [Scope.everything(), Scope(teams=["payments"]), Scope(namespaces=["ml-training"])],
    ids=["everything", "team", "namespace"],
)
def test_names_for_matching_are_the_entities_of_the_names_index(
    demo_settings: Settings, scope: Scope
) -> None:
    # the offline engine reads names lean (entity_names); the semantic index reads full
    # entities (load_entities): the same names, kinds, namespaces and controller kinds
    from assistant.knowledge.names import entity_names, load_entities
    from assistant.warehouse.db import reader

    with reader(demo_settings) as con:
        lean = [(e.kind, e.name, e.namespace, e.controller_kind) for e in entity_names(con, scope)]
        full = [(e.kind, e.name, e.namespace, e.controller_kind) for e in load_entities(con, scope)]
    assert lean == full and len(lean) >= 8


def test_a_comparison_no_effect_moved_says_so_instead_of_an_empty_table() -> None:
    # the same item at the same cost in both halves: no effect is non-zero, so there is
    # no effects table to print (an empty one read as a missing answer)
    from assistant.agent.offline.cost_plans import _variance_text
    from assistant.billing.variance import ItemKey, PeriodData, Slice, decompose
    from assistant.windows import Window

    key = ItemKey("unallocated", "prod", "", "", "", "Amazon EKS", "Usage", "other")
    half = {key: {"": Slice(q=None, cost=Decimal("12.50"))}}
    a, b = (
        Window(datetime(2026, 10, 1), datetime(2026, 10, 16)),
        Window(datetime(2026, 10, 16), datetime(2026, 10, 31)),
    )
    v = decompose(
        PeriodData(a.to_dict(), Decimal(15), half), PeriodData(b.to_dict(), Decimal(15), half)
    )
    assert v.effects == [] and v.change == 0
    text = _variance_text(v, a, b)
    assert "No effect changed the total" in text
    assert "these add up to it" not in text and "| effect |" not in text


def test_a_ranking_by_one_resource_says_when_fewer_groups_have_it(
    demo_settings: Settings,
) -> None:
    # two teams asked for, one (ml) has GPU cost: said as such, not "Top 1 teams"
    a = answer("which 2 teams spent the most on GPUs in October?", AskContext(), demo_settings)
    assert a.text.startswith("Only one team had GPU cost in 2026-10"), a.text
    assert "| 1 | ml |" in a.text and "1 team with any" in a.text


def test_a_ranking_of_unequal_periods_says_how_much_is_the_number_of_days(
    demo_settings: Settings,
) -> None:
    """October's second half has 16 days and its first 15: a team whose cost per day did
    not move still "grew" by a fifteenth. The ranking says how much of the change is days
    (the variance's calendar effect: continuing costs × 16/15 - costs), beside the table."""
    ctx = AskContext(user="t", channel="eval")
    a = answer(
        "Which team grew the most from the first half of October to the second half?",
        ctx,
        demo_settings,
    )
    assert [c.name for c in a.tool_calls] == ["compare_periods"]
    assert a.tool_calls[0].args["a"] == "2026-10-01..2026-10-16"
    assert a.tool_calls[0].args["b"] == "2026-10-16..2026-11-01"
    assert "covers 16 days and 2026-10-01..2026-10-16 15" in a.text
    assert "is the number of days (continuing costs scaled by days), not growth" in a.text


def test_one_resources_change_is_that_column_in_both_periods(demo_settings: Settings) -> None:
    """'Did our GPU spend go up in November?' read GPU utilization of November before: an
    answer to another question. It is the GPU column of every cost row, October against
    November (Σ gpu_cost over all rows of each month), and per day, as they differ in length."""
    ctx = AskContext(user="t", channel="eval")
    a = answer("Did our GPU spend go up in November?", ctx, demo_settings)
    gpu = "SELECT sum(gpu_cost) FROM allocations WHERE hour >= '{}' AND hour < '{}'"
    october = sql_one(demo_settings, gpu.format("2026-10-01", "2026-11-01"))
    november = sql_one(demo_settings, gpu.format("2026-11-01", "2026-11-27"))
    assert [c.name for c in a.tool_calls] == ["query_costs", "query_costs"]
    assert f"from {cents(october)} in 2026-10 to {cents(november)} in 2026-11" in a.text
    assert (
        f"**+{cents(november - october)}**" in a.text
        or f"**-{cents(october - november)}**" in a.text
    )


def test_a_top_n_ranking_with_one_group_says_there_is_only_one(demo_settings: Settings) -> None:
    """The demo has one cluster: "which cluster cost the most" asked for 5 and got one,
    which used to read "Top 1 clusters"."""
    a = answer("which cluster cost the most last month?", AskContext(), demo_settings)
    assert a.text.startswith("Only one cluster has cost in 2026-10"), a.text

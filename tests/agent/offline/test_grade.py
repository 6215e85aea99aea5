"""The eval grader: numbers within tolerance, names present, no unsupported money."""

from __future__ import annotations

from decimal import Decimal

from evals.grade import grade_answer, money_figures, tool_numbers, traceable

RESULT = {
    "ok": True,
    "data": {
        "rows": [
            {"name": "payments", "total": "216.648140"},
            {"name": "search", "total": "177.828775"},
        ],
        "totals": {"total": "394.476915"},
        "unlabeled_share": 0.0034,
        "method": "flagged when ≥ $25",
    },
    "provenance": {"sql": "SELECT 999999", "params": ["2026-10-01"]},
}


def test_money_figures_read_signs_commas_and_suffixes() -> None:
    figs = money_figures("up +$5,076.69 (from $30.4K), credits -$500.00, $1.2M total")
    assert [(f.value, f.slack) for f in figs] == [
        (Decimal("5076.69"), Decimal("0.005")),
        (Decimal("30400"), Decimal("50")),  # $30.4K: ±$50 as displayed
        (Decimal("-500.00"), Decimal("0.005")),
        (Decimal("1200000"), Decimal("50000")),
    ]


def test_tool_numbers_skip_sql_and_read_money_inside_notes() -> None:
    nums = tool_numbers([RESULT])
    assert Decimal("216.648140") in nums and Decimal("25") in nums
    assert Decimal("999999") not in nums and Decimal("2026") not in nums


def test_traceable_at_display_precision() -> None:
    nums = [Decimal("216.648140")]
    (ok,) = money_figures("$216.65")
    (bad,) = money_figures("$216.66")
    assert traceable(ok, nums) and not traceable(bad, nums)


def test_passing_answer() -> None:
    g = grade_answer(
        "payments **$216.65**, search $177.83; total $394.48 (0.34%)",
        understood=True,
        expect_understood=True,
        numbers=[
            {"label": "payments", "value": "216.648140"},
            {"label": "share", "value": "0.34", "kind": "percent", "tolerance": "0.006"},
        ],
        names=["payments", "search"],
        tool_results=[RESULT],
    )
    assert (g.passed, g.failures, g.checked_numbers) == (True, [], 2)


def test_each_failure_is_named() -> None:
    # $216.00 is off by 0.65 (> 0.011); $42.00 is in no tool result; 'ml' is absent
    g = grade_answer(
        "payments $216.00, and $42.00 more",
        understood=True,
        expect_understood=True,
        numbers=[{"label": "payments", "value": "216.648140"}],
        names=["ml"],
        tool_results=[RESULT],
    )
    assert g.passed is False
    assert g.failures == [
        "missing payments = 216.648140 (money, ±0.011)",
        "missing name 'ml'",
        "unsupported money figures: $216.00, $42.00",
    ]


def test_refusal_must_not_be_understood_nor_carry_money() -> None:
    g = grade_answer(
        "I can't answer that without an LLM configured. $5",
        understood=True,
        expect_understood=False,
        numbers=[],
        names=["without an LLM"],
        tool_results=[],
        forbid_money=True,
    )
    assert g.failures == [
        "understood=True, expected False",
        "unsupported money figures: $5",
        "money figures in an answer that should have none: $5",
    ]

"""The narrative: template text from the structured result, and the number checker that
removes any sentence whose number is not in the result (an LLM's invention)."""

from __future__ import annotations

from assistant.billing import explain_bill
from assistant.billing.narrative import check_numbers
from assistant.core.scope import Scope
from assistant.warehouse.db import reader
from assistant.windows import month_window

RESULT = {
    "total": "1868.160000000000",
    "change": "1486.64",
    "pct": "389.66",
    "drivers": [
        {"subject": "ml/Job/train-llm", "amount": "1600.000000000000"},
        {"subject": "web-2 on m5.xlarge", "amount": "-100.25"},
    ],
    "month": "2026-11",
}


def test_an_invented_number_is_flagged_and_its_sentence_removed() -> None:
    text = (
        "The 2026-11 bill is $1,868.16. It rose $1,486.64 (+389.7%). "
        "The training job train-llm added $1,600. "
        "Storage grew by $412.50 because of snapshots. "
        "Idle on m5.xlarge nodes fell $100.25."
    )
    clean, flags = check_numbers(text, RESULT)
    assert clean == (
        "The 2026-11 bill is $1,868.16. It rose $1,486.64 (+389.7%). "
        "The training job train-llm added $1,600. "
        "Idle on m5.xlarge nodes fell $100.25."
    )
    assert len(flags) == 1 and "412.50" in flags[0] and "snapshots" in flags[0]


def test_rounding_must_match_the_written_precision() -> None:
    # 1868.16 written as 1,868.2 is a fair rounding; 1,868.3 is not in the data
    assert check_numbers("About $1,868.2 in total.", RESULT)[1] == []
    clean, flags = check_numbers("About $1,868.3 in total. Fine.", RESULT)
    assert clean == "Fine." and "1,868.3" in flags[0]
    # names and dates with digits are not amounts
    assert check_numbers("web-2 ran on m5.xlarge in 2026-11.", RESULT) == (
        "web-2 ran on m5.xlarge in 2026-11.",
        [],
    )


def test_template_and_llm_narratives(settings) -> None:
    prompts: list[str] = []

    def fake_llm(prompt: str) -> str:
        prompts.append(prompt)
        return (
            "November cost $1,868.16 amortized, up $1,486.64 from September. "
            "The new train-llm job added $1,600.00. "
            "Egress tripled to $999.99."
        )

    with reader(settings) as con:
        plain = explain_bill(
            con,
            month_window(2026, 11),
            compare=month_window(2026, 9),
            scope=Scope.everything(),
            settings=settings,
        )
        llm = explain_bill(
            con,
            month_window(2026, 11),
            compare=month_window(2026, 9),
            scope=Scope.everything(),
            settings=settings,
            llm=fake_llm,
        )
    assert plain.narrative_source == "template"
    assert plain.narrative.startswith(
        "The 2026-11 bill is $1,868.16 amortized (EffectiveCost) and $1,868.16 on the invoice "
        "(BilledCost)."
    )
    assert "new workloads for ml/Job/train-llm (prod) +$1,600.00" in plain.narrative
    assert check_numbers(plain.narrative, plain.model_dump(mode="json"))[1] == []
    assert llm.narrative_source == "llm"
    assert llm.narrative == (
        "November cost $1,868.16 amortized, up $1,486.64 from "
        "September. The new train-llm job added $1,600.00."
    )
    assert len(llm.narrative_flags) == 1 and "999.99" in llm.narrative_flags[0]
    assert "Use only numbers that appear in the explanation" in prompts[0]
    assert '"change": "1486.640000000000"' in prompts[0]

"""The variance decomposition on hand-built months whose true drivers are known.

Formula (assistant/billing/variance.py): per item the effects are the steps of the chain
V0=cost_A, V1=cost_A·d_B/d_A, V2=Q_B·p̄_A, V3=Σ q_B,c·p_A,c, V4=V3−Σ(δ_B−δ_A), V5=cost_B,
so they telescope to cost_B − cost_A with no residual.
"""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.billing.variance import ClassStat, ItemKey, PeriodData, Slice, decompose

OD, SPOT, GPU = "on-demand m5.xlarge", "spot m5.xlarge", "on-demand p3.2xlarge"


def wl(ns: str, name: str, team: str, resource: str = "cpu") -> ItemKey:
    return ItemKey("workload", "prod", ns, name, team, "cluster nodes", "", resource)


def idle(resource: str = "cpu") -> ItemKey:
    return ItemKey("idle", "prod", "__idle__", "", "__idle__", "cluster nodes", "", resource)


def unalloc(service: str, charge: str) -> ItemKey:
    return ItemKey(
        "unallocated", "prod", "__unallocated__", "", "__unallocated__", service, charge, "other"
    )


def period(label: str, days: int, items: dict, classes: dict) -> PeriodData:
    return PeriodData(
        label={"label": label, "start": "", "end": ""}, days=D(days), items=items, classes=classes
    )


def months() -> tuple[PeriodData, PeriodData]:
    """September vs November 2026 (both 30 days, so no calendar effect).

    CPU prices: on-demand 0.04 $/core-h in Sep; in Nov a savings plan makes the amortized
    price 0.032 (saving S/E = 100/400 = 0.25 of amortized, i.e. 20% off the 0.04 list);
    spot 0.012 both months; GPU 2.00 $/GPU-h.
    """
    a_classes = {
        ("prod", OD): ClassStat(D("300"), D("0"), 720, {"cpu": D("0.04")}),
        ("prod", SPOT): ClassStat(D("100"), D("0"), 720, {"cpu": D("0.012")}),
    }
    b_classes = {
        ("prod", OD): ClassStat(D("400"), D("100"), 720, {"cpu": D("0.032")}),
        ("prod", SPOT): ClassStat(D("100"), D("0"), 720, {"cpu": D("0.012")}),
        ("prod", GPU): ClassStat(D("1600"), D("0"), 100, {"gpu": D("2.00")}),
    }
    a = {
        # web: 4 cores × 720 h on spot = 2880 core-h × 0.012 = 34.56
        wl("shop", "Deployment/web", "shop"): {SPOT: Slice(D(2880), D("34.56"), 720)},
        # api: 2 replicas × 720 h on-demand = 1440 core-h × 0.04 = 57.60
        wl("shop", "Deployment/api", "shop"): {OD: Slice(D(1440), D("57.60"), 720)},
        # old-batch: 100 core-h × 0.04 = 4.00, gone in November
        wl("data", "CronJob/old-batch", "data"): {OD: Slice(D(100), D("4.00"), 25)},
        # idle on-demand CPU: 1000 core-h × 0.04 = 40.00
        idle(): {OD: Slice(D(1000), D("40.00"), 720)},
        unalloc("Amazon EKS", "Usage"): {"": Slice(None, D("72.00"))},
        unalloc("AWS credits", "Credit"): {"": Slice(None, D("-10.00"))},
        unalloc("Tax", "Tax"): {"": Slice(None, D("20.00"))},
    }
    b = {
        # spot-to-on-demand fallback: half of web's 2880 core-h now on-demand:
        # 1440 × 0.012 = 17.28 spot + 1440 × 0.032 = 46.08 on-demand = 63.36
        wl("shop", "Deployment/web", "shop"): {
            SPOT: Slice(D(1440), D("17.28"), 360),
            OD: Slice(D(1440), D("46.08"), 360),
        },
        # replica scale-up 2 -> 3: 2160 core-h × 0.032 = 69.12
        wl("shop", "Deployment/api", "shop"): {OD: Slice(D(2160), D("69.12"), 720)},
        # new GPU training job: 800 GPU-h × 2.00 = 1600.00
        wl("ml", "Job/train-llm", "ml", "gpu"): {GPU: Slice(D(800), D("1600.00"), 100)},
        # idle on-demand CPU: 500 core-h × 0.032 = 16.00
        idle(): {OD: Slice(D(500), D("16.00"), 720)},
        unalloc("Amazon EKS", "Usage"): {"": Slice(None, D("72.00"))},
        unalloc("NAT Gateway", "Usage"): {"": Slice(None, D("45.00"))},
        unalloc("AWS credits", "Credit"): {"": Slice(None, D("-110.00"))},
        unalloc("Tax", "Tax"): {"": Slice(None, D("25.00"))},
    }
    return (period("2026-09", 30, a, a_classes), period("2026-11", 30, b, b_classes))


def effects(v) -> dict[str, D]:
    return {e.kind: e.amount for e in v.effects}


def driver(v, effect: str, subject_part: str) -> D:
    return sum(
        (d.amount for d in v.drivers if d.effect == effect and subject_part in d.subject), D(0)
    )


def test_known_drivers_have_their_dollar_amounts_and_sum_to_the_change() -> None:
    a, b = months()
    v = decompose(a, b, top=50)
    # A = 34.56 + 57.60 + 4.00 + 40.00 + 72 - 10 + 20 = 218.16
    # B = 63.36 + 69.12 + 1600 + 16.00 + 72 + 45 - 110 + 25 = 1780.48
    assert v.total_a == D("218.16") and v.total_b == D("1780.48")
    assert v.change == D("1562.32")
    e = effects(v)
    # new GPU job: +1600.00; removed batch: -4.00
    assert e["new_workload"] == D("1600.00")
    assert e["removed_workload"] == D("-4.00")
    # api scale-up: (2160 - 1440) core-h × 0.04 (September's price) = +28.80
    assert e["usage"] == D("28.80")
    # spot fallback: 1440 core-h × (0.04 on-demand - 0.012 spot) = +40.32
    assert e["mix"] == D("40.32")
    # savings plan: amortized cost × S/E (0.25) on November on-demand lines:
    # web 46.08 × 0.25 = 11.52, api 69.12 × 0.25 = 17.28, idle 16.00 × 0.25 = 4.00 → -32.80
    assert e["commitment"] == D("-32.80")
    # idle capacity: (500 - 1000) core-h × 0.04 = -20.00
    assert e["idle"] == D("-20.00")
    assert e.get("unit_price", D(0)) == 0  # list prices did not change
    assert e["unallocated_service"] == D("45.00")  # NAT gateway appeared
    assert e["credit"] == D("-100.00") and e["tax"] == D("5.00")
    assert "calendar" not in e  # 30 vs 30 days
    assert sum(e.values()) == v.change  # residual-free
    assert sum(d.amount for d in v.drivers) == v.change and v.other_drivers_amount == 0
    assert driver(v, "new_workload", "ml/Job/train-llm") == D("1600.00")
    assert driver(v, "mix", "m5.xlarge nodes") == D("40.32")
    top = v.drivers[0]
    assert top.effect == "new_workload" and top.team == "ml"
    assert top.evidence["quantity_b"] == {"gpu_hours": D("800.000000000000")}
    assert top.evidence["skus"] == [GPU] and top.evidence["node_hours_b"] == 100
    # 1600 / 1562.32 = 102.41%
    assert top.pct_of_change == D("102.41")


def test_groups_by_team_add_up_to_each_team_change() -> None:
    a, b = months()
    v = decompose(a, b)
    teams = {g.group: g for g in v.groups["team"]}
    # shop: (63.36 + 69.12) - (34.56 + 57.60) = 40.32
    assert teams["shop"].change == D("40.32")
    # shop's effects: usage 28.80 + mix 40.32 + commitment -(11.52 + 17.28) = 40.32
    assert sum(teams["shop"].effects.values()) == D("40.32")
    assert teams["ml"].before == 0 and teams["ml"].pct is None
    assert sum(g.change for g in v.groups["namespace"]) == v.change


def test_thirty_one_days_against_thirty_is_calendar_not_growth() -> None:
    key = wl("shop", "Deployment/web", "shop")
    classes = {("prod", OD): ClassStat(D("1"), D("0"), 1, {"cpu": D("0.04")})}
    # September: 750 core-h × 0.04 = 30.00; October: same run rate, 775 core-h × 0.04 = 31.00
    a = period("2026-09", 30, {key: {OD: Slice(D(750), D("30.00"))}}, classes)
    b = period("2026-10", 31, {key: {OD: Slice(D(775), D("31.00"))}}, classes)
    v = decompose(a, b)
    # calendar = 30.00 × 31/30 - 30.00 = 1.00; usage = 775 × 0.04 - 31.00 = 0
    assert effects(v) == {"calendar": D("1.000000000000")}
    assert "31 days" in v.notes[0] and "not growth" in v.notes[0]
    # a list price rise to 0.05 on the same usage: 775 × (0.05 - 0.04) = 7.75
    b2 = period("2026-10", 31, {key: {OD: Slice(D(775), D("38.75"))}}, classes)
    e = effects(decompose(a, b2))
    assert e["unit_price"] == D("7.75") and e["calendar"] == D("1")


money = st.decimals(min_value=D("-500"), max_value=D("5000"), places=6)
qty = st.decimals(min_value=D("0.001"), max_value=D("10000"), places=3)


@st.composite
def random_period(draw: st.DrawFn, days: int) -> PeriodData:
    items = {}
    for i in range(draw(st.integers(0, 6))):
        key = wl(
            f"ns{i % 3}",
            f"Deployment/w{i}",
            f"t{i % 2}",
            draw(st.sampled_from(["cpu", "ram", "gpu"])),
        )
        classes = draw(
            st.lists(st.sampled_from([OD, SPOT, GPU]), min_size=1, max_size=3, unique=True)
        )
        items[key] = {c: Slice(draw(qty), draw(money)) for c in classes}
    for charge in draw(st.lists(st.sampled_from(["Usage", "Credit", "Tax"]), unique=True)):
        items[unalloc("svc", charge)] = {"": Slice(None, draw(money))}
    if draw(st.booleans()):
        items[idle()] = {OD: Slice(draw(qty), draw(money))}
    stats = {
        ("prod", c): ClassStat(
            draw(money).copy_abs() + 1,
            draw(money).copy_abs(),
            1,
            {"cpu": D("0.04"), "ram": D("0.005"), "gpu": D("2")},
        )
        for c in draw(st.lists(st.sampled_from([OD, SPOT, GPU]), unique=True))
    }
    return period("p", days, items, stats)


@settings(max_examples=150, deadline=None)
@given(random_period(30), random_period(31))
def test_effects_always_sum_exactly_to_the_change(a: PeriodData, b: PeriodData) -> None:
    v = decompose(a, b, top=10_000)
    assert sum((e.amount for e in v.effects), D(0)) == v.change == b.total() - a.total()
    assert sum((d.amount for d in v.drivers), D(0)) + v.other_drivers_amount == v.change
    assert all(abs(d.amount) >= D("0.005") for d in v.drivers)
    for dim in ("team", "namespace", "service"):
        assert sum((g.change for g in v.groups[dim]), D(0)) == v.change


def test_a_driver_of_half_a_percent_of_the_change_is_material() -> None:
    """Reports list every driver with |amount| >= 0.5% of |change| past the top-10 cut:
    for a +$1,000 change that is $5.00 (either sign); with no net change, any cent."""
    from assistant.billing.variance import is_material

    assert is_material(D("5.00"), D("1000")) and is_material(D("-5.00"), D("1000"))
    assert not is_material(D("4.99"), D("1000")) and not is_material(D("-4.99"), D("-1000"))
    assert is_material(D("0.01"), D("0")) and not is_material(D("0.004"), D("0"))

"""bill_costs: the bill by its FOCUS dimensions, on six hand-written lines.

October 2026, one account. Lines (effective / billed / list):
  1 EC2 instance, on-demand (Standard), Oct 1..Oct 11:        240.00 / 240.00 / 240.00
  2 EC2 instance, spot (Dynamic), Oct 1..Oct 2:                 9.60 /   9.60 /  24.00
  3 EC2 instance, savings plan (Committed, Used), Oct 1..Oct 2: 7.20 /   0.00 /  10.00
  4 savings plan purchase (Purchase), Oct 1..Oct 2:             0.00 /   7.20 /   0.00
  5 unused savings plan (Committed, Unused), Oct 1..Oct 2:      0.80 /   0.00 /   0.80
  6 EBS volume: service EC2, category Compute, Volume, Sep 16..Oct 16: 30.00 (half in Oct)
  7 S3 bucket: service S3, category Storage, Oct 1..Oct 2:      5.00
  8 credit (Credit), Oct 20..Oct 21:                          -50.00
  9 tax (Tax), region NULL, Oct 31..Nov 1:                     12.00
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import pytest

from assistant.billing.lines import bill_costs, bill_values
from assistant.capabilities.bill_lines import BillCostsRequest
from assistant.capabilities.bill_lines import bill_costs as bill_costs_capability
from assistant.capabilities.context import Ctx
from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.errors import DataGap, InputError, NotFound, QueryRejected
from assistant.warehouse.db import reader, writer
from assistant.windows import month_window

OCT = month_window(2026, 10)
_LINES = [
    # service, category, charge, pricing, status, resource type, start, end, eff, billed, list
    (
        "EC2",
        "Compute",
        "Usage",
        "Standard",
        None,
        "Instance",
        "10-01",
        "10-11",
        "240",
        "240",
        "240",
    ),
    (
        "EC2",
        "Compute",
        "Usage",
        "Dynamic",
        None,
        "Instance",
        "10-01",
        "10-02",
        "9.60",
        "9.60",
        "24",
    ),
    (
        "EC2",
        "Compute",
        "Usage",
        "Committed",
        "Used",
        "Instance",
        "10-01",
        "10-02",
        "7.2",
        "0",
        "10",
    ),
    ("SP", "Compute", "Purchase", "Committed", None, None, "10-01", "10-02", "0", "7.20", "0"),
    ("SP", "Compute", "Usage", "Committed", "Unused", None, "10-01", "10-02", "0.8", "0", "0.8"),
    ("EC2", "Compute", "Usage", "Standard", None, "Volume", "09-16", "10-16", "30", "30", "30"),
    ("S3", "Storage", "Usage", "Standard", None, "Bucket", "10-01", "10-02", "5", "5", "5"),
    ("EC2", "Compute", "Credit", "Standard", None, None, "10-20", "10-21", "-50", "-50", "0"),
    ("Tax", "Other", "Tax", "Standard", None, None, "10-31", "11-01", "12", "12", "0"),
]


@pytest.fixture
def settings(penny_env: object) -> Settings:
    s = load_settings(now=datetime(2026, 11, 5))
    with writer(s) as con:
        for i, (
            svc,
            cat,
            charge,
            pricing,
            status,
            rtype,
            start,
            end,
            eff,
            billed,
            lst,
        ) in enumerate(_LINES):
            con.execute(
                "INSERT INTO billing_lines (ingest_id, source_file, source_row, service_name, "
                "service_category, charge_category, pricing_category, "
                "commitment_discount_status, resource_type, charge_period_start, "
                "charge_period_end, effective_cost, billed_cost, list_cost, provider_name, "
                "region_id) VALUES ('t', 'f.csv', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'AWS', ?)",
                [
                    i + 1,
                    svc,
                    cat,
                    charge,
                    pricing,
                    status,
                    rtype,
                    datetime.fromisoformat(f"2026-{start}"),
                    datetime.fromisoformat(f"2026-{end}"),
                    D(eff),
                    D(billed),
                    D(lst),
                    None if charge == "Tax" else "us-east-1",
                ],
            )
    return s


def _run(settings: Settings, **kw: object):  # type: ignore[no-untyped-def]
    with reader(settings) as con:
        return bill_costs(con, scope=Scope.everything(), settings=settings, **kw)  # type: ignore[arg-type]


def test_by_service_prorates_a_line_across_months(settings: Settings) -> None:
    r = _run(settings, window=OCT, group_by="service")
    got = {g.name: g.amount for g in r.rows}
    # EC2: 240 + 9.60 + 7.20 + half of the volume (15 of 30 days in October: 15.00) - 50
    assert got["EC2"] == D("221.80")
    assert got["S3"] == D("5") and got["Tax"] == D("12") and got["SP"] == D("0.8")
    # Σ = 221.80 + 5 + 12 + 0.80 = 239.60, the amortized bill of October
    assert r.total.amount == D("239.60") == r.summary.amortized  # type: ignore[union-attr]


def test_storage_is_storage_services_plus_volumes(settings: Settings) -> None:
    r = _run(settings, window=OCT, group_by="service", filters={"service_category": "Storage"})
    # S3 (Storage) 5.00 + the EBS volume filed under Compute, October's half: 15.00
    assert {g.name: g.amount for g in r.rows} == {"EC2": D("15"), "S3": D("5")}
    assert r.total.amount == D("20")


def test_credits_tax_and_charge_categories(settings: Settings) -> None:
    r = _run(settings, window=OCT, group_by="charge_category")
    got = {g.name: g.amount for g in r.rows}
    # usage: 240 + 9.60 + 7.20 + 0.80 + 15 + 5 = 277.60
    assert got == {"Usage": D("277.60"), "Tax": D("12"), "Purchase": D("0"), "Credit": D("-50")}
    s = r.summary
    assert s is not None and (s.credits, s.tax) == (D("-50"), D("12"))


def test_commitment_and_spot_figures_against_list_price(settings: Settings) -> None:
    s = _run(settings, window=OCT).summary
    assert s is not None
    assert s.commitment_savings == D("2.80")  # covered usage: list 10.00 - effective 7.20
    assert s.commitment_unused == D("0.80")
    # utilisation = used 7.20 / (7.20 + unused 0.80) = 90%
    assert s.commitment_utilisation_pct == D("90.00")
    # coverage = covered 7.20 / usage (240 + 9.60 + 7.20 + 15 + 5 + unused 0.80 = 277.60)
    assert s.commitment_coverage_pct == D("2.59")
    assert (s.spot_effective, s.spot_list, s.spot_savings) == (D("9.6"), D("24"), D("14.4"))
    assert s.commitment_purchases == D("7.20")  # billed when bought


def test_pricing_category_and_invoice_basis(settings: Settings) -> None:
    r = _run(settings, window=OCT, group_by="pricing_category", basis="invoice")
    got = {g.name: g.amount for g in r.rows}
    # billed: Standard 240 + 15 + 5 - 50 + 12 = 222; Dynamic 9.60; Committed 0 + 7.20 + 0
    assert got == {"Standard": D("222"), "Dynamic": D("9.6"), "Committed": D("7.2")}


def test_all_the_data_by_provider_and_region(settings: Settings) -> None:
    r = _run(settings, window=None, group_by="provider")
    # every line in full: 239.60 + the volume's September half 15.00
    assert [(g.name, g.amount) for g in r.rows] == [("AWS", D("254.60"))]
    assert r.window["label"] == "2026-09-16..2026-11-01"
    regions = {g.name: g.amount for g in _run(settings, window=OCT, group_by="region").rows}
    assert regions == {"us-east-1": D("227.60"), "__global__": D("12")}


def test_unknown_value_is_refused_with_the_nearest(settings: Settings) -> None:
    # through the capability every door calls: the value checked against the bill's own
    ctx = Ctx.create(settings)
    with pytest.raises(NotFound, match="No service 'S4'") as exc:
        bill_costs_capability(BillCostsRequest(window="2026-10", filters={"service": "S4"}), ctx)
    assert "Did you mean: SP, S3?" in str(exc.value)
    with pytest.raises(InputError, match="Unknown bill group_by 'team'"):
        BillCostsRequest(group_by="team")
    with pytest.raises(InputError, match="Unknown bill group_by 'team'"):
        _run(settings, window=OCT, group_by="team")


def test_an_empty_window_is_a_gap_not_a_zero(settings: Settings) -> None:
    with pytest.raises(DataGap, match=r"No billing lines in 2026-12\. .*2026-09-16 to 2026-11-01"):
        _run(settings, window=month_window(2026, 12))


def test_a_scoped_asker_is_refused(settings: Settings) -> None:
    with reader(settings) as con, pytest.raises(QueryRejected, match="organisation-wide"):
        bill_costs(con, window=OCT, scope=Scope(teams=["shop"], user="ana"), settings=settings)


def test_known_values_most_costly_first(settings: Settings) -> None:
    with reader(settings) as con:
        assert bill_values(con, "service") == ["EC2", "Tax", "S3", "SP"]

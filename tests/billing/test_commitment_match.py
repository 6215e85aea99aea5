"""The commitment effect finds a node's covered bill lines however the export spells the id.

Same hand-built months as test_bill_explain.py (tests/billing/bill_rows.py): a savings plan
covers od-1 from Nov 16 at 0.24/h against its 0.32/h list price, so November's commitment
effect is -28.80 (web 14.40 + api 10.80 + idle 3.60, a third of each covered hour's
amortized cost). Lines match nodes as allocation matches them (node_costs.match_lines);
a raw-text join found no saving when the ResourceId was an ARN, upper case, or an Azure
scale set, and this effect silently became 0.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from assistant.billing import compare_periods
from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.warehouse.db import reader, writer
from assistant.windows import month_window

_SET = (
    "/subscriptions/s1/resourcegroups/mc_rg/providers/microsoft.compute/"
    "virtualmachinescalesets/aks-pool"
)


@pytest.mark.parametrize(
    ("instance_id", "resource_id"),
    [
        ("i-od1", "i-od1"),  # as written
        ("i-od1", "arn:aws:ec2:us-east-1:123456789012:instance/i-od1"),  # an ARN
        ("i-od1", "I-OD1"),  # case
        (
            f"{_SET}/virtualmachines/0",  # Azure VMSS
            "/subscriptions/S1/resourceGroups/MC_rg/providers/Microsoft.Compute/"
            "virtualMachineScaleSets/aks-pool",
        ),
    ],
)
def test_commitment_effect_is_found_for_every_spelling_of_the_node_id(
    settings: Settings, instance_id: str, resource_id: str
) -> None:
    with writer(settings) as con:  # the two months of tests/billing/conftest.py
        con.execute("UPDATE k8s_nodes SET instance_id = ? WHERE node = 'od-1'", [instance_id])
        con.execute(
            "UPDATE billing_lines SET resource_id = ? WHERE resource_id = 'i-od1'", [resource_id]
        )
    with reader(settings) as con:
        v = compare_periods(
            con,
            month_window(2026, 9),
            month_window(2026, 11),
            scope=Scope.everything(),
            settings=settings,
            top=30,
        )
    effects = {e.kind: e.amount for e in v.effects}
    assert effects["commitment"] == D("-28.80")
    assert v.change == D("1486.64")  # the effects still add up to the change
    assert sum(effects.values()) == v.change

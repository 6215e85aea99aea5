"""providerID / volume handle / bill ResourceId normalisation: case tables per provider."""

from __future__ import annotations

import duckdb
import pytest

from assistant.ingest.provider_id import (
    ProviderId,
    bill_resource_key,
    parse_provider_id,
    sql_bill_keys,
    sql_scale_set,
    volume_id,
)

SUB = "/subscriptions/1111-2222/resourceGroups/MC_rg_aks_eastus/providers/Microsoft.Compute"


@pytest.mark.parametrize(
    ("provider_id", "expected"),
    [
        (
            "aws:///us-east-1a/i-0abc123def4567890",
            ProviderId("aws", "i-0abc123def4567890", zone="us-east-1a"),
        ),
        ("aws://us-east-1a/i-0abc123", ProviderId("aws", "i-0abc123", zone="us-east-1a")),
        ("aws:///i-0abc123", ProviderId("aws", "i-0abc123", zone=None)),
        ("aws:///eu-west-1b/I-0ABC", ProviderId("aws", "i-0abc", zone="eu-west-1b")),
        (
            "gce://my-proj/us-central1-a/gke-pool-1-abcd",
            ProviderId("gcp", "gke-pool-1-abcd", zone="us-central1-a", project="my-proj"),
        ),
        (
            f"azure://{SUB}/virtualMachines/aks-node-1",
            ProviderId("azure", f"{SUB}/virtualMachines/aks-node-1".lower()),
        ),
        (
            f"azure://{SUB}/virtualMachineScaleSets/aks-pool-123/virtualMachines/3",
            ProviderId(
                "azure",
                f"{SUB}/virtualMachineScaleSets/aks-pool-123/virtualMachines/3".lower(),
                billing_parent=f"{SUB}/virtualMachineScaleSets/aks-pool-123".lower(),
            ),
        ),
        (
            "kind://docker/kind/kind-control-plane",
            ProviderId("unknown", "kind://docker/kind/kind-control-plane"),
        ),
    ],
)
def test_parse_provider_id(provider_id: str, expected: ProviderId) -> None:
    assert parse_provider_id(provider_id) == expected


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_provider_id_is_none(empty: str | None) -> None:
    assert parse_provider_id(empty) is None


@pytest.mark.parametrize(
    ("resource_id", "key"),
    [
        ("i-0abc123", "i-0abc123"),
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123", "i-0abc123"),
        ("arn:aws:ec2:us-east-1:123456789012:volume/vol-0123", "vol-0123"),
        (
            "//compute.googleapis.com/projects/my-proj/zones/us-central1-a/instances/gke-pool-1-abcd",
            "gke-pool-1-abcd",
        ),
        ("https://www.googleapis.com/compute/v1/projects/p/zones/z/disks/pd-1", "pd-1"),
        (f"{SUB}/virtualMachines/AKS-NODE-1".upper(), f"{SUB}/virtualMachines/aks-node-1".lower()),
        ("", None),
        (None, None),
    ],
)
def test_bill_resource_key(resource_id: str | None, key: str | None) -> None:
    assert bill_resource_key(resource_id) == key


@pytest.mark.parametrize(
    ("provider_id", "bill_id"),
    [
        ("aws:///us-east-1a/i-0abc123", "arn:aws:ec2:us-east-1:1:instance/i-0abc123"),
        ("gce://p/z/n", "//compute.googleapis.com/projects/p/zones/z/instances/n"),
        (f"azure://{SUB}/virtualMachines/vm1", f"{SUB}/virtualMachines/VM1".upper()),
    ],
)
def test_node_and_bill_keys_join(provider_id: str, bill_id: str) -> None:
    parsed = parse_provider_id(provider_id)
    assert parsed is not None and parsed.instance_id == bill_resource_key(bill_id)


@pytest.mark.parametrize(
    "provider_id",
    [
        f"azure://{SUB}/virtualMachineScaleSets/aks-pool-123/virtualMachines/3",
        f"AZURE:///{SUB.upper()}/VIRTUALMACHINESCALESETS/AKS-POOL-123/VIRTUALMACHINES/12/",
        f"azure://{SUB}/virtualMachines/aks-node-1",
        f"azure://{SUB}/virtualMachineScaleSets/aks-pool-123",
        f"azure://{SUB}/virtualMachineScaleSets/a/virtualMachines/3/extra",
        "aws:///us-east-1a/i-0abc123",
    ],
)
def test_scale_set_rule_is_the_same_in_duckdb(provider_id: str) -> None:
    # Allocation and the bill variance apply sql_scale_set (AZURE_VMSS_INSTANCE_PATTERN in
    # DuckDB's RE2) to k8s_nodes.instance_id; it must derive exactly the billing_parent that
    # parse_provider_id (Python re) derives.
    parsed = parse_provider_id(provider_id)
    assert parsed is not None
    row = (
        duckdb.connect()
        .execute(f"SELECT {sql_scale_set('iid')} FROM (SELECT $1 AS iid)", [parsed.instance_id])
        .fetchone()
    )
    assert row is not None and row[0] == parsed.billing_parent


@pytest.mark.parametrize(
    "resource_id",
    [
        "i-0abc123",
        "I-0ABC123",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123",
        "//compute.googleapis.com/projects/p/zones/z/instances/gke-pool-1-abcd",
        f"{SUB}/virtualMachines/aks-node-1",
    ],
)
def test_sql_bill_keys_hold_the_python_key(resource_id: str) -> None:
    # The SQL joins a node when its lowercased instance id equals rid or rid_last; the
    # Python normalisation (bill_resource_key, lowercased) must be one of the two.
    row = (
        duckdb.connect()
        .execute(f"SELECT {sql_bill_keys('r')} FROM (SELECT $1 AS r)", [resource_id])
        .fetchone()
    )
    key = bill_resource_key(resource_id)
    assert row is not None and key is not None and key.lower() in row


def test_scale_set_parent_of_a_mixed_case_instance() -> None:
    parsed = parse_provider_id(
        f"AZURE:///{SUB.upper()}/VIRTUALMACHINESCALESETS/AKS-POOL-123/VIRTUALMACHINES/12/"
    )
    assert parsed is not None
    assert parsed.billing_parent == f"{SUB}/virtualmachinescalesets/aks-pool-123".lower()
    assert parsed.billing_parent == bill_resource_key(f"{SUB}/virtualMachineScaleSets/AKS-POOL-123")


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"csi_volume_handle": "vol-0123"}, "vol-0123"),
        ({"ebs_volume_id": "aws://us-east-1a/vol-0456"}, "vol-0456"),
        ({"csi_volume_handle": "projects/p/zones/z/disks/d1"}, "d1"),
        ({"csi_volume_handle": f"{SUB}/disks/PVC-1"}, f"{SUB}/disks/pvc-1".lower()),
        ({}, None),
    ],
)
def test_volume_id(labels: dict[str, str], expected: str | None) -> None:
    assert volume_id(**labels) == expected

"""Node ``providerID`` and volume handles → the id a cloud bill uses for the same resource.

The node ↔ bill join is the basis of every allocated dollar: a node whose id does not
match its bill line falls back to list prices and its real cost lands in
``__unallocated__``. Both sides are normalised here so the join is a plain equality:

* the cluster side with :func:`parse_provider_id` (nodes) and :func:`volume_id` (PVs);
* the bill side with :func:`bill_resource_key` (FOCUS ``ResourceId``).

Per provider (see docs/ingest-prometheus.md):

* AWS: ``aws:///us-east-1a/i-0abc`` (or ``aws://us-east-1a/i-0abc``) → ``i-0abc``. The
  AWS FOCUS export's ResourceId is the bare id (``i-0abc``, ``vol-0abc``) or an ARN ending
  in ``instance/i-0abc``; both normalise to ``i-0abc``.
* GCP: ``gce://project/zone/name`` → ``name`` (instance names are unique per project and
  zone). The bill's ResourceId ``//compute.googleapis.com/projects/…/instances/name`` and
  PD handles ``projects/p/zones/z/disks/d`` normalise to their last segment, which is
  also what the allocation join compares (``rid_last``).
* Azure: ``azure:///subscriptions/…/virtualMachines/name`` → the ARM id, lowercased
  (ARM ids are case-insensitive and exports spell them inconsistently). A VMSS instance
  ``…/virtualMachineScaleSets/pool/virtualMachines/3`` keeps its instance id; Azure bills
  VMSS usage on the scale set, so ``billing_parent`` gives ``…/virtualmachinescalesets/pool``
  (:data:`AZURE_VMSS_INSTANCE_PATTERN`, which allocation also applies in SQL to split a
  scale-set line among its nodes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.warehouse.sql_text import lit

__all__ = [
    "AZURE_VMSS_INSTANCE_PATTERN",
    "ProviderId",
    "bill_resource_key",
    "parse_provider_id",
    "sql_bill_keys",
    "sql_scale_set",
    "volume_id",
]

_AWS_RE = re.compile(r"^aws:/{2,3}(?:(?P<zone>[a-z0-9-]+)/)?(?P<id>i-[0-9a-f]+)$", re.I)
_AWS_FARGATE_RE = re.compile(r"^aws:/{2,3}(?P<zone>[a-z0-9-]+)/(?P<id>fargate-[\w.-]+)$", re.I)
_GCE_RE = re.compile(r"^gce://(?P<project>[^/]+)/(?P<zone>[^/]+)/(?P<name>[^/]+)$", re.I)
# An Azure VMSS instance's ARM id (lowercased); group 1 is its scale set's id, which is what
# Azure cost exports name on the bill line. The one definition of "parent of an instance
# id": written in the syntax common to Python ``re`` and RE2 (no named groups, lookarounds
# or backreferences) because allocation's SQL applies the same text in DuckDB.
AZURE_VMSS_INSTANCE_PATTERN = (
    r"^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.compute/"
    r"virtualmachinescalesets/[^/]+)/virtualmachines/[^/]+$"
)
_AZURE_VMSS_RE = re.compile(AZURE_VMSS_INSTANCE_PATTERN)
_VMSS_SQL = lit(AZURE_VMSS_INSTANCE_PATTERN)
_AZURE_VM_RE = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.compute/"
    r"virtualmachines/[^/]+$"
)
_ARN_RE = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:\d*:(?:[\w-]+/)?(?P<id>[^/:]+)$", re.I)
_GCP_PREFIXES = ("//compute.googleapis.com/", "https://www.googleapis.com/compute/v1/")


@dataclass(frozen=True)
class ProviderId:
    provider: str  # aws | gcp | azure | unknown
    instance_id: str  # the key stored in k8s_nodes.instance_id
    zone: str | None = None
    billing_parent: str | None = None  # Azure VMSS: the scale set the bill names
    project: str | None = None  # GCP project


def parse_provider_id(provider_id: str | None) -> ProviderId | None:
    """Parse a node's ``spec.providerID``; None for an empty value.

    An unrecognised scheme is kept verbatim as ``provider="unknown"`` rather than
    rejected: kind, k3s and bare-metal clusters have provider ids no bill will match,
    and their nodes still need rows.
    """
    if not provider_id or not provider_id.strip():
        return None
    text = provider_id.strip()
    if m := _AWS_RE.match(text):
        return ProviderId("aws", m["id"].lower(), zone=m["zone"])
    if m := _AWS_FARGATE_RE.match(text):
        return ProviderId("aws", m["id"], zone=m["zone"])
    if m := _GCE_RE.match(text):
        return ProviderId("gcp", m["name"], zone=m["zone"], project=m["project"])
    if text.lower().startswith("azure://"):
        arm = "/" + text[len("azure://") :].lstrip("/").lower().rstrip("/")
        if m := _AZURE_VMSS_RE.match(arm):
            return ProviderId("azure", arm, billing_parent=m[1])
        if _AZURE_VM_RE.match(arm):
            return ProviderId("azure", arm)
        return ProviderId("azure", arm)
    return ProviderId("unknown", text)


def bill_resource_key(resource_id: str | None) -> str | None:
    """Normalise a FOCUS ``ResourceId`` so it equals the cluster-side key of the resource."""
    if resource_id is None:
        return None
    text = resource_id.strip()
    if not text:
        return None
    if text.lower().startswith("arn:"):
        m = _ARN_RE.match(text)
        return m["id"] if m else text
    if text.startswith((*_GCP_PREFIXES, "projects/")):
        return text.rstrip("/").rsplit("/", 1)[-1]
    if text.lower().startswith("/subscriptions/"):
        return text.lower().rstrip("/")
    return text


def volume_id(
    csi_volume_handle: str | None = None,
    ebs_volume_id: str | None = None,
    gce_persistent_disk_name: str | None = None,
    azure_disk_name: str | None = None,
) -> str | None:
    """The bill-side key of a PersistentVolume from kube_persistentvolume_info's labels.

    EBS CSI handles are already ``vol-…``; in-tree EBS ids look like
    ``aws://us-east-1a/vol-…``; GCE PD CSI handles are ``projects/p/zones/z/disks/d``;
    Azure Disk CSI handles are ARM ids (lowercased like node ids).
    """
    for raw in (csi_volume_handle, ebs_volume_id, gce_persistent_disk_name, azure_disk_name):
        if raw and raw.strip():
            text = raw.strip()
            if text.lower().startswith("aws://"):
                return text.rstrip("/").rsplit("/", 1)[-1]
            return bill_resource_key(text)
    return None


def sql_bill_keys(resource_id: str) -> str:
    """SQL select items ``rid, rid_last`` for a bill ``ResourceId`` column: the id
    lowercased, and its last ``/`` or ``:`` segment lowercased (an ARN's instance id, a
    GCP path's name). A node's ``instance_id`` (lowercased) equals one of them when the line
    bills that node, as :func:`bill_resource_key` normalises; every bill-to-node join
    (allocation, the bill variance) uses these two keys."""
    return (
        f"lower({resource_id}) AS rid, "
        f"lower(regexp_extract({resource_id}, '([^/:]+)$', 1)) AS rid_last"
    )


def sql_scale_set(instance_id: str) -> str:
    """SQL: the scale-set id (lowercased) of an Azure VMSS instance id column, else NULL —
    :data:`AZURE_VMSS_INSTANCE_PATTERN` applied by DuckDB."""
    return f"nullif(regexp_extract(lower({instance_id}), {_VMSS_SQL}, 1), '')"

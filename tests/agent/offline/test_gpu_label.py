"""Idle-GPU answers must tell MIG instances of one physical GPU apart."""

from __future__ import annotations

from assistant.agent.offline.insight_plans import _gpu_label


def test_gpu_labels() -> None:
    uuid = "GPU-e040015c-e064-4114-85f1-115bb2fff17b"
    assert (
        _gpu_label({"gpu": f"{uuid}/3", "mig_profile": "1g.5gb"}) == "GPU-e040015c…/3 (MIG 1g.5gb)"
    )
    assert _gpu_label({"gpu": uuid, "mig_profile": None}) == "GPU-e040015c…"
    assert _gpu_label({"gpu": "0"}) == "0"

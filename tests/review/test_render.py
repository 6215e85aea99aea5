"""The PR comment stays under GitHub's 65,536-character limit; JSON keeps every workload."""

from __future__ import annotations

import json

from assistant.review.estimate import estimate
from assistant.review.render import render
from assistant.review.workloads import parse_manifests
from tests.review.manifests import container, deployment, docs
from tests.review.test_estimate import PRICES, facts


def _many(replicas: int) -> str:
    return docs(
        *(
            deployment(
                f"svc-{i:03d}",
                "shop",
                replicas=replicas,
                containers=container("app", cpu="100m", memory="64Mi"),
            )
            for i in range(300)
        )
    )


def test_long_change_sets_fit_a_comment() -> None:
    review = estimate(
        parse_manifests([("b", _many(1))]), parse_manifests([("h", _many(2))]), PRICES, facts()
    )
    comment = render(review, "md")
    assert len(comment) < 65_536
    # every workload is in the summary table; detail sections stop at the budget
    assert comment.count("| `shop/Deployment/svc-") == 300
    assert "more workload(s) left out to fit a PR comment; `--format json`" in comment
    # per pod: 0.1 × 0.03 + 0.0625 GiB × 0.0045 = 0.00328125 $/h; +1 replica × 730 h
    # = 2.3953125 → 1 replica $2.40, 2 replicas 4.790625 → $4.79; Δ $2.39 × 300 = $717.00
    assert comment.startswith("### Penny cost review: +$717.00/month\n")
    assert len(json.loads(render(review, "json"))["changed"]) == 300

"""Property tests: chunking loses no text, resource sums are additive, money keeps cents."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from assistant.core.money import micro as money
from assistant.knowledge.index import chunk_markdown
from assistant.kube.shape import resources

_line = st.text(alphabet="abcdefgh ijk.,", min_size=1, max_size=30).filter(
    lambda s: s.strip() != ""
)
_heading = st.tuples(st.integers(1, 3), _line).map(lambda t: "#" * t[0] + " " + t[1].strip())


@given(st.lists(st.one_of(_line, _heading), max_size=40))
def test_chunking_keeps_every_body_line_in_order(lines: list[str]) -> None:
    text = "\n".join(lines)
    body = [ln.strip() for ln in lines if not ln.startswith("#") and ln.strip()]
    chunks = chunk_markdown(text, "doc.md")
    kept = [ln.strip() for c in chunks for ln in c.text.splitlines() if ln.strip()]
    assert kept == body


_cpu = st.sampled_from(["", "100m", "250m", "1", "1500m", "2"])
_mem = st.sampled_from(["", "64Mi", "128Mi", "1Gi", "512M", "2Gi"])
_container = st.fixed_dictionaries(
    {
        "name": st.just("c"),
        "resources": st.fixed_dictionaries(
            {
                "requests": st.fixed_dictionaries({"cpu": _cpu, "memory": _mem}),
                "limits": st.fixed_dictionaries(
                    {"cpu": _cpu, "memory": _mem, "nvidia.com/gpu": st.sampled_from(["", "1", "2"])}
                ),
            }
        ),
    }
)


@given(st.lists(_container, max_size=6), st.lists(_container, max_size=6))
def test_resources_are_additive(a: list[dict], b: list[dict]) -> None:
    whole, left, right = resources(a + b), resources(a), resources(b)
    for key in ("memory_request_bytes", "memory_limit_bytes"):
        assert whole[key] == left[key] + right[key]
    for key in ("cpu_request_cores", "cpu_limit_cores", "gpu_request"):
        assert abs(whole[key] - (left[key] + right[key])) < 1e-9


@given(
    st.lists(
        st.decimals(
            min_value=-(10**6), max_value=10**6, places=12, allow_nan=False, allow_infinity=False
        ),
        min_size=1,
        max_size=50,
    )
)
def test_money_rounding_never_moves_a_sum_by_a_cent(values: list[Decimal]) -> None:
    rounded = money(values)
    assert all(abs(r - v) <= Decimal("0.0000005") for r, v in zip(rounded, values, strict=True))
    # 50 values each off by at most half a micro-dollar: the sum moves far less than a cent
    assert abs(sum(rounded) - sum(values)) < Decimal("0.005")

"""Bad AI-usage exports: refused with the file and the field, the ledger unchanged, and
no re-import ever reaching past the file's own buckets.

The failed class: one OpenAI bucket with ``start_time: -1`` made the replacement range
start in 1969 and deleted every earlier month. Every time is now bounded (2000..2100,
seconds), every bucket ends after it starts and spans at most 31 days, a file spans at
most 400 days, and an amount reaches at most 10^9.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ImportFileError
from assistant.ingest.ai.files import import_anthropic, import_openai
from assistant.warehouse.ledger import read_ledger
from tests.hostile.conftest import snapshot, still_answers

# 2026-10-01, -02, -03 00:00 UTC in Unix seconds
D1, D2, D3 = 1790812800, 1790899200, 1790985600


def _openai(**bucket: Any) -> dict[str, Any]:
    page = {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": D1,
                "end_time": D2,
                "results": [
                    {
                        "object": "organization.costs.result",
                        "amount": {"value": 1.5, "currency": "usd"},
                        "line_item": "gpt-4o-mini, input",
                        "project_id": "proj",
                    }
                ],
            }
        ],
    }
    page["data"][0].update(bucket)
    return page


def _amount(value: Any) -> dict[str, Any]:
    page = _openai()
    page["data"][0]["results"][0]["amount"]["value"] = value
    return page


def _anthropic(**bucket: Any) -> dict[str, Any]:
    page = {
        "data": [
            {
                "starting_at": "2026-10-01T00:00:00Z",
                "ending_at": "2026-10-02T00:00:00Z",
                "results": [{"amount": "150", "currency": "USD", "model": "claude-x"}],
            }
        ]
    }
    page["data"][0].update(bucket)
    return page


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


Writer = Callable[[Path], Path]


def _json(data: Any) -> Writer:
    def write(d: Path) -> Path:
        path = d / "export.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return write


def _text(content: bytes) -> Writer:
    def write(d: Path) -> Path:
        path = d / "export.json"
        path.write_bytes(content)
        return path

    return write


# (importer, file, what the error says, the field it names)
CASES: dict[str, tuple[str, Writer, str, str | None]] = {
    # -- times (the failed class: a replacement range reaching back to 1969) -------------
    "start_time_minus_1": (
        "openai",
        _json(_openai(start_time=-1)),
        "not a time",
        "data[0].start_time",
    ),
    "start_time_zero": ("openai", _json(_openai(start_time=0)), "not a time", "data[0].start_time"),
    "start_time_in_ms": (
        "openai",
        _json(_openai(start_time=D1 * 1000, end_time=D2 * 1000)),
        "milliseconds?",
        "data[0].start_time",
    ),
    "start_time_year_9999": (
        "openai",
        _json(_openai(start_time=253370764800)),
        "not a time",
        "data[0].start_time",
    ),
    "start_time_huge": ("openai", _json(_openai(start_time=10**30)), "not a time", None),
    "end_before_start": (
        "openai",
        _json(_openai(end_time=D1 - 3600)),
        "before it starts",
        "data[0]",
    ),
    "bucket_of_90_days": (
        "openai",
        _json(_openai(end_time=D1 + 90 * 86400)),
        "at most 31 days",
        "data[0]",
    ),
    "file_spanning_3_years": (
        "openai",
        _json(
            {
                "data": [
                    _openai()["data"][0],
                    {
                        **_openai()["data"][0],
                        "start_time": D1 + 1000 * 86400,
                        "end_time": D1 + 1001 * 86400,
                    },
                ]
            }
        ),
        "at most 400 days",
        "data",
    ),
    "time_as_string": ("openai", _json(_openai(start_time="yesterday")), "Unix seconds", None),
    "time_as_bool": ("openai", _json(_openai(start_time=True)), "Unix seconds", None),
    "anthropic_starting_1900": (
        "anthropic",
        _json(_anthropic(starting_at="1900-01-01T00:00:00Z")),
        "outside 2000..2100",
        "data[0].starting_at",
    ),
    "anthropic_ending_9999": (
        "anthropic",
        _json(_anthropic(ending_at="9999-12-31T00:00:00Z")),
        "outside",
        "data[0].ending_at",
    ),
    "anthropic_time_garbage": (
        "anthropic",
        _json(_anthropic(starting_at="soon")),
        "RFC 3339",
        "data[0].starting_at",
    ),
    # -- amounts --------------------------------------------------------------------------
    "amount_1e15": ("openai", _json(_amount(10**15)), "beyond the 1,000,000,000", None),
    "amount_nan": (
        "openai",
        _text(json.dumps(_amount(0)).replace('"value": 0', '"value": NaN').encode()),
        "number",
        None,
    ),
    "amount_infinity": (
        "openai",
        _text(json.dumps(_amount(0)).replace('"value": 0', '"value": Infinity').encode()),
        "number",
        None,
    ),
    "amount_text": ("openai", _json(_amount("lots")), "expected a number", None),
    "amount_bool": ("openai", _json(_amount(True)), "expected a number", None),
    "amount_1e400": (
        "openai",
        _text(json.dumps(_amount(0)).replace('"value": 0', '"value": 1e400').encode()),
        "beyond",
        None,
    ),
    # -- shapes and bytes (held, and the deep-JSON crash) ---------------------------------
    "json_nested_100000_deep": (
        "openai",
        _text(_nested(100_000).encode()),
        "nested too deeply",
        None,
    ),
    "not_json": ("openai", _text(b"{oops"), "not valid JSON", None),
    "not_utf8": ("openai", _text(b'{"data": ["caf\xe9"]}'), "not UTF-8", None),
    "no_data_list": ("openai", _json({"object": "page"}), "'data' list", "data"),
    "bucket_not_object": ("openai", _json({"data": [1]}), "must be an object", "data[0]"),
    "results_missing": ("openai", _json(_openai(results=None)), "not a list", "data[0].results"),
    "wrong_result_object": (
        "openai",
        _json(_openai(results=[{"object": "organization.usage.result", "amount": {"value": 1}}])),
        "organization.costs.result",
        None,
    ),
    "currency_not_the_bill": (
        "openai",
        _json(
            _openai(
                results=[
                    {
                        "object": "organization.costs.result",
                        "amount": {"value": 1, "currency": "eur"},
                    }
                ]
            )
        ),
        "currency",
        None,
    ),
    "anthropic_mixed_report_kinds": (
        "anthropic",
        _json(
            _anthropic(
                results=[
                    {"amount": "1", "currency": "USD"},
                    {"uncached_input_tokens": 1, "output_tokens": 1},
                ]
            )
        ),
        "mixes",
        None,
    ),
    "anthropic_negative_tokens": (
        "anthropic",
        _json(_anthropic(results=[{"uncached_input_tokens": -5, "model": "claude-x"}])),
        "token count",
        None,
    ),
}

_IMPORT = {"openai": import_openai, "anthropic": import_anthropic}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_ai_export_is_refused_and_changes_nothing(
    name: str, settings: Settings, tmp_path: Path
) -> None:
    kind, writer, says, field = CASES[name]
    path = writer(tmp_path)
    before = snapshot(settings)
    with pytest.raises(ImportFileError) as info:
        _IMPORT[kind](settings, path)
    err = info.value
    assert says in str(err), str(err)
    assert err.file == str(path)
    if field is not None:
        assert err.column == field, str(err)
    assert snapshot(settings) == before
    still_answers(settings)


def test_a_reimport_replaces_only_its_own_days(tmp_path: Path) -> None:
    """An earlier month stays when a later file is imported; a re-import of a day replaces
    that day alone (in a fresh home: this one writes)."""
    settings = load_settings()
    september = _openai(start_time=D1 - 30 * 86400, end_time=D1 - 29 * 86400)
    october = _openai()
    import_openai(settings, _json(september)(tmp_path))
    again = copy.deepcopy(october)
    again["data"][0]["results"][0]["amount"]["value"] = 2.25
    (tmp_path / "b").mkdir()
    import_openai(settings, _json(october)(tmp_path / "b"))
    (tmp_path / "c").mkdir()
    summary = import_openai(settings, _json(again)(tmp_path / "c"))
    assert summary.replaced_rows == 1
    rows = read_ledger(
        settings, "SELECT ts, cost FROM ai_usage WHERE source = 'openai-import' ORDER BY ts"
    )
    assert [(f"{ts:%Y-%m-%d}", cost) for ts, cost in rows] == [
        ("2026-09-01", Decimal("1.5")),
        ("2026-10-01", Decimal("2.25")),
    ]

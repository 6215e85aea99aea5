"""registry.call: the one entry point for both engines never raises to its caller."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.config import load_settings
from assistant.core.provenance import Provenance
from assistant.errors import DataGap
from tools.registry import REGISTRY, ToolContext, call, tool
from tools.result import ToolResult


class _Args(BaseModel):
    n: int = Field(description="a number")


def _register() -> None:
    @tool("_test_echo", _Args)
    def echo(args: _Args, ctx: ToolContext) -> ToolResult:
        if args.n == 0:
            raise DataGap("Nothing ingested for n=0.", hint="Run `penny ingest`.")
        if args.n < 0:
            raise ZeroDivisionError("division by zero")
        return ToolResult.success({"n": args.n * 2}, Provenance(tables=["t"]))


def test_call_validates_and_runs() -> None:
    _register()
    ctx = ToolContext.create(load_settings())
    try:
        ok, _ = call("_test_echo", {"n": "21"}, ctx)
        assert ok.ok is True and ok.data == {"n": 42}

        bad, _ = call("_test_echo", {"n": "many"}, ctx)
        assert bad.ok is False
        assert bad.error == (
            "Invalid arguments for _test_echo: n: Input should be a valid "
            "integer, unable to parse string as an integer (got 'many')"
        )

        # DataGap is not an error of the call: no data, with the reason (never a zero)
        gap, _ = call("_test_echo", {"n": 0}, ctx)
        assert (gap.ok, gap.status, gap.error) == (
            True,
            "no_data",
            "Nothing ingested for n=0. Run `penny ingest`.",
        )

        crash, _ = call("_test_echo", {"n": -1}, ctx)
        assert crash.ok is False and crash.status == "error"
        assert "internal error (ZeroDivisionError: division by zero)" in (crash.error or "")

        unknown, _ = call("no_such_tool", {}, ctx)
        assert unknown.ok is False and "No tool named 'no_such_tool'" in (unknown.error or "")
    finally:
        REGISTRY.pop("_test_echo", None)

"""The tool registry: name -> (argument model, function, description).

Each tool module defines a pydantic ``Args`` model (field descriptions are what the
model reads) and a function ``name(args, ctx) -> ToolResult`` decorated with
:func:`tool`. :func:`call` is the one entry point for both engines: it validates raw
arguments (as an LLM produced them), turns validation errors and PennyErrors into
``ok=False`` results that say how to fix the call, and never raises to the caller.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from assistant.capabilities.context import Ctx
from assistant.errors import DataGap, PennyError
from tools.result import ToolResult

_log = logging.getLogger(__name__)

__all__ = ["REGISTRY", "ToolContext", "ToolSpec", "call", "call_report", "load_all", "tool"]

#: modules imported by load_all(); each registers its tools on import
TOOL_MODULES: list[str] = [
    "tools.query_costs",
    "tools.cluster_state",
    "tools.ai_spend",
    "tools.run_sql",
    "tools.search_knowledge",
    "tools.rightsizing",
    "tools.draft_rightsizing_change",
    "tools.gpu_utilization",
    "tools.explain_bill",
    "tools.compare_periods",
    "tools.detect_anomalies",
    "tools.cost_trend",
    "tools.review_change",
    "tools.bill_costs",
    "tools.orphaned_resources",
    "tools.cost_forecast",
    "tools.budget_status",
    "tools.unit_cost",
]


#: who calls a tool: the capabilities' context (settings, scope, pinned 'now', user)
ToolContext = Ctx


@dataclass
class ToolSpec:
    name: str
    args_model: type[BaseModel]
    fn: Callable[[Any, ToolContext], ToolResult]
    description: str
    #: the capability behind the tool, for callers that read its typed report
    capability: Callable[[Any, ToolContext], BaseModel] | None = None


REGISTRY: dict[str, ToolSpec] = {}


def tool(
    name: str,
    args_model: type[BaseModel],
    *,
    capability: Callable[[Any, ToolContext], BaseModel] | None = None,
) -> Callable[[Callable[..., ToolResult]], Callable[..., ToolResult]]:
    """Register ``fn`` as tool ``name``; its docstring is the description the model sees.
    ``capability`` is the core function ``fn`` adapts (``fn`` returns its report as
    ``ToolResult.of(report)``), so :func:`call_report` can hand back the typed report."""

    def decorate(fn: Callable[..., ToolResult]) -> Callable[..., ToolResult]:
        REGISTRY[name] = ToolSpec(name, args_model, fn, (fn.__doc__ or "").strip(), capability)
        return fn

    return decorate


def load_all() -> dict[str, ToolSpec]:
    for module in TOOL_MODULES:
        importlib.import_module(module)
    return REGISTRY


def _explain_validation(name: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(arguments)"
        parts.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
    return f"Invalid arguments for {name}: " + "; ".join(parts)


def call(name: str, raw_args: dict[str, Any] | None, ctx: ToolContext) -> tuple[ToolResult, float]:
    """Validate and run one tool; return (result, duration_ms). Never raises."""
    result, _, duration = call_report(name, raw_args, ctx)
    return result, duration


def call_report(
    name: str, raw_args: dict[str, Any] | None, ctx: ToolContext
) -> tuple[ToolResult, BaseModel | None, float]:
    """:func:`call`, plus the capability's typed report when the tool has one and it
    succeeded (the offline engine reads reports; the result is what the model sees)."""
    started = time.perf_counter()
    spec = load_all().get(name)
    report: BaseModel | None = None
    if spec is None:
        result = ToolResult.failure(
            f"No tool named {name!r}. Available: {', '.join(sorted(REGISTRY))}."
        )
    else:
        try:
            args = spec.args_model.model_validate(raw_args or {})
            if spec.capability is not None:
                report = spec.capability(args, ctx)
                result = ToolResult.of(report)
            else:
                result = spec.fn(args, ctx)
        except ValidationError as exc:
            result = ToolResult.failure(_explain_validation(name, exc))
        except DataGap as exc:
            result = ToolResult.no_data(str(exc), exc.provenance)
        except PennyError as exc:
            result = ToolResult.failure(str(exc))
        except Exception as exc:
            # A bug in a tool must not take the whole answer down, and must not be hidden:
            # the model (and the user) see that this tool failed, the log has the trace.
            _log.exception("tool %s failed on %r", name, raw_args)
            result = ToolResult.failure(
                f"Tool {name} failed with an internal error ({type(exc).__name__}: {exc}). "
                "This is a bug in Penny, not in your arguments; answer without this tool "
                "and say so."
            )
    return result, report, (time.perf_counter() - started) * 1000.0

"""What Penny's MCP server offers besides tools: resources and prompts, as plain functions.

Kept apart from the protocol wiring (:mod:`assistant.interfaces.mcp_server`) so the text
an agent reads can be tested without a client. Every read goes through a capability with
the caller's scope: a team-scoped token reading ``penny://bill/2026-10.md`` gets its
team's bill, exactly as ``GET /v1/bill/2026-10`` would give it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import prompts
from assistant.capabilities.context import Ctx
from assistant.errors import InputError, NotFound

__all__ = [
    "PROMPTS",
    "PromptSpec",
    "StaticResource",
    "bill_resource",
    "doc_resources",
    "read_resource",
    "render_prompt",
    "static_resources",
]

BILL_URI = re.compile(r"^penny://bill/(?P<month>[A-Za-z0-9-]+)\.(?P<fmt>md|json)$")
DOC_URI = re.compile(r"^penny://docs/(?P<name>[A-Za-z0-9_.-]+)$")
SCHEMA_URI = "penny://schema"
BILL_TEMPLATES = {
    "md": ("penny://bill/{month}.md", "text/markdown"),
    "json": ("penny://bill/{month}.json", "application/json"),
}


@dataclass(frozen=True)
class StaticResource:
    uri: str
    name: str
    description: str
    mime_type: str


def doc_resources(ctx: Ctx) -> dict[str, Path]:
    """The knowledge docs (shipped and user-added), by resource URI."""
    from assistant.knowledge.index import docs_sources

    return {f"penny://docs/{p.stem}": p for p in docs_sources(ctx.settings)}


def static_resources(ctx: Ctx) -> list[StaticResource]:
    """Resources listed by name: last month's bill (both formats), the schema, the docs."""
    listed = [
        StaticResource(
            "penny://bill/last-month.md",
            "bill-last-month-md",
            "Last month's cloud bill explained (Markdown): totals, reconciliation to the "
            "bill, drivers of change, forecast. Any month: penny://bill/YYYY-MM.md.",
            "text/markdown",
        ),
        StaticResource(
            "penny://bill/last-month.json",
            "bill-last-month-json",
            "Last month's cloud bill explained (JSON, exact decimal strings). Any month: "
            "penny://bill/YYYY-MM.json.",
            "application/json",
        ),
        StaticResource(
            SCHEMA_URI,
            "warehouse-schema",
            "The cost warehouse's tables and columns (what run_sql can query; admins only).",
            "text/markdown",
        ),
    ]
    for uri, path in doc_resources(ctx).items():
        listed.append(
            StaticResource(uri, f"doc-{path.stem}", f"Knowledge doc: {path.stem}", "text/markdown")
        )
    return listed


def bill_resource(month: str, fmt: str, ctx: Ctx) -> str:
    """A month's bill explanation as Markdown or JSON, within the caller's scope."""
    from assistant.billing.render import render_bill
    from assistant.capabilities.bill import BillRequest, bill

    report = bill(BillRequest(month=month), ctx)
    return render_bill(report.explanation, "md" if fmt == "md" else "json")


def read_resource(uri: str, ctx: Ctx) -> tuple[str, str]:
    """(text, mime type) of one resource; NotFound names the resources that exist."""
    if uri == SCHEMA_URI:
        from assistant.capabilities.sql import schema_summary

        return "# Penny warehouse schema\n\n" + schema_summary() + "\n", "text/markdown"
    match = BILL_URI.match(uri)
    if match:
        fmt = match["fmt"]
        return bill_resource(match["month"], fmt, ctx), BILL_TEMPLATES[fmt][1]
    if DOC_URI.match(uri):
        path = doc_resources(ctx).get(uri)
        if path is not None:
            return path.read_text(encoding="utf-8"), "text/markdown"
    known = ", ".join(r.uri for r in static_resources(ctx))
    raise NotFound(
        f"No resource {uri!r}.",
        hint=f"Resources: {known}; bills as penny://bill/YYYY-MM.md or .json.",
        uri=uri,
    )


@dataclass(frozen=True)
class PromptSpec:
    name: str
    description: str
    #: argument name -> (description, required)
    arguments: dict[str, tuple[str, bool]]
    template: str


PROMPTS: dict[str, PromptSpec] = {
    spec.name: spec
    for spec in (
        PromptSpec(
            "explain_bill",
            "Explain this month's cloud bill: totals, what changed and why, what to do next.",
            {"month": ("Bill month, YYYY-MM or last-month (default this-month)", False)},
            "mcp_explain_bill",
        ),
        PromptSpec(
            "review_rightsizing",
            "Review rightsizing for a team: the workloads to resize, the savings, the risks.",
            {"team": ("The team whose workloads to review (exact name)", True)},
            "mcp_review_rightsizing",
        ),
        PromptSpec(
            "change_cost",
            "What did this change cost: the cost before and after a change shipped, or the "
            "monthly cost of a manifest change before it ships.",
            {
                "change": ("What changed: a description, or the rendered YAML of the change", True),
                "shipped": ("The date it shipped, YYYY-MM-DD (omit if not shipped yet)", False),
                "namespace": ("The namespace it runs in, if known", False),
            },
            "mcp_change_cost",
        ),
    )
}


def render_prompt(name: str, arguments: dict[str, str] | None) -> tuple[str, str]:
    """(description, user message text) for one prompt, or InputError/NotFound."""
    spec = PROMPTS.get(name)
    if spec is None:
        raise NotFound(f"No prompt {name!r}.", hint=f"Prompts: {', '.join(sorted(PROMPTS))}.")
    args = {k: v for k, v in (arguments or {}).items() if v is not None}
    unknown = sorted(set(args) - set(spec.arguments))
    if unknown:
        raise InputError(
            f"Prompt {name} has no argument {', '.join(map(repr, unknown))}.",
            hint=f"Arguments: {', '.join(spec.arguments)}.",
        )
    values: dict[str, str] = {}
    for key, (_, required) in spec.arguments.items():
        value = str(args.get(key, "")).strip()
        if required and not value:
            raise InputError(
                f"Prompt {name} needs the argument {key!r}.",
                hint=f"{key}: {spec.arguments[key][0]}.",
            )
        values[key] = value
    if name == "explain_bill":
        values["month"] = values["month"] or "this-month"
    if name == "change_cost":
        values["shipped_line"] = (
            f"It shipped on {values['shipped']}." if values["shipped"] else "It has not shipped."
        )
        values["namespace_line"] = (
            f"It runs in namespace {values['namespace']}." if values["namespace"] else ""
        )
    return spec.description, prompts.render(spec.template, **values)

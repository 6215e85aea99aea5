"""Penny as an MCP server: the agent tools, bill/schema/doc resources and task prompts.

Built on the official SDK's low-level ``Server`` because Penny's tools already exist as
typed argument models (``tools.registry``): each MCP tool's input schema is the tool's
pydantic model, and a call goes through :func:`tools.registry.call` — the very path the
LangChain agent uses — so MCP gives the same numbers, the same "no data" reasons and the
same argument errors as every other door.

Who is asking decides what is seen. Over stdio (``penny mcp``) the caller is the local
user (admin unless ``--scope`` narrows it, as the CLI reads the files directly); over
HTTP (``/mcp`` in ``penny serve``) :mod:`assistant.interfaces.mcp_http` authenticates
the bearer token and puts its principal on the request, and every tool, resource and
prompt runs with that scope. ``run_sql`` is listed only for admins and refused by its
capability for anyone else.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from assistant.capabilities.context import Ctx
from assistant.config import Settings
from assistant.core.placeholders import IDLE, UNALLOCATED
from assistant.core.scope import Scope
from assistant.errors import InputError, NotFound, PennyError
from assistant.interfaces import mcp_content
from tools.registry import call, load_all
from tools.result import ToolResult

__all__ = ["ADMIN_ONLY_TOOLS", "PRINCIPAL_KEY", "build_server", "run_stdio", "tool_result"]

#: where the HTTP door leaves the authenticated principal on the ASGI scope
PRINCIPAL_KEY = "penny.principal"
#: tools a scoped caller never sees (their capability refuses them too)
ADMIN_ONLY_TOOLS = frozenset({"run_sql"})

_INSTRUCTIONS = (
    "Penny answers Kubernetes cost questions from the cloud bill (FOCUS) split per "
    "container-hour with OpenCost's method. Every tool returns {ok, status, data, error, "
    "provenance}: status 'no_data' means Penny has no data for what was asked (the error "
    "says why) — never read it as zero. Money is exact decimal strings in the currency "
    f"given. '{IDLE}' is unused node capacity, '{UNALLOCATED}' bill lines no workload "
    "explains. Use search_knowledge to turn loose names into the exact ones filters need."
)
_OUTPUT_SCHEMA: dict[str, Any] = ToolResult.model_json_schema(mode="serialization")


def _caller(ctx: ServerRequestContext[Any, Any], default: Scope | None) -> Scope:
    """The scope of this request: the HTTP principal's, else the server's own (stdio)."""
    request = ctx.request
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict) and PRINCIPAL_KEY in scope:
        who: Scope = scope[PRINCIPAL_KEY].scope
        return who
    if default is None:  # an HTTP request that skipped authentication: never everything
        raise MCPError(types.INVALID_REQUEST, "Unauthenticated MCP request.")
    return default


def _tool_list(scope: Scope) -> list[types.Tool]:
    out = []
    for name, spec in sorted(load_all().items()):
        if name in ADMIN_ONLY_TOOLS and not scope.admin:
            continue
        out.append(
            types.Tool(
                name=name,
                title=name.replace("_", " "),
                description=spec.description,
                input_schema=spec.args_model.model_json_schema(),
                output_schema=_OUTPUT_SCHEMA,
                annotations=types.ToolAnnotations(
                    read_only_hint=True,
                    destructive_hint=False,
                    idempotent_hint=True,
                    open_world_hint=name == "cluster_state",
                ),
            )
        )
    return out


def tool_result(result: ToolResult) -> types.CallToolResult:
    """A tool result as MCP: the JSON envelope as structured content and as text; a failed
    call is ``is_error`` with the message that says how to fix it."""
    payload = result.to_json()
    text = result.error if result.status == "error" and result.error else json.dumps(payload)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content=payload,
        is_error=not result.ok,
    )


def _protocol_error(exc: PennyError) -> MCPError:
    code = types.INVALID_PARAMS if isinstance(exc, (InputError, NotFound)) else types.INTERNAL_ERROR
    message = exc.message + (f" {exc.hint}" if exc.hint else "")
    return MCPError(code, message, {"code": exc.code})


def build_server(settings: Settings, default_scope: Scope | None = None) -> Server[Any]:
    """The MCP server over ``settings``; ``default_scope`` is the stdio caller's scope
    (None for HTTP, where every request must carry an authenticated principal)."""

    def ctx_of(rctx: ServerRequestContext[Any, Any]) -> Ctx:
        return Ctx.create(settings, _caller(rctx, default_scope))

    async def list_tools(
        rctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=_tool_list(_caller(rctx, default_scope)))

    async def call_tool(
        rctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        ctx = ctx_of(rctx)
        result, _ = await anyio.to_thread.run_sync(call, params.name, params.arguments or {}, ctx)
        return tool_result(result)

    async def list_resources(
        rctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        ctx = ctx_of(rctx)
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=r.uri, name=r.name, description=r.description, mime_type=r.mime_type
                )
                for r in mcp_content.static_resources(ctx)
            ]
        )

    async def list_templates(
        rctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template=uri,
                    name=f"bill-{fmt}",
                    description=f"A month's bill explained ({fmt}); month = YYYY-MM, "
                    "last-month or this-month.",
                    mime_type=mime,
                )
                for fmt, (uri, mime) in mcp_content.BILL_TEMPLATES.items()
            ]
        )

    async def read_resource(
        rctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        ctx = ctx_of(rctx)
        uri = str(params.uri)
        try:
            text, mime = await anyio.to_thread.run_sync(mcp_content.read_resource, uri, ctx)
        except PennyError as exc:
            raise _protocol_error(exc) from exc
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, text=text, mime_type=mime)]
        )

    async def list_prompts(
        rctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=p.name,
                    description=p.description,
                    arguments=[
                        types.PromptArgument(name=k, description=d, required=req)
                        for k, (d, req) in p.arguments.items()
                    ],
                )
                for p in mcp_content.PROMPTS.values()
            ]
        )

    async def get_prompt(
        rctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        _caller(rctx, default_scope)  # prompts too are for authenticated callers only
        try:
            description, text = mcp_content.render_prompt(params.name, params.arguments)
        except PennyError as exc:
            raise _protocol_error(exc) from exc
        return types.GetPromptResult(
            description=description,
            messages=[
                types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))
            ],
        )

    return Server(
        "penny",
        version=_version(),
        title="Penny",
        description="Kubernetes cost answers from the cloud bill (FinOps).",
        instructions=_INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


def run_stdio(settings: Settings, scope: Scope) -> None:
    """Serve MCP on stdin/stdout until the client closes the pipe."""
    from mcp.server.stdio import stdio_server

    server = build_server(settings, default_scope=scope)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("penny-finops")
    except Exception:
        return "0+unknown"

"""Penny's MCP server through the official SDK's client, over both transports.

Streamable HTTP: the real app under uvicorn on loopback (``/mcp``), with the API's bearer
tokens. stdio: ``penny mcp`` as a subprocess. Dollar figures are independent warehouse
sums over the demo, compared to the cent.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from assistant.config import Settings
from assistant.interfaces.api import create_app
from assistant.warehouse.db import reader
from tests.interfaces.conftest import ADMIN_TOKEN, PAYMENTS_TOKEN, LiveServer, auth

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def team_costs(settings: Settings, month: str) -> dict[str, Decimal]:
    """Σ total_cost per team of workload rows in ``month``, to the cent (independent)."""
    with reader(settings) as con:
        rows = con.execute(
            "SELECT team, sum(total_cost) FROM allocations WHERE kind = 'workload' "
            "AND strftime(hour, '%Y-%m') = ? GROUP BY 1",
            [month],
        ).fetchall()
    return {t: Decimal(v).quantize(Decimal("0.01")) for t, v in rows}


def cents(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def served(demo_home: Path) -> Iterator[tuple[str, Settings]]:
    from datetime import datetime

    from assistant.config import load_settings
    from tests.interfaces.conftest import tokens

    settings = load_settings(
        home=demo_home, now=datetime(2026, 11, 20), server={"tokens": tokens()}
    )
    with LiveServer(create_app(settings, engine="offline")) as server:
        yield server.url, settings


def over_http(url: str, token: str, body: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            return await body(client)

    return anyio.run(main)


def test_tools_have_typed_schemas_and_sql_is_listed_for_admins_only(
    served: tuple[str, Settings],
) -> None:
    from tools.query_costs import Args

    url, _ = served

    async def names(client: Client) -> Any:
        return (await client.list_tools()).tools

    admin = {t.name: t for t in over_http(url, ADMIN_TOKEN, names)}
    payments = {t.name for t in over_http(url, PAYMENTS_TOKEN, names)}
    assert "run_sql" in admin and "run_sql" not in payments
    assert set(admin) - payments == {"run_sql"}
    qc = admin["query_costs"]
    assert qc.input_schema == Args.model_json_schema()
    assert qc.input_schema["properties"]["basis"]["enum"] == ["amortized", "invoice"]
    assert qc.annotations is not None and qc.annotations.read_only_hint is True
    assert set(qc.output_schema["properties"]) == {"ok", "status", "data", "error", "provenance"}


def test_a_team_token_sees_only_its_team_through_a_tool(served: tuple[str, Settings]) -> None:
    url, settings = served
    expected = team_costs(settings, "2026-10")

    async def by_team(client: Client) -> Any:
        return await client.call_tool("query_costs", {"window": "2026-10", "group_by": "team"})

    admin = over_http(url, ADMIN_TOKEN, by_team)
    pat = over_http(url, PAYMENTS_TOKEN, by_team)
    assert not admin.is_error and not pat.is_error
    admin_rows = {
        r["name"]: cents(r["total"])
        for r in admin.structured_content["data"]["rows"]
        if r["kind"] == "workload"
    }
    assert admin_rows == expected
    pat_rows = [r["name"] for r in pat.structured_content["data"]["rows"]]
    assert pat_rows == ["payments"]
    assert cents(pat.structured_content["data"]["totals"]["total"]) == expected["payments"]
    prov = pat.structured_content["provenance"]
    assert prov["tables"][0] == "allocations" and prov["window"]["label"] == "2026-10"
    # the text content is the same JSON, for clients that ignore structured content
    assert json.loads(pat.content[0].text) == pat.structured_content


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("query_costs", {"group_by": "colour"}, "Unknown group_by 'colour'."),
        ("query_costs", {"window": "zzz"}, "Cannot read window 'zzz'."),
        ("query_costs", {"top_n": 0}, "Invalid arguments for query_costs: top_n:"),
        ("query_costs", {"filters": {"team": "paymnts"}}, "No team named 'paymnts'"),
        ("no_such_tool", {}, "No tool named 'no_such_tool'."),
    ],
)
def test_bad_arguments_are_tool_errors_that_say_how_to_fix_them(
    served: tuple[str, Settings], tool: str, args: dict[str, Any], message: str
) -> None:
    url, _ = served

    async def bad(client: Client) -> Any:
        return await client.call_tool(tool, args)

    result = over_http(url, ADMIN_TOKEN, bad)
    assert result.is_error
    assert message in result.content[0].text
    assert result.structured_content["ok"] is False


def test_a_misspelt_team_suggests_only_names_the_token_may_see(
    served: tuple[str, Settings],
) -> None:
    url, _ = served

    async def probe(client: Client) -> Any:
        return await client.call_tool("query_costs", {"filters": {"team": "searc"}})

    text = over_http(url, PAYMENTS_TOKEN, probe).content[0].text
    assert "No team named 'searc' in the cost data you may see. Known values: payments." in text
    assert "Did you mean" not in text  # 'search' exists, but not for this token


def test_sql_is_refused_to_a_team_token_even_when_called_by_name(
    served: tuple[str, Settings],
) -> None:
    url, _ = served

    async def sql(client: Client) -> Any:
        return await client.call_tool("run_sql", {"sql": "SELECT count(*) AS n FROM allocations"})

    refused = over_http(url, PAYMENTS_TOKEN, sql)
    assert refused.is_error and "run_sql is for administrators" in refused.content[0].text
    allowed = over_http(url, ADMIN_TOKEN, sql)
    assert not allowed.is_error
    assert allowed.structured_content["data"]["columns"] == ["n"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Missing bearer token."),
        (auth("pny_wrong"), "Unknown or revoked token."),
        ({"Authorization": "Basic abc"}, "is not `Bearer <token>`"),
    ],
)
def test_mcp_over_http_needs_a_known_bearer_token(
    served: tuple[str, Settings], headers: dict[str, str], message: str
) -> None:
    url, _ = served
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/list",
        "params": {},
    }
    r = httpx.post(
        f"{url}/mcp",
        json=init,
        headers={**headers, "Accept": "application/json, text/event-stream"},
        timeout=30,
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert body["ok"] is False and body["error"]["code"] == "unauthorized"
    assert message in body["error"]["message"]


def test_bill_resources_follow_the_token_scope(served: tuple[str, Settings]) -> None:
    url, settings = served
    expected = team_costs(settings, "2026-10")

    async def read(client: Client) -> Any:
        listed = [r.uri for r in (await client.list_resources()).resources]
        templates = [
            t.uri_template for t in (await client.list_resource_templates()).resource_templates
        ]
        md = (await client.read_resource("penny://bill/2026-10.md")).contents[0]
        js = (await client.read_resource("penny://bill/2026-10.json")).contents[0]
        return listed, templates, md, js

    listed, templates, md, js = over_http(url, PAYMENTS_TOKEN, read)
    assert {"penny://bill/last-month.md", "penny://schema", "penny://docs/glossary"} <= set(listed)
    assert templates == ["penny://bill/{month}.md", "penny://bill/{month}.json"]
    assert md.mime_type == "text/markdown" and md.text.startswith("# Bill for 2026-10")
    assert f"${expected['payments']:,}" in md.text
    bill = json.loads(js.text)
    assert js.mime_type == "application/json"
    assert bill["totals"] is None  # the org-wide bill is not a team's to see
    assert cents(str(bill["allocated_total"])) == expected["payments"]


def test_schema_and_docs_resources_and_an_unknown_one(served: tuple[str, Settings]) -> None:
    url, _ = served

    async def read(client: Client) -> Any:
        schema = (await client.read_resource("penny://schema")).contents[0].text
        glossary = (await client.read_resource("penny://docs/glossary")).contents[0].text
        with pytest.raises(MCPError) as missing:
            await client.read_resource("penny://nothing-here")
        with pytest.raises(MCPError) as month:
            await client.read_resource("penny://bill/2026-13.md")
        return schema, glossary, missing.value, month.value

    schema, glossary, missing, month = over_http(url, ADMIN_TOKEN, read)
    assert "- allocations(" in schema and "node_cost_hours(" in schema
    expected_doc = (REPO / "assistant/knowledge/docs/glossary.md").read_text(encoding="utf-8")
    assert glossary == expected_doc
    assert "No resource 'penny://nothing-here'." in str(missing)
    assert "penny://bill/YYYY-MM.md" in str(missing)
    assert "Month 13 is not 1..12." in str(month)


def test_prompts_render_with_their_arguments_and_refuse_missing_ones(
    served: tuple[str, Settings],
) -> None:
    url, _ = served

    async def run(client: Client) -> Any:
        names = {p.name: p for p in (await client.list_prompts()).prompts}
        review = await client.get_prompt("review_rightsizing", {"team": "payments"})
        bill = await client.get_prompt("explain_bill", {"month": "2026-10"})
        change = await client.get_prompt(
            "change_cost", {"change": "replicas: 3 -> 6", "shipped": "2026-11-02"}
        )
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("review_rightsizing", {})
        return names, review, bill, change, missing.value

    names, review, bill, change, missing = over_http(url, PAYMENTS_TOKEN, run)
    assert set(names) == {"explain_bill", "review_rightsizing", "change_cost"}
    assert [a.name for a in names["review_rightsizing"].arguments if a.required] == ["team"]
    text = review.messages[0].content.text
    assert 'filters={"team": "payments"}' in text and "draft_rightsizing_change" in text
    assert "penny://bill/2026-10.md" in bill.messages[0].content.text
    change_text = change.messages[0].content.text
    assert "replicas: 3 -> 6" in change_text and "It shipped on 2026-11-02." in change_text
    assert "needs the argument 'team'" in str(missing)


def stdio_params(home: Path, *args: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant.cli", "mcp", *args],
        env={
            "PENNY_HOME": str(home),
            "PENNY_NOW": "2026-11-20T00:00:00",
            "PYTHONPATH": str(REPO),
            "PATH": os.environ.get("PATH", ""),
        },
        cwd=str(REPO),
    )


def over_stdio(params: StdioServerParameters, body: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with Client(params) as client:
            return await body(client)

    return anyio.run(main)


def test_penny_mcp_over_stdio_answers_with_the_scope_it_was_given(
    demo_home: Path, demo_settings: Settings
) -> None:
    expected = team_costs(demo_settings, "2026-10")

    async def session(client: Client) -> Any:
        tools = {t.name for t in (await client.list_tools()).tools}
        costs = await client.call_tool("query_costs", {"window": "2026-10", "group_by": "team"})
        bad = await client.call_tool("cost_trend", {"window": "2026-10", "bucket": "hour"})
        return tools, costs, bad

    tools, costs, bad = over_stdio(stdio_params(demo_home, "--scope", "team:payments"), session)
    assert "run_sql" not in tools and "query_costs" in tools
    rows = costs.structured_content["data"]["rows"]
    assert [(r["name"], cents(r["total"])) for r in rows] == [("payments", expected["payments"])]
    assert bad.is_error and "bucket" in bad.content[0].text

    async def admin(client: Client) -> Any:
        return await client.call_tool("query_costs", {"window": "2026-10", "group_by": "team"})

    everything = over_stdio(stdio_params(demo_home), admin)
    names = {r["name"] for r in everything.structured_content["data"]["rows"]}
    assert set(expected) <= names


def test_penny_mcp_refuses_a_malformed_scope(demo_home: Path) -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "mcp", "--scope", "payments"],
        cwd=REPO,
        env={**os.environ, "PENNY_HOME": str(demo_home)},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert "'payments' is not '*', team:NAME or ns:NAME." in done.stderr


def test_tool_arguments_larger_than_a_chat_message_reach_the_tool(
    served: tuple[str, Settings],
) -> None:
    """review_change takes manifests of up to 200,000 characters: /mcp accepts bodies
    far above the chat limit (server.max_message_chars), and refuses 3 MB with 413."""
    url, _ = served
    padding = "".join(f"# line {i:05d} {'x' * 60}\n" for i in range(900))  # ~60 kB
    head = padding + (
        "apiVersion: apps/v1\nkind: Deployment\n"
        "metadata: {name: checkout-api, namespace: payments}\n"
        "spec:\n  replicas: 4\n  template:\n    spec:\n      containers:\n"
        '        - name: app\n          resources: {requests: {cpu: "1", memory: 2Gi}}\n'
    )
    assert len(head) > 50_000

    async def review(client: Client) -> Any:
        return await client.call_tool(
            "review_change", {"base": "", "head": head, "cluster": "prod-use1"}
        )

    result = over_http(url, ADMIN_TOKEN, review)
    assert not result.is_error, result.content[0].text
    (change,) = result.structured_content["data"]["changed"]
    assert change["workload"] == "payments/Deployment/checkout-api"
    huge = httpx.post(
        f"{url}/mcp",
        content=b"x" * (3 * 1024 * 1024),
        headers={**auth(ADMIN_TOKEN), "Content-Type": "application/json"},
        timeout=60,
    )
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_clients_on_the_handshake_protocol_and_the_current_one_both_work(
    served: tuple[str, Settings], mode: str
) -> None:
    """Desktop clients in the field still open with the initialize handshake (protocol
    2025-xx); the SDK's client in 'auto' mode negotiates the current one."""
    url, settings = served

    async def main() -> Any:
        headers = {"Authorization": f"Bearer {PAYMENTS_TOKEN}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client,
        ):
            return await client.call_tool("query_costs", {"window": "2026-10", "group_by": "team"})

    result = anyio.run(main)
    rows = result.structured_content["data"]["rows"]
    assert [(r["name"], cents(r["total"])) for r in rows] == [
        ("payments", team_costs(settings, "2026-10")["payments"])
    ]

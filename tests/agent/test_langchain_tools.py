"""Every registered tool wraps into a LangChain tool the providers accept."""

from __future__ import annotations

from langchain_core.utils.function_calling import convert_to_openai_tool

from assistant.agent.langchain_tools import ToolRecorder, build_tools
from assistant.config import load_settings
from tools.registry import ToolContext, load_all


def test_every_registered_tool_has_a_provider_schema_and_description() -> None:
    specs = load_all()
    tools = build_tools(ToolContext.create(load_settings()), ToolRecorder())
    assert sorted(t.name for t in tools) == sorted(specs)
    for t in tools:
        schema = convert_to_openai_tool(t)["function"]
        assert schema["name"] == t.name
        assert len(schema["description"]) >= 20, f"{t.name}: describe it for the model"
        assert schema["parameters"]["type"] == "object"
        # The JSON schema is the tool's own Args model's
        assert set(schema["parameters"].get("properties", {})) == set(
            specs[t.name].args_model.model_json_schema().get("properties", {})
        )


def test_wrapped_tool_records_the_call_and_returns_the_envelope() -> None:
    recorder = ToolRecorder()
    tools = {t.name: t for t in build_tools(ToolContext.create(load_settings()), recorder)}
    out = tools["run_sql"].invoke({"sql": "SELECT 1"})
    # No warehouse in a fresh PENNY_HOME: the tool says so instead of raising
    assert out.startswith('<tool_output name="run_sql" kind="data">')
    [call] = recorder.calls
    assert call.name == "run_sql" and call.args["sql"] == "SELECT 1"
    assert call.result["status"] == "no_data" and "no warehouse" in call.result["error"]

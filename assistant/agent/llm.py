"""The LLM engine: a LangChain ``create_agent`` over Penny's tools, metered and bounded.

The chat model comes from ``PENNY_MODEL`` (``provider:model``) through
``init_chat_model``; the SDKs' own ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` and
``ANTHROPIC_API_KEY``/``ANTHROPIC_BASE_URL`` are honoured, and ``agent.base_url`` points
``openai:`` (or ``ollama:``/``vllm:``/``llamacpp:``/``openai-compatible:``) at any
OpenAI-compatible server. Middleware bounds model and tool calls, retries transient
provider errors, and meters every model call (tokens, latency, tools requested) so
``ask()`` can price it into ``ai_usage``. Conversation memory lives in a process-wide
LangGraph ``InMemorySaver`` keyed by thread id: follow-ups in a thread see earlier turns
for as long as the process lives.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anthropic
import openai
from langchain.agents import create_agent
from langchain.agents.middleware import (
    AgentMiddleware,
    ModelCallLimitMiddleware,
    ModelRetryMiddleware,
    ToolCallLimitMiddleware,
)
from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

import prompts
from assistant.agent.langchain_tools import ToolRecorder, build_tools
from assistant.config import Settings
from assistant.core.answer import AskContext, Event, ToolCall
from assistant.errors import ConfigError, PennyError, SourceAuthError, SourceUnavailable
from assistant.ledger.usage import ModelCall, tokens_from_usage_metadata
from tools.registry import ToolContext

__all__ = [
    "LlmResult",
    "ModelInfo",
    "build_chat_model",
    "reset_memory",
    "resolve_model",
    "run_agent",
]

_OPENAI_COMPATIBLE = {"openai-compatible", "ollama", "vllm", "llamacpp", "lmstudio"}
_DEFAULT_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "ollama": "http://localhost:11434/v1",
}
# Reasoning models reject a temperature other than the default.
_NO_TEMPERATURE = ("o1", "o3", "o4", "gpt-5")

_MEMORY = InMemorySaver()


def reset_memory() -> None:
    """Forget every thread (tests; a server restart does the same)."""
    global _MEMORY
    _MEMORY = InMemorySaver()


@dataclass(frozen=True)
class ModelInfo:
    spec: str  # as configured, e.g. "openai:gpt-4o-mini"
    provider: str  # openai | anthropic | openai-compatible (for pricing/ledger)
    model: str
    base_url: str  # where requests go (for error messages)


def resolve_model(settings: Settings) -> ModelInfo:
    """Parse ``PENNY_MODEL``/``agent.model`` and find the endpoint, or raise ConfigError."""
    spec = settings.llm_model
    if not spec:
        raise ConfigError(
            "No model configured.", hint="Set PENNY_MODEL=provider:model (e.g. openai:gpt-4o-mini)."
        )
    provider, sep, model = spec.partition(":")
    provider = provider.strip().lower()
    if not sep or not model.strip():
        raise ConfigError(
            f"PENNY_MODEL={spec!r} must look like 'provider:model'.",
            hint="For example openai:gpt-4o-mini or anthropic:claude-haiku-4-5.",
        )
    model = model.strip()
    url: str | None
    if provider == "anthropic":
        url = os.environ.get("ANTHROPIC_BASE_URL") or _DEFAULT_URLS["anthropic"]
        return ModelInfo(spec, "anthropic", model, url)
    if provider == "openai" or provider in _OPENAI_COMPATIBLE:
        url = settings.agent.base_url or os.environ.get("OPENAI_BASE_URL")
        if provider in _OPENAI_COMPATIBLE:
            url = url or _DEFAULT_URLS.get(provider)
            if not url:
                raise ConfigError(
                    f"{provider}:{model} needs the server's URL.",
                    hint="Set agent.base_url (PENNY_AGENT__BASE_URL) or "
                    "OPENAI_BASE_URL, e.g. http://localhost:8000/v1.",
                )
        url = url or _DEFAULT_URLS["openai"]
        kind = "openai" if "api.openai.com" in url else "openai-compatible"
        return ModelInfo(spec, kind, model, url)
    raise ConfigError(
        f"Unknown model provider {provider!r} in PENNY_MODEL={spec!r}.",
        hint="Use openai:…, anthropic:…, or ollama:/vllm:/llamacpp:/openai-compatible: "
        "with agent.base_url.",
    )


def build_chat_model(settings: Settings, info: ModelInfo) -> BaseChatModel:
    """The LangChain chat model; SDK retries are off because the middleware retries."""
    a = settings.agent
    kwargs: dict[str, Any] = {"timeout": a.request_timeout_s, "max_retries": 0}
    if not info.model.lower().startswith(_NO_TEMPERATURE):
        kwargs["temperature"] = a.temperature
    key = a.api_key.get_secret_value() if a.api_key else None
    if info.provider == "anthropic":
        key = key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ConfigError(
                "anthropic:* needs an API key.", hint="Set ANTHROPIC_API_KEY (or agent.api_key)."
            )
        kwargs.update(api_key=key, base_url=info.base_url, max_tokens=4096)
        return init_chat_model(info.model, model_provider="anthropic", **kwargs)
    key = key or os.environ.get("OPENAI_API_KEY")
    if not key:
        if info.provider == "openai":
            raise ConfigError(
                "openai:* needs an API key.",
                hint="Set OPENAI_API_KEY (or agent.api_key), or point "
                "agent.base_url at a local OpenAI-compatible server.",
            )
        key = "not-needed"  # local servers (Ollama, vLLM, llama.cpp) ignore it
    # stream_usage: OpenAI-compatible URLs leave it off by default, but every call is priced.
    kwargs.update(api_key=key, base_url=info.base_url, stream_usage=True)
    return init_chat_model(info.model, model_provider="openai", **kwargs)


class _Meter(AgentMiddleware):  # type: ignore[type-arg]
    """Innermost wrapper around each model call: latency, tokens, tools requested."""

    def __init__(self, info: ModelInfo, calls: list[ModelCall]) -> None:
        super().__init__()
        self.info = info
        self.calls = calls

    def wrap_model_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        started = time.perf_counter()
        ts = datetime.now(UTC).replace(tzinfo=None)
        response = handler(request)
        latency = (time.perf_counter() - started) * 1000.0
        inner = getattr(response, "model_response", response)
        messages = [inner] if isinstance(inner, AIMessage) else list(getattr(inner, "result", []))
        for msg in messages:
            if isinstance(msg, AIMessage):
                meta = msg.response_metadata or {}
                self.calls.append(
                    ModelCall(
                        provider=self.info.provider,
                        model=str(meta.get("model_name") or meta.get("model") or self.info.model),
                        tokens=tokens_from_usage_metadata(dict(msg.usage_metadata or {})),
                        ts=ts,
                        latency_ms=latency,
                        request_id=str(meta.get("id") or msg.id or f"penny-{time.time_ns()}"),
                        tools=[tc["name"] for tc in msg.tool_calls],
                    )
                )
        return response


def _transient(exc: BaseException) -> bool:
    """Worth retrying: rate limits, overload, 5xx, timeouts, dropped connections."""
    if isinstance(
        exc,
        (
            openai.RateLimitError,
            anthropic.RateLimitError,
            openai.APIConnectionError,
            anthropic.APIConnectionError,
        ),
    ):
        return True
    if isinstance(exc, (openai.APIStatusError, anthropic.APIStatusError)):
        return exc.status_code >= 500 or exc.status_code == 429
    return False


def translate_error(exc: BaseException, info: ModelInfo) -> PennyError | None:
    """Provider SDK errors → Penny's error tree, naming the URL and model."""
    where = f"{info.provider} at {info.base_url} (model {info.model})"
    if isinstance(
        exc,
        (
            openai.AuthenticationError,
            anthropic.AuthenticationError,
            openai.PermissionDeniedError,
            anthropic.PermissionDeniedError,
        ),
    ):
        return SourceAuthError(
            f"The model provider refused Penny's credentials: {where} answered {exc.status_code}.",
            hint="Check OPENAI_API_KEY / ANTHROPIC_API_KEY (or agent.api_key).",
            url=info.base_url,
            status=exc.status_code,
        )
    if isinstance(exc, (openai.APIConnectionError, anthropic.APIConnectionError)):
        return SourceUnavailable(
            f"Cannot reach the model provider {where}: {exc}.",
            hint="Check the URL (agent.base_url, OPENAI_BASE_URL, ANTHROPIC_BASE_URL) and "
            "the network, or answer offline with --engine offline.",
            url=info.base_url,
        )
    if isinstance(exc, (openai.APIStatusError, anthropic.APIStatusError)):
        return SourceUnavailable(
            f"The model provider {where} answered {exc.status_code}: {exc.message}",
            hint="Retry later, or answer offline with --engine offline.",
            url=info.base_url,
            status=exc.status_code,
        )
    return None


_MAX_REPLAYED_TURNS = 10


def _earlier_turns(
    agent: Any, config: Any, ctx: AskContext, settings: Settings
) -> list[HumanMessage | AIMessage]:
    """Seed a thread this process has not seen from the ledger's logged turns.

    Memory lives in the process (InMemorySaver); a new process (``penny ask --thread T``
    run twice, a restarted server) replays the thread's last questions and answers from
    ``conversations`` so follow-ups still work. Turns without kept question text
    (``server.audit_questions`` off) cannot be replayed.
    """
    if agent.get_state(config).values.get("messages"):
        return []
    from assistant.warehouse.ledger import read_ledger

    rows = read_ledger(
        settings,
        "SELECT question, answer FROM (SELECT question, answer, ts FROM conversations"
        " WHERE thread_id = ? AND question IS NOT NULL AND answer IS NOT NULL"
        " ORDER BY ts DESC LIMIT ?) ORDER BY ts",
        [ctx.thread_id, _MAX_REPLAYED_TURNS],
    )
    out: list[HumanMessage | AIMessage] = []
    for question, answer in rows:
        out += [HumanMessage(str(question)), AIMessage(str(answer))]
    return out


@dataclass
class LlmResult:
    text: str
    tool_calls: list[ToolCall]
    model_calls: list[ModelCall]
    notes: list[str] = field(default_factory=list)


def _system_prompt(ctx: AskContext, settings: Settings) -> str:
    scope = ctx.scope
    seen = (
        "all teams and namespaces"
        if scope.admin
        else "teams "
        + (", ".join(scope.teams) or "none")
        + "; namespaces "
        + (", ".join(scope.namespaces) or "none")
    )
    return prompts.render(
        "system",
        now=settings.current_time().isoformat() + "Z",
        currency=settings.currency,
        user=ctx.user,
        scope=seen,
    )


def run_agent(
    question: str,
    ctx: AskContext,
    settings: Settings,
    *,
    stream_tokens: bool = False,
    calls: list[ModelCall] | None = None,
) -> Generator[Event, None, LlmResult]:
    """Run one question through the agent, yielding ``tool_call``/``tool_result``/``token``
    events as they happen; returns the result (``yield from`` gets it).

    ``calls`` (owned by the caller) receives each metered model call as it completes, so
    calls made before a failure are still priced and recorded.
    """
    info = resolve_model(settings)
    model = build_chat_model(settings, info)
    recorder = ToolRecorder()
    calls = calls if calls is not None else []
    tctx = ToolContext(
        settings=settings, scope=ctx.scope, now=settings.current_time(), user=ctx.user
    )
    a = settings.agent
    middleware: list[Any] = [  # outermost first
        ModelCallLimitMiddleware(run_limit=a.max_model_calls, exit_behavior="end"),
        ToolCallLimitMiddleware(run_limit=a.max_tool_calls, exit_behavior="continue"),
        ModelRetryMiddleware(
            max_retries=2,
            retry_on=_transient,
            on_failure="error",
            initial_delay=0.5,
            backoff_factor=2.0,
            max_delay=4.0,
        ),
        _Meter(info, calls),
    ]
    agent: Any = create_agent(
        model,
        tools=build_tools(tctx, recorder),
        system_prompt=_system_prompt(ctx, settings),
        middleware=middleware,
        checkpointer=_MEMORY,
    )
    config = {
        "configurable": {"thread_id": ctx.thread_id},
        "recursion_limit": 2 * (a.max_model_calls + a.max_tool_calls) + 10,
    }
    modes = ["updates", "messages"] if stream_tokens else ["updates"]
    final: AIMessage | None = None
    try:
        inputs = [*_earlier_turns(agent, config, ctx, settings), HumanMessage(question)]
        for mode, chunk in agent.stream({"messages": inputs}, config, stream_mode=modes):
            if mode == "messages":
                msg, meta = chunk
                if isinstance(msg, AIMessageChunk) and meta.get("langgraph_node") == "model":
                    piece = str(msg.text)
                    if piece:
                        yield Event(type="token", data={"text": piece})
                continue
            for update in (chunk or {}).values():
                for msg in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                    if isinstance(msg, AIMessage):
                        final = msg
                        for tc in msg.tool_calls:
                            yield Event(
                                type="tool_call",
                                data={"id": tc.get("id"), "name": tc["name"], "args": tc["args"]},
                            )
                    elif isinstance(msg, ToolMessage):
                        done = recorder.take(str(msg.name))
                        yield Event(
                            type="tool_result",
                            data={
                                "id": msg.tool_call_id,
                                "name": msg.name,
                                "ok": done.result.get("ok") if done else False,
                                "result": done.result
                                if done
                                else {"ok": False, "error": str(msg.content)},
                                "duration_ms": round(done.duration_ms, 1) if done else 0.0,
                            },
                        )
    except PennyError:
        raise
    except Exception as exc:
        translated = translate_error(exc, info)
        if translated is None:
            raise
        raise translated from exc
    notes: list[str] = []
    text = str(final.text) if final is not None else ""
    if calls and len(calls) >= a.max_model_calls and calls[-1].tools:
        # ModelCallLimitMiddleware ended the run while the model still wanted tools.
        notes.append(
            f"Stopped after {a.max_model_calls} model calls "
            "(agent.max_model_calls); the answer may be incomplete."
        )
        if text.startswith("Model call limits exceeded"):
            text = (
                f"I could not finish within {a.max_model_calls} model calls. "
                "Try a narrower question, or raise agent.max_model_calls."
            )
    return LlmResult(text=text, tool_calls=recorder.calls, model_calls=calls, notes=notes)

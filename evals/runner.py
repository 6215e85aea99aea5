"""Run the eval cases through ``ask()`` and grade them; report pass rate, tokens, cost, latency.

Every answer has one outcome: **correct** (it passed), **refused** (it failed, but said
plainly that it could not answer: ``understood`` false and no money figure), or
**wrong** (a confident answer that failed: the number to drive to zero).

The warehouse is ``settings.db_path`` (PENNY_DB). When it holds no allocations, the small
demo organisation is built into it first (end :data:`DEMO_END`). 'Now' is pinned to the
end of the loaded data (the hour after the last allocated hour), so relative periods in
questions and in the cases' SQL agree.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from assistant.agent.ask import ask
from assistant.config import Settings
from assistant.core.answer import AskContext
from assistant.errors import ConfigError, PennyError
from assistant.warehouse.db import reader
from evals.cases import Case, load_cases
from evals.grade import grade_answer, money_figures

__all__ = [
    "DEMO_END",
    "CaseResult",
    "EvalReport",
    "case_settings",
    "expected_values",
    "outcome",
    "pinned_now",
    "prepare_warehouse",
    "run_case",
    "run_evals",
    "write_report",
]

#: the demo the cases were written against: three months of data ending 2026-11-27
DEMO_END = date(2026, 11, 27)


@dataclass
class CaseResult:
    id: str
    category: str
    question: str
    passed: bool
    failures: list[str]
    answer: str
    understood: bool
    engine: str
    tools: list[str]
    input_tokens: int = 0
    output_tokens: int = 0
    cost: str | None = None
    latency_ms: float = 0.0
    expected: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = "wrong"  # correct | refused | wrong


@dataclass
class EvalReport:
    engine: str
    model: str | None
    now: str
    warehouse: str
    results: list[CaseResult]
    started: str = ""

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.results) if self.results else 0.0

    def by_category(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for r in self.results:
            ok, total = out.get(r.category, (0, 0))
            out[r.category] = (ok + r.passed, total + 1)
        return dict(sorted(out.items()))

    def outcomes(self) -> dict[str, dict[str, int]]:
        """Per category: correct, refused, wrong and cases."""
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            row = out.setdefault(r.category, {"correct": 0, "refused": 0, "wrong": 0, "cases": 0})
            row[r.outcome] += 1
            row["cases"] += 1
        return dict(sorted(out.items()))

    def count(self, outcome_name: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome_name)

    def totals(self) -> dict[str, Any]:
        lat = [r.latency_ms for r in self.results] or [0.0]
        costs = [Decimal(r.cost) for r in self.results if r.cost is not None]
        unpriced = sum(1 for r in self.results if r.cost is None and r.engine == "llm")
        n = len(self.results) or 1
        return {
            "cases": len(self.results),
            "passed": self.passed,
            "pass_rate": round(self.pass_rate, 4),
            "correct": self.count("correct"),
            "refused": self.count("refused"),
            "wrong": self.count("wrong"),
            "correct_or_refused_rate": round(
                (self.count("correct") + self.count("refused")) / n, 4
            ),
            "wrong_rate": round(self.count("wrong") / n, 4),
            "input_tokens": sum(r.input_tokens for r in self.results),
            "output_tokens": sum(r.output_tokens for r in self.results),
            "cost_usd": str(sum(costs, Decimal(0))),
            "unpriced_answers": unpriced,
            "latency_ms_p50": round(statistics.median(lat), 1),
            "latency_ms_max": round(max(lat), 1),
        }


def pinned_now(settings: Settings) -> datetime:
    """The hour after the warehouse's last allocated hour: the demo's end."""
    with reader(settings) as con:
        row = con.execute("SELECT max(hour) FROM allocations").fetchone()
    if not row or row[0] is None:
        raise ConfigError(
            f"The warehouse {settings.db_path} has no allocations.",
            hint="Run `penny demo --scale small` or let `penny eval` build it.",
        )
    last: datetime = row[0]
    return last + timedelta(hours=1)


def _has_allocations(settings: Settings) -> bool:
    if not settings.db_path.exists():
        return False
    try:
        with reader(settings) as con:
            row = con.execute("SELECT count(*) FROM allocations").fetchone()
    except PennyError:
        return False
    return bool(row and row[0])


def prepare_warehouse(
    settings: Settings,
    *,
    end: date = DEMO_END,
    scale: str = "small",
    rebuild: bool = False,
    log: Callable[[str], None] = print,
) -> datetime:
    """Build the demo into ``settings.db_path`` unless it already holds data; return 'now'."""
    if rebuild or not _has_allocations(settings):
        from assistant.demo.run import build_demo

        if rebuild and settings.db_path.exists():
            settings.db_path.unlink()
        log(f"Building the {scale} demo (end {end}) into {settings.db_path}…")
        build_demo(
            settings,
            end=end,
            out_dir=settings.db_path.parent / "eval-demo",
            use_prometheus=False,
            scale=scale,
        )
    return pinned_now(settings)


def expected_values(
    case: Case, settings: Settings, now: datetime
) -> tuple[list[dict[str, Any]], list[str]]:
    """The case's expected numbers and names, from its own SQL on a read-only connection."""
    numbers: list[dict[str, Any]] = []
    names = list(case.names)
    with reader(settings) as con:
        con.execute(f"SET VARIABLE now = TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}'")
        for n in case.numbers:
            row = con.execute(n.sql).fetchone()
            value = row[0] if row else None
            numbers.append(
                {
                    "label": n.label,
                    "kind": n.kind,
                    "tolerance": n.tolerance,
                    "value": None if value is None else str(value),
                }
            )
        if case.names_sql:
            names += [str(r[0]) for r in con.execute(case.names_sql).fetchall()]
    return numbers, names


def case_settings(case: Case, settings: Settings) -> Settings:
    """``settings`` with the case's own overrides (e.g. budgets), each validated."""
    if not case.settings:
        return settings
    update = {}
    for key, value in case.settings.items():
        if key not in Settings.model_fields:
            raise ConfigError(f"Eval case {case.id}: unknown setting {key!r}.")
        annotation = Settings.model_fields[key].annotation
        assert annotation is not None
        update[key] = TypeAdapter(annotation).validate_python(value)
    return settings.model_copy(update=update)


def outcome(passed: bool, understood: bool, text: str) -> str:
    """correct; refused (said it could not answer, no figure); or wrong."""
    if passed:
        return "correct"
    if not understood and not money_figures(text):
        return "refused"
    return "wrong"


def run_case(case: Case, settings: Settings, engine: str, now: datetime) -> CaseResult:
    ctx = AskContext(user="eval", channel="eval", thread_id=f"eval-{case.id}-{uuid.uuid4().hex}")
    numbers, names = expected_values(case, settings, now)
    settings = case_settings(case, settings)
    try:
        for q in case.setup:
            ask(q, ctx, settings, engine=engine)  # type: ignore[arg-type]
        answer = ask(case.question, ctx, settings, engine=engine)  # type: ignore[arg-type]
    except PennyError as exc:
        return CaseResult(
            case.id,
            case.category,
            case.question,
            False,
            [f"error: {exc.message}"],
            "",
            False,
            engine,
            [],
            expected=numbers,
        )
    except Exception as exc:  # one broken case must not stop the run; it fails loudly
        return CaseResult(
            case.id,
            case.category,
            case.question,
            False,
            [f"crash: {type(exc).__name__}: {exc}"],
            "",
            False,
            engine,
            [],
            expected=numbers,
        )
    results = [tc.result for tc in answer.tool_calls]
    tools = [tc.name for tc in answer.tool_calls]
    g = grade_answer(
        answer.text,
        understood=answer.understood,
        expect_understood=case.understood,
        numbers=numbers,
        names=names,
        tool_results=results,
        forbid_money=case.no_money,
        tools_called=tools,
        expect_tools=case.tools,
    )
    return CaseResult(
        case.id,
        case.category,
        case.question,
        g.passed,
        g.failures,
        answer.text,
        answer.understood,
        answer.engine,
        tools,
        answer.usage.input_tokens,
        answer.usage.output_tokens,
        None if answer.cost is None else str(answer.cost),
        answer.duration_ms,
        numbers,
        outcome(g.passed, answer.understood, answer.text),
    )


def run_evals(
    settings: Settings,
    *,
    engine: str = "offline",
    model: str | None = None,
    only: str | None = None,
    build: bool = True,
    rebuild: bool = False,
    log: Callable[[str], None] = print,
) -> EvalReport:
    """Run every case (or ``only`` one id/category) and grade it."""
    if engine not in ("offline", "llm"):
        raise ConfigError(f"Unknown eval engine {engine!r}.", hint="Use offline or llm.")
    now = (
        prepare_warehouse(settings, rebuild=rebuild, log=log)
        if build or rebuild
        else pinned_now(settings)
    )
    update: dict[str, Any] = {"now": now}
    if model:
        update["model"] = model
    run_settings = settings.model_copy(update=update)
    if engine == "llm" and not run_settings.llm_model:
        raise ConfigError(
            "LLM evals need a model.", hint="Pass --model provider:model or set PENNY_MODEL."
        )
    cases = load_cases(only=only)
    if not cases:
        raise ConfigError(f"No eval cases match {only!r}.")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    results = []
    for case in cases:
        t0 = time.perf_counter()
        r = run_case(case, run_settings, engine, now)
        log(
            f"{'PASS' if r.passed else 'FAIL'} {case.id} ({time.perf_counter() - t0:.1f}s)"
            + ("" if r.passed else ": " + "; ".join(r.failures))
        )
        results.append(r)
    return EvalReport(
        engine,
        run_settings.llm_model if engine == "llm" else None,
        now.isoformat() + "Z",
        str(settings.db_path),
        results,
        started,
    )


def write_report(report: EvalReport, out: Path) -> tuple[Path, Path]:
    """``out``.json (every case, answer and failure) and ``out``.md (the summary)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out.with_suffix(".json"), out.with_suffix(".md")
    payload = {
        "engine": report.engine,
        "model": report.model,
        "now": report.now,
        "warehouse": report.warehouse,
        "started": report.started,
        "totals": report.totals(),
        "by_category": report.outcomes(),
        "results": [asdict(r) for r in report.results],
    }
    json_path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    return json_path, md_path


def markdown(report: EvalReport) -> str:
    t = report.totals()
    lines = [
        f"# Penny evals: {report.engine}" + (f" ({report.model})" if report.model else ""),
        "",
        f"Pinned now {report.now}; warehouse `{report.warehouse}`; run {report.started}.",
        "",
        f"**{t['passed']}/{t['cases']} passed ({t['pass_rate'] * 100:.1f}%)**: "
        f"{t['correct']} correct, {t['refused']} honestly refused, **{t['wrong']} "
        f"confident-wrong** ({t['correct_or_refused_rate'] * 100:.1f}% correct or refused); "
        f"tokens {t['input_tokens']:,} in / {t['output_tokens']:,} out; cost ${t['cost_usd']}; "
        f"latency p50 {t['latency_ms_p50']} ms, max {t['latency_ms_max']} ms.",
        "",
        "| category | correct | refused | wrong | cases |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {k} | {v['correct']} | {v['refused']} | {v['wrong']} | {v['cases']} |"
        for k, v in report.outcomes().items()
    ]
    failed = [r for r in report.results if not r.passed]
    if failed:
        lines += ["", "## Not correct", ""]
        lines += [
            f"- `{r.id}` ({r.outcome}) {r.question!r}: {'; '.join(r.failures)}" for r in failed
        ]
    return "\n".join(lines) + "\n"

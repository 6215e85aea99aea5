"""`--engine` on `penny costs` and `penny allocate`, and the lake writer's all-or-nothing."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import _load_commands, app
from assistant.spark.engine import spark_reader, spark_writer

from .conftest import Allocated

#: the session's first Spark test builds the lake and allocates it with both engines;
#: on a busy 2-core machine that alone has taken ten minutes
pytestmark = pytest.mark.timeout(1800)

runner = CliRunner()


def _env(allocated: Allocated, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENNY_HOME", str(allocated.settings.home))
    monkeypatch.setenv("PENNY_DB", str(allocated.settings.db_path))


@pytest.mark.slow
def test_costs_engine_flag_gives_the_same_json(
    demo_allocated: Allocated, monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(demo_allocated, monkeypatch)
    _load_commands([])
    args = ["costs", "--window", "2026-10-05..2026-10-12", "--by", "team", "--json"]
    duck = runner.invoke(app, [*args, "--engine", "duckdb"])
    spark = runner.invoke(app, [*args, "--engine", "spark"])
    assert duck.exit_code == 0 and spark.exit_code == 0, spark.output
    d, s = json.loads(duck.output), json.loads(spark.output)
    assert _cents(s["rows"]) == _cents(d["rows"]) and _cents([s["totals"]]) == _cents([d["totals"]])
    assert Decimal(d["totals"]["total"]) > 0


def _cents(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Money to the cent (the engines' 12th decimals may differ), efficiency to 1e-9."""
    out = []
    for row in rows:
        out.append(
            {
                k: (
                    round(v, 9)
                    if isinstance(v, float)
                    else Decimal(str(v)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                    if k not in ("name", "kind") and v is not None
                    else v
                )
                for k, v in row.items()
            }
        )
    return out


def test_unknown_engine_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _load_commands([])
    got = runner.invoke(app, ["costs", "--window", "2026-10", "--engine", "hive"])
    assert got.exit_code == 2
    assert "--engine" in got.output and "'hive'" in got.output and "spark" in got.output


@pytest.mark.slow
def test_allocate_engine_spark_reports_a_reconciled_run(
    generated_allocated: Allocated, monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(generated_allocated, monkeypatch)
    _load_commands([])
    got = runner.invoke(app, ["allocate", "--engine", "spark", "--json"])
    assert got.exit_code == 0, got.output
    report = json.loads(got.output)
    assert report["reconciled"] is True
    assert report["container_hours"] == 60 * 48  # 60 pods × 48 hours


@pytest.mark.slow
def test_failed_spark_write_leaves_the_lake_as_it_was(generated_allocated: Allocated) -> None:
    settings = generated_allocated.settings
    lake = Path(settings.lake_root) / "allocation_idle"
    before = sorted(p.relative_to(lake) for p in lake.rglob("*.parquet"))
    with pytest.raises(RuntimeError, match="stop"), spark_writer(settings) as con:
        con.execute("DELETE FROM allocation_idle WHERE hour >= $1", [datetime(2026, 10, 1)])
        raise RuntimeError("stop")
    assert sorted(p.relative_to(lake) for p in lake.rglob("*.parquet")) == before
    with spark_reader(settings) as con:
        row = con.execute("SELECT count(*) FROM allocation_idle").fetchone()
    assert row == (3 * 48,)  # 3 nodes × 48 hours, as allocated


def test_spark_without_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import load_settings
    from assistant.errors import ConfigError
    from assistant.spark.session import spark_session

    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    with pytest.raises(ConfigError, match="needs Java 17") as err:
        spark_session(load_settings())
    assert "openjdk-17-jre-headless" in (err.value.hint or "")


def test_export_lake_writes_local_folders_only(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    assert main(["export-lake", "--to", "s3a://bucket/penny"]) == 1
    err = capsys.readouterr().err
    assert "Export writes a local folder, not 's3a://bucket/penny'" in err
    assert "copy it to the object store" in err

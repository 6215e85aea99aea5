"""A stale allocation is refused in every interface (issue 10, defect 4).

A private copy of the churn warehouse gets August's restated bill again with
``--no-allocate`` (a bulk load that forgot `penny allocate`): August's hours now have bill
lines their allocation never saw. Every door refuses the month rather than call the old
allocation "the whole bill" — the core function, the CLI, the tools, the offline engine,
HTTP (409) and Slack — and says how to fix it; September, untouched, still answers.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.agent.ask import ask
from assistant.capabilities.costs import CostsRequest, costs
from assistant.core.answer import AskContext
from assistant.errors import StaleAllocation
from tests.consistency.scenario import generate
from tests.consistency.views import Warehouse, _env, slack_app
from tests.interfaces.conftest import ADMIN_TOKEN, auth
from tools.registry import ToolContext, call

pytestmark = pytest.mark.slow
REFUSAL = "would not add up to the bill"


@pytest.fixture(scope="module")
def stale(churn_wh: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    home = tmp_path_factory.mktemp("churn-stale")
    shutil.copyfile(churn_wh.home / "penny.duckdb", home / "penny.duckdb")
    files = generate(tmp_path_factory.mktemp("churn-files"))
    wh = replace(churn_wh, name="churn-stale", home=home, extra={}, _http=None)
    from assistant.cli import main

    with _env(wh):
        assert main(["ingest", "focus", str(files.bill_august_restated), "--no-allocate"]) == 0
    return wh


def test_the_core_refuses_and_names_the_fix(stale: Warehouse) -> None:
    with pytest.raises(StaleAllocation, match="the bill changed") as err:
        costs(CostsRequest(window="2026-08"), stale.ctx())
    assert "penny allocate --window 2026-08" in (err.value.hint or "")
    assert costs(CostsRequest(window="2026-09"), stale.ctx()).totals.total > 0


def test_cli_tools_offline_and_http_refuse(
    stale: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.cli import main

    with _env(stale):
        assert main(["costs", "--window", "2026-08"]) == 1
        assert main(["bill", "2026-08"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert err.count(REFUSAL) == 2 and "penny allocate --window 2026-08" in err
    for tool, args in (
        ("query_costs", {"window": "2026-08"}),
        ("explain_bill", {"month": "2026-08"}),
        ("gpu_utilization", {"window": "2026-08"}),
        ("detect_anomalies", {"window": "2026-08"}),
    ):
        result, _ = call(tool, args, ToolContext.create(stale.settings()))
        assert not result.ok and REFUSAL in (result.error or ""), (tool, result)
    answer = ask("What did we spend in 2026-08?", AskContext(), stale.settings(), engine="offline")
    assert REFUSAL in answer.text and "$" not in answer.text.split(REFUSAL)[0]
    for path, params in (("/v1/costs", {"window": "2026-08"}), ("/v1/bill/2026-08", {})):
        r = stale.http.get(path, params=params, headers=auth(ADMIN_TOKEN))
        assert r.status_code == 409 and REFUSAL in r.text, (path, r.text)


def test_slack_refuses(stale: Warehouse) -> None:
    slack, server, stub = slack_app(stale)
    try:
        slack.mention("what did we spend in 2026-08?", ts="1790099999.000100")
        (update,) = stub.wait_for("chat.update")
        assert REFUSAL in str(update.body), update.body
    finally:
        server.__exit__(None, None, None)
        stub.close()


def test_penny_allocate_makes_it_whole_again(stale: Warehouse, tmp_path: Path) -> None:
    from assistant.cli import main

    with _env(stale):
        assert main(["allocate", "--window", "2026-08"]) == 0
    total = costs(CostsRequest(window="2026-08"), stale.ctx()).totals.total
    assert total.quantize(stale.bill["2026-08"]["amortized"]) == stale.bill["2026-08"]["amortized"]

"""Bad metrics files: refused with file, line and column ("value"/"timestamp"), nothing
written, Penny still answering.

Each case starts from the known cluster of ``tests/ingest/metrics/cluster_file.py`` (one
sample a minute, 2026-10-01 10:00–12:00 UTC, OpenMetrics: seconds, ending in ``# EOF``)
and makes one line hostile. Line numbers are 1-based lines of the written file.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import DataGap, ImportFileError, InputError, PennyError
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from tests.hostile.conftest import snapshot, still_answers
from tests.ingest.metrics.cluster_file import write

Edit = Callable[[list[str]], list[str]]

_REQUEST = 'kube_pod_container_resource_requests{namespace="batch",pod="report-1-xyz"'


def _first(lines: list[str], prefix: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(prefix))


def _value(prefix: str, value: str) -> Edit:
    """The first sample of the series starting ``prefix`` gets ``value``."""

    def edit(lines: list[str]) -> list[str]:
        i = _first(lines, prefix)
        head, _, rest = lines[i].rpartition("} ")
        _, ts = rest.split(" ")
        lines[i] = f"{head}}} {value} {ts}"
        return lines

    return edit


def _request(resource: str, value: str) -> Edit:
    """The report-1 job's first request sample of ``resource`` gets ``value``."""

    def edit(lines: list[str]) -> list[str]:
        i = _request_line(lines, resource) - 1
        head, _, rest = lines[i].rpartition("} ")
        lines[i] = f"{head}}} {value} {rest.split(' ')[1]}"
        return lines

    return edit


def _cpu_request(value: str) -> Edit:
    return _request("cpu", value)


def _time(value: str, line_no: int = 12) -> Edit:
    def edit(lines: list[str]) -> list[str]:
        i = line_no - 1
        lines[i] = lines[i].rsplit(" ", 1)[0] + f" {value}"
        return lines

    return edit


def _times_in_ms(lines: list[str]) -> list[str]:
    return [
        line
        if line.startswith("#")
        else line.rsplit(" ", 1)[0] + " " + line.rsplit(" ", 1)[1] + "000"
        for line in lines
    ]


def _insert(line: str, at: int = 5) -> Edit:
    def edit(lines: list[str]) -> list[str]:
        lines.insert(at - 1, line)
        return lines

    return edit


def _bad_byte(lines: list[str]) -> list[str]:
    lines[3] = lines[3].replace("node-a", "node-\udcffa", 1)
    return lines


@dataclass(frozen=True)
class Case:
    edit: Edit
    says: str
    row: int | None = None
    column: str | None = None
    gz: bool = False
    error: type[PennyError] = ImportFileError


def _request_line(lines: list[str], resource: str = "cpu") -> int:
    return 1 + next(
        i
        for i, line in enumerate(lines)
        if line.startswith(_REQUEST) and f'resource="{resource}"' in line
    )


CASES: dict[str, Case] = {
    # -- poisoned numbers (the failed class) ---------------------------------------------
    "cpu_request_1e308": Case(_cpu_request("1e308"), "outside the plausible range", column="value"),
    "cpu_request_plus_inf": Case(_cpu_request("+Inf"), "not a finite number", column="value"),
    "cpu_request_minus_inf": Case(_cpu_request("-Inf"), "not a finite number", column="value"),
    "cpu_request_negative": Case(_cpu_request("-5"), "outside the plausible range", column="value"),
    "cpu_request_1e6_cores": Case(_cpu_request("1000000"), "0..100000", column="value"),
    "memory_request_1e20_bytes": Case(
        _request("memory", "1e20"), "outside the plausible range", column="value"
    ),
    "working_set_negative": Case(
        _value("container_memory_working_set_bytes", "-1"), "outside", column="value"
    ),
    "cpu_counter_1e300": Case(
        _value("container_cpu_usage_seconds_total", "1e300"), "outside", column="value"
    ),
    "node_capacity_inf": Case(
        _value("kube_node_status_capacity", "Inf"), "not a finite number", column="value"
    ),
    # -- times that are not times (the failed class) -------------------------------------
    "timestamps_in_milliseconds": Case(
        _times_in_ms, "looks like milliseconds", row=2, column="timestamp"
    ),
    "timestamp_in_2200": Case(_time("7258118400"), "outside 2000..2100", 12, "timestamp"),
    "timestamp_in_9999": Case(_time("253370764800"), "outside 2000..2100", 12, "timestamp"),
    "timestamp_negative": Case(_time("-1"), "outside 2000..2100", 12, "timestamp"),
    "timestamp_zero": Case(_time("0"), "outside", 12, "timestamp"),
    "timestamp_inf": Case(_time("+Inf"), "outside", 12, "timestamp"),
    # -- bytes that are not UTF-8 (the failed class) -------------------------------------
    "not_utf8": Case(_bad_byte, "is not UTF-8", row=4, column="character 27"),
    "not_utf8_gzip": Case(_bad_byte, "is not UTF-8", row=4, column="character 27", gz=True),
    # -- lines that are not samples (held) -----------------------------------------------
    "labels_unterminated": Case(
        _insert('kube_pod_info{namespace="x",pod=} 1 1790848800'), "cannot parse labels", 5
    ),
    "sample_without_timestamp": Case(_insert('kube_node_info{node="n"} 1'), "no timestamp", 5),
    "sample_without_value": Case(_insert('kube_node_info{node="n"}'), "has no value", 5),
    "value_not_a_number": Case(
        _insert('kube_node_info{node="n"} one 1790848800'), "unparsable number", 5
    ),
    "braces_unbalanced": Case(
        _insert('kube_node_info{node="n" 1 1790848800'), "not a metric sample", 5
    ),
    "garbage_line": Case(_insert("%%% not prometheus %%%"), "not a metric sample", 5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_metrics_file_is_refused_and_changes_nothing(
    name: str, settings: Settings, tmp_path: Path
) -> None:
    case = CASES[name]
    good = write(tmp_path / "good.om").read_text().splitlines()
    lines = case.edit(list(good))
    raw = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
    path = tmp_path / ("bad.om.gz" if case.gz else "bad.om")
    path.write_bytes(gzip.compress(raw) if case.gz else raw)
    row = case.row
    if name.startswith(("cpu_request", "memory_request")):
        row = _request_line(lines, "memory" if name.startswith("memory") else "cpu")
    before = snapshot(settings)
    with pytest.raises(case.error) as info:
        ingest_openmetrics([path], "hostile", settings)
    err = info.value
    assert case.says in str(err), str(err)
    assert isinstance(err, ImportFileError) and err.file == str(path)
    if row is not None:
        assert err.row == row, str(err)
    if case.column is not None:
        assert err.column == case.column, str(err)
    assert snapshot(settings) == before
    still_answers(settings)


@pytest.mark.parametrize(
    ("content", "error", "says"),
    [
        (b"", DataGap, "No samples"),
        (b"# EOF\n", DataGap, "No samples"),
        (b'kube_node_info{node="n"} 1 1790848800\n# EOF\n', DataGap, "Required metrics absent"),
        (
            gzip.compress(b'kube_node_info{node="n"} 1 1790848800\n')[:20],
            ImportFileError,
            "cannot read",
        ),
    ],
    ids=["empty", "only_eof", "required_metrics_missing", "truncated_gzip"],
)
def test_files_without_usable_samples_change_nothing(
    content: bytes, error: type[PennyError], says: str, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / ("m.om.gz" if content[:2] == b"\x1f\x8b" else "m.om")
    path.write_bytes(content)
    before = snapshot(settings)
    with pytest.raises(error, match=says):
        ingest_openmetrics([path], "hostile", settings)
    assert snapshot(settings) == before


def test_an_empty_cluster_name_or_missing_path_changes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    before = snapshot(settings)
    with pytest.raises(InputError, match="Cluster name is empty"):
        ingest_openmetrics([write(tmp_path / "g.om")], "  ", settings)
    with pytest.raises(InputError, match="No such file"):
        ingest_openmetrics([tmp_path / "absent.om"], "c1", settings)
    assert snapshot(settings) == before

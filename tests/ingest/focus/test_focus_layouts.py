"""File formats and export layouts: CSV, gzip CSV, Parquet, folders, AWS and Azure exports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from assistant.config import load_settings
from assistant.errors import ImportFileError
from assistant.ingest.focus.run import ingest_focus
from tests.ingest.focus.focus_rows import line, stored, write_csv, write_parquet


def cost(v: str) -> dict[str, str]:
    return {"BilledCost": v, "EffectiveCost": v}


def test_gzip_csv_and_parquet_read_the_same_values(tmp_path: Path) -> None:
    rows = [
        line(**cost("0.123456789012")),
        line(
            **cost("123456789012.5"),
            ListCost="123456789012.5",
            ChargePeriodStart="2026-10-05T01:00:00Z",
            ChargePeriodEnd="2026-10-05T02:00:00Z",
        ),
    ]
    gz = write_csv(tmp_path / "a" / "bill.csv.gz", rows)
    # another instance's lines: the same values, not a copy of the CSV's month
    pq = write_parquet(
        tmp_path / "b" / "bill.parquet", [dict(r, ResourceId="i-0parquet") for r in rows]
    )
    report = ingest_focus([gz, pq], load_settings())
    assert [(f.format, f.rows) for f in report.files] == [("csv", 2), ("parquet", 2)]
    got = stored(
        "SELECT source_file, source_row, billed_cost, charge_period_start "
        "FROM billing_lines ORDER BY source_file, source_row"
    )
    values = [
        (Decimal("0.123456789012"), "2026-10-05 00:00:00"),
        (Decimal("123456789012.500000000000"), "2026-10-05 01:00:00"),
    ]
    assert [(r[2], str(r[3])) for r in got] == values * 2
    assert [r[1] for r in got] == [1, 2, 1, 2]
    # Exact: 2 × (0.123456789012 + 123456789012.5) with no float drift (a large line,
    # still under the 10^12 a single bill line may hold).
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [
        (Decimal("246913578025.246913578024"),)
    ]


def test_folders_are_read_recursively_and_other_files_skipped(tmp_path: Path) -> None:
    write_csv(tmp_path / "2026" / "10" / "aws.csv", [line(**cost("1"))])
    november = {
        "BillingPeriodStart": "2026-11-01 00:00:00",
        "BillingPeriodEnd": "2026-12-01 00:00:00",
        "ChargePeriodStart": "2026-11-05 00:00:00",
        "ChargePeriodEnd": "2026-11-05 01:00:00",
    }
    write_csv(tmp_path / "2026" / "11" / "deep" / "aws.csv.gz", [line(**cost("2"), **november)])
    (tmp_path / "2026" / "notes.txt").write_text("not a bill")
    report = ingest_focus([tmp_path / "2026"], load_settings())
    assert report.rows == 2
    assert [Path(f.path).name for f in report.files] == ["aws.csv", "aws.csv.gz"]
    assert report.skipped == [
        (str(tmp_path / "2026" / "notes.txt"), "not a .csv, .csv.gz or .parquet file")
    ]


def aws_export(root: Path) -> Path:
    """An AWS Data Exports FOCUS export copied from S3, with a stale file from an old run."""
    export = root / "my-prefix" / "focus-export"
    part = "BILLING_PERIOD=2026-10"
    write_csv(
        export / "data" / part / "focus-export-00001.csv.gz",
        [line(**cost("1.25"), x_ServiceCode="AmazonEC2")],
    )
    write_csv(
        export / "data" / part / "focus-export-00002.csv.gz",
        [line(**cost("0.75"), x_ServiceCode="AmazonEKS")],
    )
    write_csv(
        export / "data" / part / "old-run" / "focus-export-00001.csv.gz", [line(**cost("999"))]
    )
    manifest = export / "metadata" / part / "focus-export-Manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        json.dumps(
            {
                "executionId": "e-1",
                "exportArn": "arn:aws:bcm-data-exports:us-east-1:111122223333:export/focus-export",
                "columns": [{"name": "BilledCost", "type": "decimal"}],
                "dataFiles": [
                    f"s3://my-bucket/my-prefix/focus-export/data/{part}/focus-export-00001.csv.gz",
                    f"s3://my-bucket/my-prefix/focus-export/data/{part}/focus-export-00002.csv.gz",
                ],
            }
        )
    )
    return export


def test_aws_data_exports_layout_reads_only_the_manifest_files(tmp_path: Path) -> None:
    export = aws_export(tmp_path)
    report = ingest_focus([tmp_path], load_settings())
    assert [(Path(f.path).name, f.layout) for f in report.files] == [
        ("focus-export-00001.csv.gz", "aws-data-exports"),
        ("focus-export-00002.csv.gz", "aws-data-exports"),
    ]
    stale = export / "data" / "BILLING_PERIOD=2026-10" / "old-run" / "focus-export-00001.csv.gz"
    assert (str(stale), "under an export whose manifest does not list it") in report.skipped
    # 1.25 + 0.75 = 2.00; the stale 999 is not read.
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("2.00"),)]
    assert stored(
        "SELECT extra_columns->>'x_ServiceCode' FROM billing_lines ORDER BY billed_cost"
    ) == [("AmazonEKS",), ("AmazonEC2",)]
    # x_ columns are FOCUS's own convention for provider columns: kept, not a finding.
    assert report.findings == []
    assert [f.extra_columns for f in report.files] == [["x_ServiceCode"], ["x_ServiceCode"]]


def test_aws_manifest_given_directly_and_missing_data_file(tmp_path: Path) -> None:
    export = aws_export(tmp_path)
    manifest = export / "metadata" / "BILLING_PERIOD=2026-10" / "focus-export-Manifest.json"
    assert ingest_focus([manifest], load_settings()).rows == 2
    (export / "data" / "BILLING_PERIOD=2026-10" / "focus-export-00002.csv.gz").unlink()
    with pytest.raises(ImportFileError) as info:
        ingest_focus([manifest], load_settings())
    assert info.value.file == str(manifest)
    assert "focus-export-00002.csv.gz" in str(info.value)


def azure_run(root: Path, run: str, submitted: str, billed: str) -> None:
    folder = root / "exports" / "focus-cost" / "20261001-20261031" / run
    rows = [line(**cost(billed), ProviderName="Microsoft", x_ResourceGroupName="rg-aks")]
    write_csv(folder / "part_0_0001.csv.gz", rows)
    write_csv(folder / "part_1_0001.csv.gz", rows)
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "manifestVersion": "2024-04-01",
                "byteCount": 1000,
                "blobCount": 2,
                "dataRowCount": 2,
                "exportConfig": {
                    "exportName": "focus-cost",
                    "type": "FocusCost",
                    "dataVersion": "1.0r2",
                    "resourceId": "/subscriptions/x/exports/fc",
                },
                "deliveryConfig": {
                    "partitionData": True,
                    "fileFormat": "Csv",
                    "compressionMode": "gzip",
                    "rootFolderPath": "exports",
                },
                "runInfo": {
                    "executionType": "Scheduled",
                    "submittedTime": submitted,
                    "runId": run,
                    "startDate": "2026-10-01T00:00:00",
                    "endDate": "2026-10-31T00:00:00",
                },
                "blobs": [
                    {
                        "blobName": (
                            f"exports/focus-cost/20261001-20261031/{run}/part_0_0001.csv.gz"
                        ),
                        "byteCount": 500,
                        "dataRowCount": 1,
                    },
                    {
                        "blobName": (
                            f"exports/focus-cost/20261001-20261031/{run}/part_1_0001.csv.gz"
                        ),
                        "byteCount": 500,
                        "dataRowCount": 1,
                    },
                ],
            }
        )
    )


def test_azure_export_layout_keeps_the_newest_run(tmp_path: Path) -> None:
    azure_run(tmp_path, "run-a", "2026-11-02T06:00:00Z", "10.00")
    azure_run(tmp_path, "run-b", "2026-11-03T06:00:00Z", "10.50")
    report = ingest_focus([tmp_path], load_settings())
    assert {(Path(f.path).parent.name, f.layout) for f in report.files} == {
        ("run-b", "azure-export")
    }
    assert report.rows == 2
    # Only run-b: 2 × 10.50 = 21.00.
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("21.00"),)]
    skipped = [p for p, _ in report.skipped]
    assert any(p.endswith("run-a/manifest.json") for p in skipped)


def test_not_a_known_manifest(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text(json.dumps({"files": ["a.csv"]}))
    with pytest.raises(ImportFileError) as info:
        ingest_focus([bad], load_settings())
    assert "not an AWS Data Exports manifest" in str(info.value)


def test_windows_export_with_bom_crlf_and_quoted_newlines(tmp_path: Path) -> None:
    from tests.ingest.focus.focus_rows import csv_text

    text = csv_text([line(), line(ChargeDescription='two\nlines, "quoted"')])
    f = tmp_path / "excel.csv"
    f.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    report = ingest_focus([f], load_settings())
    assert (report.rows, report.findings) == (2, [])
    # The BOM does not hide the first column; the quoted newline stays inside its value.
    assert stored(
        "SELECT source_row, availability_zone, charge_description FROM billing_lines "
        "ORDER BY source_row"
    ) == [
        (1, "us-east-1a", "m5.xlarge on-demand hour"),
        (2, "us-east-1a", 'two\r\nlines, "quoted"'),
    ]


def test_parquet_map_tags_become_json_objects(tmp_path: Path) -> None:
    """AWS writes Tags (and x_ columns like x_CostCategories) as Parquet MAPs."""
    plain = write_parquet(tmp_path / "plain.parquet", [line(Tags=None), line(Tags=None)])
    f = tmp_path / "aws.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN BilledCost > 0 THEN "
        f"MAP {{'team': 'payments', 'env': 'prod'}} END AS Tags), "
        f"MAP {{'cc': 'platform'}} AS x_CostCategories FROM '{plain}') "
        f"TO '{f}' (FORMAT parquet)"
    )
    con.close()
    report = ingest_focus([f], load_settings())
    assert report.finding("invalid_json") is None
    got = stored("SELECT tags, extra_columns FROM billing_lines ORDER BY source_row")
    assert [(json.loads(t), json.loads(e)) for t, e in got] == [
        ({"team": "payments", "env": "prod"}, {"x_CostCategories": {"cc": "platform"}})
    ] * 2

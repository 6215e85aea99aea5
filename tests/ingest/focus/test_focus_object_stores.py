"""`penny ingest focus` from object stores, against real protocol servers on loopback:
S3 (moto server mode) with the AWS Data Exports layout, Azure Blob (Azurite) with the
Cost Management FocusCost layout, and GCS (gcp-storage-emulator) with plain files.

Each test ingests a month, then a restatement of that month, and checks the stored lines
total exactly what the newest export says (the older one replaced, never added).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.errors import ImportFileError, SourceUnavailable
from assistant.ingest.focus.run import ingest_focus
from tests.ingest.focus.focus_rows import line, stored, write_csv
from tests.ingest.focus.test_focus_layouts import aws_export, azure_run, cost
from tests.object_stores import Bucket


def _restate_aws(export: Path, execution: str, amounts: list[str]) -> None:
    """A new AWS execution of the October export: new data files, the manifest rewritten."""
    part = "BILLING_PERIOD=2026-10"
    names = []
    for i, amount in enumerate(amounts):
        name = f"focus-export-{execution}-{i:05d}.csv.gz"
        write_csv(export / "data" / part / execution / name, [line(**cost(amount))])
        names.append(f"s3://elsewhere/my-prefix/focus-export/data/{part}/{execution}/{name}")
    manifest = export / "metadata" / part / "focus-export-Manifest.json"
    manifest.write_text(json.dumps({"executionId": execution, "dataFiles": names}))


def test_s3_aws_data_exports_month_then_its_restatement(
    s3_bucket: Bucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = aws_export(tmp_path / "v1")
    url = s3_bucket.upload(tmp_path / "v1")
    assert main(["ingest", "focus", url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    part = "BILLING_PERIOD=2026-10"
    base = f"{s3_bucket.url}/my-prefix/focus-export"
    assert [(f["path"], f["layout"]) for f in report["files"]] == [
        (f"{base}/data/{part}/focus-export-00001.csv.gz", "aws-data-exports"),
        (f"{base}/data/{part}/focus-export-00002.csv.gz", "aws-data-exports"),
    ]
    assert report["skipped"] == [
        {
            "path": f"{base}/data/{part}/old-run/focus-export-00001.csv.gz",
            "reason": "under an export whose manifest does not list it",
        }
    ]
    # 1.25 + 0.75 = 2.00; the old run's 999 is not read; lines remember their S3 URL
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("2.00"),)]
    assert stored("SELECT DISTINCT source_file FROM billing_lines ORDER BY 1") == [
        (f"{base}/data/{part}/focus-export-00001.csv.gz",),
        (f"{base}/data/{part}/focus-export-00002.csv.gz",),
    ]

    # AWS re-runs the export for October (restated): three new files, a new manifest
    _restate_aws(export, "exec-2", ["1.10", "0.70", "0.05"])
    s3_bucket.upload(tmp_path / "v1")
    again = ingest_focus([url], load_settings())
    assert again.replaced_rows == 2
    assert [p.replaced_billed_cost for p in again.periods] == [Decimal("2.00")]
    # October is now 1.10 + 0.70 + 0.05 = 1.85, not 2.00 + 1.85
    assert stored("SELECT sum(billed_cost), count(*) FROM billing_lines") == [(Decimal("1.85"), 3)]


def test_azure_focuscost_export_month_then_a_newer_run(
    azure_container: Bucket, tmp_path: Path
) -> None:
    azure_run(tmp_path, "run-a", "2026-11-02T06:00:00Z", "10.00")
    url = azure_container.upload(tmp_path)
    first = ingest_focus([url], load_settings())
    assert {f.layout for f in first.files} == {"azure-export"}
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("20.00"),)]
    # Cost Management exports October again (restated) as a newer run beside the old one
    azure_run(tmp_path, "run-b", "2026-11-03T06:00:00Z", "10.50")
    azure_container.upload(tmp_path)
    second = ingest_focus([url], load_settings())
    assert {Path(f.path).parent.name for f in second.files} == {"run-b"}
    assert any(p.endswith("run-a/manifest.json") for p, _ in second.skipped)
    assert second.replaced_rows == 2
    # run-b only, replacing run-a: 2 × 10.50 = 21.00
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("21.00"),)]


def test_abfs_url_with_an_account_reads_the_same_container(
    azure_container: Bucket, tmp_path: Path
) -> None:
    azure_run(tmp_path, "run-a", "2026-11-02T06:00:00Z", "3.00")
    azure_container.upload(tmp_path)
    container = azure_container.url.removeprefix("az://")
    url = f"abfs://{container}@devstoreaccount1.dfs.core.windows.net/exports/"
    report = ingest_focus([url], load_settings())
    assert report.rows == 2
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("6.00"),)]


def test_gcs_plain_files(gcs_bucket: Bucket, tmp_path: Path) -> None:
    write_csv(tmp_path / "2026-10" / "gcp.csv", [line(**cost("4.20"), ProviderName="Google")])
    write_csv(tmp_path / "2026-10" / "more" / "gcp.csv.gz", [line(**cost("0.80"))])
    url = gcs_bucket.upload(tmp_path)
    report = ingest_focus([url], load_settings())
    assert [Path(f.path).name for f in report.files] == ["gcp.csv", "gcp.csv.gz"]
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("5.00"),)]


def test_missing_prefix_and_missing_bucket_are_clear_errors(s3_bucket: Bucket) -> None:
    with pytest.raises(ImportFileError) as info:
        ingest_focus([f"{s3_bucket.url}/no-such-prefix/"], load_settings())
    assert info.value.file == f"{s3_bucket.url}/no-such-prefix/"
    assert "no such file or directory" in str(info.value)
    with pytest.raises((ImportFileError, SourceUnavailable)):
        ingest_focus(["s3://no-such-bucket-penny/x/"], load_settings())
    assert not load_settings().db_path.exists()  # nothing written


def test_urls_and_local_paths_are_not_mixed(s3_bucket: Bucket, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="mix of object-store URLs and local paths"):
        ingest_focus([s3_bucket.url, tmp_path], load_settings())

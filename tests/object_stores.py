"""Real object-store servers on loopback for the tests: S3 (moto in server mode), Azure Blob
(Azurite, from npm) and Google Cloud Storage (gcp-storage-emulator).

Each speaks its cloud's HTTP protocol, so Penny's fsspec filesystems (s3fs, adlfs, gcsfs)
run unchanged against them, pointed there by the standard endpoint variables. Azurite is a
Node program that `.ci/run` installs into `.ci/node`; without it the Azure tests skip
locally and fail in CI, like `require_binary`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
AZURITE = REPO / ".ci" / "node" / "node_modules" / ".bin" / "azurite-blob"
_AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Bucket:
    """One fresh bucket/container and the URL prefix Penny is given for it."""

    url: str  # e.g. s3://bucket-1234

    def upload(self, local: Path, prefix: str = "") -> str:
        """Copy a local folder's files under ``prefix``; return the URL of that prefix."""
        from assistant.ingest.stores import filesystem

        fs, root = filesystem(self.url)
        target = f"{root}/{prefix}".rstrip("/")
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            fs.pipe_file(f"{target}/{path.relative_to(local).as_posix()}", path.read_bytes())
        return f"{self.url}/{prefix}".rstrip("/") + "/"

    def remove(self, key: str) -> None:
        from assistant.ingest.stores import filesystem

        fs, root = filesystem(self.url)
        fs.rm_file(f"{root}/{key}")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _wait_port(port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    import boto3

    name = f"bills-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return Bucket(f"s3://{name}")


@pytest.fixture(scope="session")
def azurite_connection() -> Iterator[str]:
    if not AZURITE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AZURITE} is missing; .ci/run must `npm install --prefix .ci/node`")
        pytest.skip("Azurite is not installed (npm install --prefix .ci/node azurite)")
    port = free_port()
    proc = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--silent",
            "--skipApiVersionCheck",
            "--loose",
            "--inMemoryPersistence",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc)
        yield (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={_AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def azure_container(azurite_connection: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_connection)
    from azure.storage.blob import BlobServiceClient

    name = f"exports-{uuid.uuid4().hex[:10]}"
    BlobServiceClient.from_connection_string(azurite_connection).create_container(name)
    return Bucket(f"az://{name}")


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    _wait_port(port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def gcs_bucket(gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    from assistant.ingest.stores import filesystem

    name = f"bills-{uuid.uuid4().hex[:10]}"
    fs, _ = filesystem(f"gs://{name}")
    fs.mkdir(name)
    return Bucket(f"gs://{name}")

"""Where exports live: the local disk or an object store, behind one fsspec filesystem.

``s3://bucket/prefix/`` (s3fs), ``az://container/prefix/`` and ``abfs[s]://container@account…``
(adlfs) and ``gs://bucket/prefix/`` (gcsfs). Each library uses its cloud's standard
credential chain (AWS profiles/env/IRSA, Azure DefaultAzureCredential or a connection
string, Google ADC/workload identity), and the standard endpoint variables point them at an
emulator or a private endpoint: ``AWS_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL_S3``),
``AZURE_STORAGE_CONNECTION_STRING``, ``STORAGE_EMULATOR_HOST``. Nothing here speaks HTTP
itself.
"""

from __future__ import annotations

import os
from typing import Any

from fsspec import AbstractFileSystem

from assistant.errors import ConfigError, SourceAuthError, SourceUnavailable

__all__ = ["SCHEMES", "filesystem", "is_url", "store_error"]

#: URL scheme → fsspec protocol
SCHEMES = {"s3": "s3", "az": "az", "abfs": "abfs", "abfss": "abfs", "gs": "gcs", "gcs": "gcs"}
_PACKAGES = {"s3": "s3fs", "az": "adlfs", "abfs": "adlfs", "gcs": "gcsfs"}


def is_url(text: str) -> bool:
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def filesystem(url: str | None) -> tuple[AbstractFileSystem, str]:
    """The filesystem for ``url`` (None or a local path: the local disk) and the path in it."""
    if url is None or not is_url(url):
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(), url or ""
    scheme, _, rest = url.partition("://")
    protocol = SCHEMES[scheme.lower()]
    options: dict[str, Any] = {"skip_instance_cache": True}
    if protocol == "s3":
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            options["endpoint_url"] = endpoint
    elif protocol in ("az", "abfs"):
        conn = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
        if conn:
            options["connection_string"] = conn
        else:
            account = rest.split("/", 1)[0].partition("@")[2].split(".", 1)[0]
            options["account_name"] = account or os.environ.get("AZURE_STORAGE_ACCOUNT_NAME")
            options["anon"] = False  # DefaultAzureCredential: workload identity, CLI, env
    elif protocol == "gcs" and os.environ.get("STORAGE_EMULATOR_HOST"):
        options["token"] = "anon"  # an emulator takes no credentials
    try:
        import fsspec

        if protocol == "gcs" and os.environ.get("STORAGE_EMULATOR_HOST"):
            # gcsfs's default class first asks the bucket's type over gRPC, which emulators
            # do not speak (a 60 s timeout per call); the JSON-API class is what they serve
            from gcsfs.core import GCSFileSystem

            fs = GCSFileSystem(**options)
        else:
            fs = fsspec.filesystem(protocol, **options)
    except ImportError as exc:
        raise ConfigError(
            f"Reading {scheme}:// URLs needs the {_PACKAGES[protocol]} package: {exc}",
            hint=f"pip install {_PACKAGES[protocol]}",
        ) from exc
    path = fs._strip_protocol(url)
    if protocol in ("az", "abfs") and "@" in path.split("/", 1)[0]:
        path = path.split("@", 1)[0] + "/" + path.split("/", 1)[1] if "/" in path else path
    return fs, str(path).rstrip("/")


def store_error(url: str, exc: BaseException) -> Exception:
    """An object-store failure as a Penny error naming the URL and the next step."""
    text = f"{exc.__class__.__name__}: {exc}"
    if isinstance(exc, PermissionError) or any(
        s in text for s in ("AccessDenied", "403", "AuthorizationFailure", "InvalidAccessKeyId")
    ):
        return SourceAuthError(
            f"The object store refused access to {url}: {text}",
            hint="Check the credentials the cloud's standard chain finds (env, profile, "
            "workload identity) and that they may list and read the export.",
            url=url,
        )
    return SourceUnavailable(
        f"Cannot read {url}: {text}",
        hint="Check the URL, the network path, and AWS_ENDPOINT_URL / "
        "AZURE_STORAGE_CONNECTION_STRING / STORAGE_EMULATOR_HOST if you use an emulator.",
        url=url,
    )

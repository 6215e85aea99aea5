"""Run a real, local Prometheus over backfilled OpenMetrics (tests and ``penny demo``).

``backfill`` turns an OpenMetrics file into TSDB blocks with ``promtool tsdb
create-blocks-from openmetrics``; :class:`PrometheusServer` serves a TSDB directory on a
free loopback port with an empty scrape config (it only answers queries), waits until
``/-/ready``, and stops the process it started when closed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

from assistant.errors import ConfigError, SourceUnavailable

__all__ = ["PrometheusServer", "backfill", "free_port", "prometheus_available"]


def prometheus_available() -> bool:
    return bool(shutil.which("prometheus") and shutil.which("promtool"))


def _binary(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise ConfigError(
            f"{name} is not installed.",
            hint="Install Debian's `prometheus` package (it includes promtool).",
        )
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def backfill(openmetrics_file: Path, tsdb_dir: Path, *, max_block_hours: int | None = None) -> None:
    """``promtool tsdb create-blocks-from openmetrics FILE DIR``; errors name the file."""
    tsdb_dir.mkdir(parents=True, exist_ok=True)
    cmd = [_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics"]
    if max_block_hours:
        cmd.append(f"--max-block-duration={max_block_hours}h")
    cmd += [str(openmetrics_file), str(tsdb_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SourceUnavailable(
            f"promtool could not backfill {openmetrics_file}: "
            f"{(proc.stderr or proc.stdout).strip()[-500:]}",
            hint="The file must be OpenMetrics with timestamps in seconds, ending in '# EOF'.",
            file=str(openmetrics_file),
        )


class PrometheusServer:
    """A Prometheus process serving ``tsdb_dir`` on 127.0.0.1; use as a context manager."""

    def __init__(
        self, tsdb_dir: Path, *, port: int | None = None, ready_timeout_s: float = 60.0
    ) -> None:
        self.tsdb_dir = tsdb_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready_timeout_s = ready_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = tsdb_dir.parent / f"prometheus-{self.port}.log"

    def start(self) -> PrometheusServer:
        config = self.tsdb_dir.parent / f"prometheus-{self.port}.yml"
        config.write_text("global: {}\nscrape_configs: []\n", encoding="utf-8")
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                _binary("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.tsdb_dir}",
                "--storage.tsdb.retention.time=10y",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        tail = self.log_path.read_text(errors="replace")[-800:] if self.log_path.exists() else ""
        self.stop()
        raise SourceUnavailable(
            f"Prometheus did not become ready at {self.url}: {tail}", url=self.url
        )

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

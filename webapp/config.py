"""Settings read from the environment, typed, with safe defaults (SPEC §4)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """A setting in the environment is present but wrong."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None


# Settings that may be given as WEBAPP_<NAME>, with their type and default.
_TYPED: dict[str, tuple[type, Any]] = {
    "SEEDS_DIR": (str, str(PROJECT_ROOT / "seeds")),
    "AUTO_SETUP": (bool, True),
    "SQLITE_BUSY_TIMEOUT_MS": (int, 10_000),
    "SQL_ECHO": (bool, False),
    "MAX_CONTENT_LENGTH": (int, 1024 * 1024),
    # Articles uploaded in the browser have their own, larger limit.
    "MAX_UPLOAD_BYTES": (int, 10 * 1024 * 1024),
    # Session cookies only over HTTPS: must be on whenever the app is served over HTTPS.
    "SECURE_COOKIES": (bool, False),
    # How many proxies in front set X-Forwarded-For/-Proto; the client address feeds the login rate limit.
    "TRUSTED_PROXIES": (int, 0),
    # Per process: the serialised, compressed networks kept for reuse (most recently used first).
    "JSON_CACHE_BYTES": (int, 256 * 1024 * 1024),
}


def _secret_key(instance_path: Path) -> str:
    """The secret key: generated once, then kept in the instance folder."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create exclusively so two processes starting at once agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings(instance_path: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read the settings from the environment; raise ConfigError on a malformed one."""
    env = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for name, (kind, default) in _TYPED.items():
        raw = env.get(f"WEBAPP_{name}")
        if raw is None:
            settings[name] = default
        elif kind is bool:
            settings[name] = _bool(f"WEBAPP_{name}", raw)
        elif kind is int:
            settings[name] = _int(f"WEBAPP_{name}", raw)
        else:
            settings[name] = raw

    url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'alliance.db'}"
    # Heroku-style URLs and bare postgresql:// both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    settings["DATABASE_URL"] = url
    settings["SECRET_KEY"] = env.get("SECRET_KEY") or _secret_key(instance_path)
    return settings

"""The shared server of the concurrency tests: gunicorn with 4 sync workers on the test database,
and an HTTP client that counts every status it sees (5xx are failures)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from webapp.config import PROJECT_ROOT

GUNICORN_WORKERS = 4
STARTUP_TIMEOUT = 60      # seconds for gunicorn to answer /healthz (four workers importing SciPy on two cores)


# --- The server ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: Path

    def log(self, lines: int = 200) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _request(host: str, port: int, method: str, path: str, timeout: float = 2.0) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path)
        return connection.getresponse().status
    finally:
        connection.close()


def _has_option(flag: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(flag in (setting.cli or []) for setting in KNOWN_SETTINGS)


@pytest.fixture
def gunicorn_server(base_database, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """gunicorn with 4 sync workers on the test database (seeds migrated and loaded); always stopped."""
    if importlib.util.find_spec("gunicorn") is None:
        message = f"gunicorn is not installed in {sys.prefix} (it is a dependency: pip install -e '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "concurrency-test-secret-key",
        "WEBAPP_AUTO_SETUP": "0",
        "WEBAPP_SQL_ECHO": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(GUNICORN_WORKERS),
        "--bind", f"127.0.0.1:{port}",
        "--chdir", str(PROJECT_ROOT),
        "--timeout", "120",
        "--graceful-timeout", "5",
        "--log-level", "info",
        "webapp:create_app()",
    ]
    if _has_option("--no-control-socket"):
        # gunicorn ≥ 24 opens a control socket at one fixed path in $HOME; two servers would fight over it.
        command.insert(-1, "--no-control-socket")
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, "127.0.0.1", port, log_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with status {process.returncode} before answering /healthz:\n"
                            f"{server.log()}")
            try:
                if _request(server.host, port, "GET", "/healthz") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz with 200 within {STARTUP_TIMEOUT} s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# --- The client ------------------------------------------------------------------------------

class Client:
    """One connection per writer (gunicorn's sync workers close it after each reply; http.client reopens)."""

    def __init__(self, server: Server, token: str, stats: Stats) -> None:
        self.connection = http.client.HTTPConnection(server.host, server.port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.stats = stats

    def call(self, method: str, path: str, payload: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, Any]:
        all_headers = {**self.headers, **(headers or {})}
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.stats.add_status(f"{method} transport error")
            raise
        self.stats.add_status(f"{method} {response.status}")
        if response.status >= 500:
            self.stats.add_server_error(f"{method} {path} → {response.status}: {raw[:300]!r}")
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return response.status, response.headers, data


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    acknowledged: dict[str, list[str]] = field(default_factory=dict)   # note id → tokens, in ack order
    retries: int = 0
    most_attempts: int = 0

    def add_status(self, key: str) -> None:
        with self.lock:
            self.statuses[key] += 1

    def add_server_error(self, message: str) -> None:
        with self.lock:
            self.server_errors.append(message)

    def problem(self, message: str) -> None:
        with self.lock:
            self.problems.append(message)



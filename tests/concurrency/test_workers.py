"""Four workers and a second process on one database: no worker draws a stale network (issue 13, item 5).

gunicorn serves the app with 4 sync workers on a database of its own, loaded without positions (as
one upgraded from 0010): the workers' first requests, all at once, must store one layout between
them and draw the same picture. Then another process runs ``flask load`` of a changed dataset (an
actor renamed, one added), and an editor renames an actor over the API: every response after each
change, from every worker, must show it. The access log names the worker (pid) of every response,
so the test keeps asking until each of the four has answered.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from webapp import migrate
from webapp.config import PROJECT_ROOT
from webapp.datasets.loader import load_directory
from webapp.services import accounts

from ..conftest import SEED_DIR
from .conftest import GUNICORN_WORKERS, STARTUP_TIMEOUT, Server, _free_port, _has_option, _request

pytestmark = pytest.mark.concurrency

NETWORK = "/explorer/network.json?include_isolated=1"
MAX_ROUNDS = 40           # rounds of 8 parallel requests to reach every worker
ACCESS = re.compile(r"^worker <?(\d+)>? (\S+) (\d{3})$")


@contextmanager
def gunicorn(url: str, tmp_path: Path) -> Iterator[Server]:
    """gunicorn with 4 sync workers on ``url``, logging which worker answered each request."""
    if importlib.util.find_spec("gunicorn") is None:
        message = f"gunicorn is not installed in {sys.prefix} (it is a dependency: pip install -e '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "workers-test-secret-key", "WEBAPP_AUTO_SETUP": "0",
           "WEBAPP_SQL_ECHO": "0", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "gunicorn", "--workers", str(GUNICORN_WORKERS), "--bind", f"127.0.0.1:{port}",
               "--chdir", str(PROJECT_ROOT), "--timeout", "120", "--graceful-timeout", "5",
               "--access-logfile", "-", "--access-logformat", "worker %(p)s %(U)s %(s)s", "webapp:create_app()"]
    if _has_option("--no-control-socket"):
        command.insert(-1, "--no-control-socket")
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, "127.0.0.1", port, log_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with status {process.returncode}:\n{server.log()}")
            try:
                if _request(server.host, port, "GET", "/healthz") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT} s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def fetch(server: Server, path: str = NETWORK) -> dict[str, Any]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=120)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200, body[:300]
    return json.loads(body)


def workers_seen(server: Server, since: int) -> set[str]:
    """The pids of the workers that answered the network since byte ``since`` of the log."""
    text = server.log_path.read_bytes()[since:].decode(errors="replace")
    return {m.group(1) for line in text.splitlines() if (m := ACCESS.match(line.strip()))
            and m.group(2) == "/explorer/network.json" and m.group(3) == "200"}


def from_every_worker(server: Server) -> list[dict[str, Any]]:
    """Responses of the network, in parallel rounds, until every worker has answered at least once."""
    since = server.log_path.stat().st_size
    responses: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(MAX_ROUNDS):
            responses += list(pool.map(lambda _i: fetch(server), range(8)))
            time.sleep(0.2)  # the access log line is written after the response
            if len(workers_seen(server, since)) >= GUNICORN_WORKERS:
                return responses
    pytest.fail(f"only workers {sorted(workers_seen(server, since))} answered in {len(responses)} requests:\n"
                f"{server.log()}")


def picture(response: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {n["id"]: (n["x"], n["y"]) for n in response["nodes"]}


def labels(response: dict[str, Any]) -> dict[str, str]:
    return {n["id"]: n["label"] for n in response["nodes"]}


def changed_seed(tmp_path: Path) -> Path:
    """The seed with Russia renamed and an actor added."""
    target = tmp_path / "iraq-intel-2015"
    shutil.copytree(SEED_DIR, target)
    actors = target / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    assert 'name: "Russia"' in text
    text = text.replace('name: "Russia"', 'name: "Russian Federation"', 1)
    actors.write_text(text + '\n- id: hezbollah\n  name: "Hezbollah"\n  kind: armed_group\n  bloc: axis\n',
                      encoding="utf-8")
    return target


def test_no_worker_draws_a_stale_network_after_another_process_changes_the_data(scratch_database, tmp_path):
    database = scratch_database("workers_stale")
    migrate.upgrade(database)
    with database.transaction() as session:
        load_directory(session, SEED_DIR)  # no layout stored: the workers' first requests compute it
        accounts.create_user(session, "ed", "workers test password", "editor")
        token = accounts.issue_token(session, "ed").token
    with gunicorn(database.url, tmp_path) as server:
        # 1. Every worker, asked at once: one stored layout, one picture.
        first = from_every_worker(server)
        stamps = {r["meta"]["layout"] for r in first}
        assert len(stamps) == 1 and None not in stamps, stamps
        assert len({json.dumps(picture(r), sort_keys=True) for r in first}) == 1
        revision = first[0]["meta"]["revision"]

        # 2. Another process loads a changed dataset: every worker draws the change at once.
        env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "workers-test-secret-key"}
        loaded = subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", "load", str(changed_seed(tmp_path))],
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert loaded.returncode == 0, loaded.stderr
        after_load = from_every_worker(server)
        for response in after_load:
            assert response["meta"]["revision"] != revision
            assert labels(response)["russia"] == "Russian Federation" and "hezbollah" in labels(response)
        assert len({r["meta"]["layout"] for r in after_load} | {None}) == 2  # one new stored layout, for all
        assert len({json.dumps(picture(r), sort_keys=True) for r in after_load}) == 1

        # 3. An edit over the API: every worker shows it, and nothing moves.
        current = fetch(server, "/api/actors/iran/record")
        connection = http.client.HTTPConnection(server.host, server.port, timeout=60)
        connection.request("PATCH", "/api/actors/iran", body=json.dumps({"name": "Islamic Republic of Iran"}),
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                    "If-Match": f'"{current["version"]}"'})
        patched = connection.getresponse()
        assert patched.status == 200, patched.read()[:300]
        connection.close()
        after_edit = from_every_worker(server)
        for response in after_edit:
            assert labels(response)["iran"] == "Islamic Republic of Iran"
            assert picture(response) == picture(after_load[0])

"""Benchmark (issue 13): load, serve and draw a dataset at a given scale, every figure from one run.

    python scripts/bench.py --preset seed|1k|5k            (or --actors N --relations N --sources N --events N)
                            [--workers 2] [--runs 5] [--timeout 60] [--database URL] [--no-browser] [--json]

1. The dataset: the bundled seed, or one generated in the SPEC §3 format (``bench_data.py``: skewed
   degrees, quotes that occur in their articles, voices and speakers, dated and undated relations, events).
2. ``flask load`` in a child process: wall time and the child's peak RSS; then the same load again (no-op).
3. gunicorn (``--workers``) on a free port, and for each page: the first request after the server started
   ("first"; for ``/`` the cold figure), the median of ``--runs`` warm requests, the bytes as served without
   and with ``Accept-Encoding: gzip, br``, and the rate against a static file of the very bytes served,
   served by the same server in the same run (a ratio of 1.0 is as fast as a file can be served).
4. An edit: an editor adds an actor through the API (``POST /api/actors``), then the first network.json and ``/``
   of the new data revision (goal: 1 s).
5. Headless Chromium: first drawn network, click on the best-connected actor → panel painted,
   a date typed into "As of" → network redrawn, and the page's JS heap.

Every request has a timeout (``--timeout``); one that runs out is reported as "timeout >N s".
The database is a temporary SQLite file unless ``--database`` names another (it must be empty).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "iraq-intel-2015"
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
COMPRESSED = {"Accept-Encoding": "gzip, br"}
IDENTITY = {"Accept-Encoding": "identity"}
HTMX = {"HX-Request": "true"}
# Goals of issue 13 at 5k/50k (printed beside the figures, never asserted).
PAGE_GOAL_S, PAGE_FLOOR_S, SIZE_FLOOR = 0.5, 2.0, 1_000_000
BROWSER_GOALS = {"first drawn": 3.0, "→ panel": 0.3, "→ redraw": 0.5}
EDIT_GOAL_S = 1.0  # the first request after an edit in the app


class Timeout(Exception):
    pass


# --- the dataset -------------------------------------------------------------------------------


def dataset(args: argparse.Namespace, work: Path) -> tuple[Path, dict[str, Any]]:
    """The dataset directory and facts about it: its id, best-connected actor (id, name, degree), a source."""
    if args.preset == "seed":
        directory = SEED
    else:
        scale = bench_data.Scale(args.actors, args.relations, args.sources, args.events)
        directory = work / "dataset"
        started = time.perf_counter()
        bench_data.generate(directory, scale)
        print(f"generated {scale} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    header = yaml.safe_load((directory / "dataset.yaml").read_text(encoding="utf-8"))
    relations = yaml.load((directory / "relations.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    actors = yaml.load((directory / "actors.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    degree: Counter[str] = Counter()
    for relation in relations:
        degree[relation["source"]] += 1
        degree[relation["target"]] += 1
    top, count = degree.most_common(1)[0]
    name = next(a["name"] for a in actors if a["id"] == top)
    bloc = next((a.get("bloc") for a in actors if a["id"] == top), None)  # of the actor an edit adds beside it
    sources = sorted((directory / "sources").glob("*.md"))
    front = yaml.safe_load(sources[0].read_text(encoding="utf-8").split("---\n", 2)[1])
    return directory, {"dataset": header["id"], "actors": len(actors), "relations": len(relations),
                       "sources": len(sources), "top_actor": top, "top_name": name, "top_degree": count, "bloc": bloc,
                       "source": front.get("id", sources[0].stem), "source_bytes": sources[0].stat().st_size}


# --- flask load ----------------------------------------------------------------------------------


def flask(env: dict[str, str], *args: str, timeout: float) -> dict[str, Any]:
    """Run ``flask --app webapp ARGS`` as a child: wall time, the child's own peak RSS, its last line."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen([str(BIN / "flask"), "--app", "webapp", *args], env=env, cwd=ROOT,
                                 stdout=output, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        _pid, status, usage = os.wait4(child.pid, 0)  # this child's usage, not the largest child's yet
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        output.seek(0)
        text = output.read().decode(errors="replace")
    if not timer.finished.is_set() or child.returncode == -signal.SIGKILL:
        if seconds >= timeout:
            return {"timeout": timeout}
    if child.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{text[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "output": text.strip().splitlines()[-1:]}


# --- HTTP ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int, path: str, headers: dict[str, str], timeout: float) -> tuple[float, int, bytes, str]:
    """One GET: seconds, status, the body exactly as sent (still compressed), its Content-Encoding."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    except TimeoutError:
        raise Timeout(path) from None
    finally:
        connection.close()
    return time.perf_counter() - started, response.status, body, response.getheader("Content-Encoding") or ""


def wait_for_port(port: int, server: subprocess.Popen[bytes], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before serving")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("gunicorn did not start listening")


def measure(port: int, name: str, path: str, headers: dict[str, str], runs: int, timeout: float,
            static_dir: Path, static_url: str) -> dict[str, Any]:
    """First and warm times of one page, its sizes, and its rate against a static file of the same bytes."""
    row: dict[str, Any] = {"what": name, "path": path}
    try:
        first, status, body, encoding = fetch(port, path, headers, timeout)
        row.update(first_s=first, status=status)
        samples = []
        for _ in range(runs):
            seconds, status, body, encoding = fetch(port, path, headers, timeout)
            samples.append(seconds)
        row.update(warm_s=statistics.median(samples), bytes=len(body), encoding=encoding or "identity")
        if "gzip" in headers.get("Accept-Encoding", ""):
            _s, _st, plain, _e = fetch(port, path, {**headers, **IDENTITY}, timeout)
            row["raw_bytes"] = len(plain)
        else:
            row["raw_bytes"] = len(body)
    except Timeout:
        row["timeout"] = timeout
        return row
    # The same bytes as a static file of the app, through the same server.
    static = static_dir / f"{len(list(static_dir.iterdir()))}.bin"
    static.write_bytes(body)
    url = f"{static_url}/{static.name}"
    fetch(port, url, IDENTITY, timeout)
    static_samples = [fetch(port, url, IDENTITY, timeout)[0] for _ in range(runs)]
    row["static_s"] = statistics.median(static_samples)
    row["vs_static"] = row["static_s"] / row["warm_s"]  # req/s of the page ÷ req/s of the file
    return row


def serve_and_measure(env: dict[str, str], facts: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    static_dir = ROOT / "static" / f".bench-{os.getpid()}"
    static_dir.mkdir()
    static_url = f"/static/{static_dir.name}"
    port = free_port()
    command = [str(BIN / "gunicorn"), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", str(int(args.timeout) + 30), "--log-level", "warning", "webapp:create_app()"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    rows: list[dict[str, Any]] = []
    try:
        wait_for_port(port, server)
        # The workers import the app after the port opens: wait for them on a file, so that "first" is the
        # first request for data, not for a booting worker.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(port, "/static/css/app.css", IDENTITY, 5)[1] == 200:
                    break
            except (Timeout, OSError):
                pass
            time.sleep(0.2)
        time.sleep(2)
        actor = quote(facts["top_actor"])
        pages = [
            ("/ (explorer)", "/", COMPRESSED),
            ("/api/graph", "/api/graph", IDENTITY),
            ("/api/graph gzip", "/api/graph", {"Accept-Encoding": "gzip"}),
            ("/explorer/network.json", "/explorer/network.json", COMPRESSED),
            (f"panel {facts['top_actor']} ({facts['top_degree']})", f"/actors/{actor}", {**COMPRESSED, **HTMX}),
            ("/analysis", "/analysis", COMPRESSED),
            ("/api/analysis/balance", "/api/analysis/balance", COMPRESSED),
            ("/timeline", "/timeline", COMPRESSED),
            ("/list", "/list", COMPRESSED),
            (f"reader /sources/{facts['source']}", f"/sources/{quote(facts['source'])}", COMPRESSED),
            ("/healthz", "/healthz", COMPRESSED),
        ]
        for name, path, headers in pages:
            row = measure(port, name, path, headers, args.runs, args.timeout, static_dir, static_url)
            rows.append(row)
            print(f"  {name}: {_seconds(row.get('warm_s'), row)}", file=sys.stderr)
        rows += after_edit(env, port, facts, args.timeout)
        if not args.no_browser:
            rows += browser(port, facts, args.timeout)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        shutil.rmtree(static_dir, ignore_errors=True)
    return rows


def after_edit(env: dict[str, str], port: int, facts: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
    """An editor adds an actor through the API; then the first network.json and ``/`` of the new revision."""
    def run(*args: str, stdin: str = "") -> str:
        done = subprocess.run([str(BIN / "flask"), "--app", "webapp", *args], env=env, cwd=ROOT, input=stdin,
                              capture_output=True, text=True, timeout=timeout, check=True)
        return done.stdout.strip()

    run("users", "create", "bench-editor", "--role", "editor", "--password-stdin", stdin="bench-password-1\n")
    token = run("users", "token", "bench-editor").splitlines()[-1]
    actor = {"name": "Benchmark Newcomer", "kind": "state", **({"bloc": facts["bloc"]} if facts["bloc"] else {})}
    body = json.dumps(actor).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    connection.request("POST", "/api/actors", body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    rows: list[dict[str, Any]] = [{"what": "edit: POST /api/actors", "first_s": time.perf_counter() - started,
                                   "status": response.status}]
    for name, path in (("network.json after the edit", "/explorer/network.json"), ("/ after the edit", "/")):
        try:
            seconds, status, sent, _encoding = fetch(port, path, COMPRESSED, timeout)
            rows.append({"what": name, "first_s": seconds, "status": status, "bytes": len(sent)})
        except Timeout:
            rows.append({"what": name, "timeout": timeout})
    return rows


# --- Chromium ------------------------------------------------------------------------------------


def browser(port: int, facts: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
    """First drawn network, top actor click → panel, date change → redraw, JS heap (a fresh page)."""
    if not Path(CHROMIUM).exists():
        return [{"what": "browser", "skipped": f"no Chromium at {CHROMIUM}"}]
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    limit_ms = timeout * 1000
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})

        def step(name: str, action: Any) -> bool:
            started = time.perf_counter()
            try:
                action()
            except PlaywrightError as error:
                timed_out = "Timeout" in type(error).__name__ or "Timeout" in str(error)[:200]
                rows.append({"what": name, "timeout": timeout} if timed_out else
                            {"what": name, "error": str(error).splitlines()[0][:120]})
                return False
            rows.append({"what": name, "warm_s": time.perf_counter() - started})
            return True

        base = f"http://127.0.0.1:{port}"
        drawn = step("browser: first drawn network", lambda: (
            page.goto(base + "/", timeout=limit_ms),
            page.wait_for_selector("#network[data-ready=true]", state="attached", timeout=limit_ms)))
        if drawn:
            def click() -> None:
                point = page.evaluate("""id => { const n = window.explorer.network;
                    const p = n.canvasToDOM(n.getPositions([id])[id]);
                    const box = document.getElementById('network').getBoundingClientRect();
                    return {x: box.left + p.x, y: box.top + p.y}; }""", facts["top_actor"])
                page.mouse.click(point["x"], point["y"])
                page.wait_for_function(
                    "name => { const p = document.getElementById('panel'); return p && p.textContent.includes(name)"
                    " && !p.classList.contains('htmx-request') && !p.classList.contains('htmx-settling'); }",
                    arg=facts["top_name"], timeout=limit_ms)
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

            step("browser: click top actor → panel", click)

            def date_change() -> None:
                page.fill("[data-testid=as-of-date]", "2010-06")
                page.click("[data-testid=as-of-apply]")
                page.wait_for_function("() => (document.body.dataset.networkState || '').includes('at=2010-06')",
                                       timeout=limit_ms)
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

            step("browser: As of 2010-06 → redraw", date_change)
            try:
                cdp = page.context.new_cdp_session(page)
                heap = cdp.send("Runtime.getHeapUsage")
                rows.append({"what": "browser: JS heap", "heap_mb": heap["usedSize"] / 2**20})
            except PlaywrightError as error:
                rows.append({"what": "browser: JS heap", "error": str(error)[:120]})
        chromium.close()
    return rows


# --- output --------------------------------------------------------------------------------------


def _seconds(value: float | None, row: dict[str, Any]) -> str:
    if "timeout" in row:
        return f"timeout >{row['timeout']:g} s"
    if "error" in row:
        return "error: " + row["error"]
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def _size(value: int | None) -> str:
    if value is None:
        return ""
    return f"{value / 1e6:.2f} MB" if value >= 100_000 else f"{value / 1000:.1f} kB"


def table(result: dict[str, Any]) -> str:
    facts, load = result["dataset"], result["load"]
    lines = [f"dataset {facts['dataset']}: {facts['actors']:,} actors, {facts['relations']:,} relations, "
             f"{facts['sources']:,} sources; best-connected {facts['top_actor']} ({facts['top_degree']:,} relations); "
             f"gunicorn -w {result['workers']}, {result['runs']} warm runs (median), {result['database']}",
             "",
             f"flask load          {_seconds(load['first'].get('seconds'), load['first']):>12}  "
             f"peak RSS {load['first'].get('peak_rss_mb', 0):.0f} MB  ({' '.join(load['first'].get('output', []))})",
             f"flask load (no-op)  {_seconds(load['again'].get('seconds'), load['again']):>12}  "
             f"peak RSS {load['again'].get('peak_rss_mb', 0):.0f} MB  ({' '.join(load['again'].get('output', []))})",
             "",
             f"{'what':<36} {'first':>10} {'warm':>10} {'served':>10} {'raw':>10} {'enc':>8} {'× static':>9}  goal",
             "-" * 110]
    for row in result["pages"]:
        if "heap_mb" in row:
            lines.append(f"{row['what']:<36} {'':>10} {row['heap_mb']:>7.1f} MB")
            continue
        if "skipped" in row:
            lines.append(f"{row['what']:<36} skipped: {row['skipped']}")
            continue
        warm = row.get("warm_s")
        edited = "after the edit" in row["what"]
        flags = []
        goal = next((limit for words, limit in BROWSER_GOALS.items() if words in row["what"]), None)
        if goal is not None:
            if "timeout" in row or (warm is not None and warm > goal):
                flags.append(f"over {_seconds(goal, {})}")
        elif edited:
            if "timeout" in row or row.get("first_s", 0) > EDIT_GOAL_S:
                flags.append(f"over {_seconds(EDIT_GOAL_S, {})}")
        elif "timeout" in row or (warm is not None and warm > PAGE_FLOOR_S):
            flags.append("over 2 s")
        elif warm is not None and warm > PAGE_GOAL_S:
            flags.append("over 500 ms")
        if row.get("status", 200) >= 400:
            flags.append(f"HTTP {row['status']}")
        if row.get("bytes", 0) > SIZE_FLOOR and row.get("encoding") != "identity":
            flags.append("over 1 MB compressed")
        ratio = f"{row['vs_static']:.2f}" if "vs_static" in row else ""
        lines.append(f"{row['what'][:36]:<36} {_seconds(row.get('first_s'), {}):>10} {_seconds(warm, row):>10} "
                     f"{_size(row.get('bytes')):>10} {_size(row.get('raw_bytes')):>10} {row.get('encoding', ''):>8} "
                     f"{ratio:>9}  {', '.join(flags) or ('ok' if warm is not None or edited else '')}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=["seed", "1k", "5k"])
    parser.add_argument("--actors", type=int, default=5000)
    parser.add_argument("--relations", type=int, default=50000)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds any one request or step may take")
    parser.add_argument("--database", help="an empty database to use (default: a temporary SQLite file)")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--facts-only", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.preset in bench_data.PRESETS:
        args.actors, args.relations, args.sources, args.events = bench_data.PRESETS[args.preset]
    if args.facts_only:
        directory, facts = dataset(args, Path(args.facts_only))
        print(json.dumps({"directory": str(directory), **facts}))
        return
    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as folder:
        work = Path(folder)
        # Generated in a child: a child's peak RSS counts the size of the process it was forked from, so
        # this one stays small.
        own = [a for a in sys.argv[1:] if a != "--json"]
        made = subprocess.run([sys.executable, __file__, *own, "--facts-only", str(work)], check=True,
                              capture_output=True, text=True)
        facts = json.loads(made.stdout)
        directory = Path(facts.pop("directory"))
        url = args.database or f"sqlite:///{work / 'bench.db'}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "0" * 58, "WEBAPP_AUTO_SETUP": "0"}
        flask(env, "db", "upgrade", timeout=600)
        first = flask(env, "load", str(directory), timeout=3600)
        print(f"  load: {_seconds(first.get('seconds'), first)}", file=sys.stderr)
        again = flask(env, "load", str(directory), timeout=3600)
        pages = serve_and_measure(env, facts, args)
    result = {"dataset": facts, "workers": args.workers, "runs": args.runs,
              "database": url.split(":", 1)[0] if args.database else "SQLite (temporary file)",
              "load": {"first": first, "again": again}, "pages": pages}
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()

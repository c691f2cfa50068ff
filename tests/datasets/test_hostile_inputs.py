"""Hostile dataset files (issue 14, items 3 and 4): each is a ``file:line`` problem — never a traceback, a
hang or a link to a script — ``load`` writes nothing, and two loads never race."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests.conftest import RIVER_PACT, SEED_DIR
from tests.datasets.test_loader import snapshot
from webapp import create_app, migrate
from webapp.config import PROJECT_ROOT
from webapp.datasets import files, loader, yamlio
from webapp.datasets.reader import is_web_address
from webapp.db import Database
from webapp.models import Dataset, Passage, Source

SOURCE = "sources/lowland-courier-2019.md"


@pytest.fixture
def river(tmp_path: Path) -> Path:
    target = tmp_path / "river-pact"
    shutil.copytree(RIVER_PACT, target)
    return target


def line_of(path: Path, words: str) -> int:
    """The 1-based line of ``path`` that holds ``words``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if words in line)


def assert_refused(runner, session, directory: Path, *expected: str) -> None:  # type: ignore[no-untyped-def]
    """``validate`` lists each expected problem; ``load`` lists them too and changes nothing."""
    before = snapshot(session)
    check = runner.invoke(args=["validate", str(directory)])
    assert check.exit_code == 1, check.output
    assert check.exception is None or isinstance(check.exception, SystemExit), check.exception
    for problem in expected:
        assert problem in check.output
    load = runner.invoke(args=["load", str(directory)])
    assert load.exit_code == 1 and "nothing was loaded" in load.output, load.output
    assert all(problem in load.output for problem in expected)
    session.expire_all()
    assert snapshot(session) == before


# Reads a dataset in a child process that may not use more than 1 GiB: a hostile file that hangs the
# reader or makes it balloon fails the test in seconds instead of taking the test run down with it.
ISOLATED = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from webapp.datasets.reader import read_dataset
start = time.monotonic()
_spec, problems = read_dataset(sys.argv[1])
print(f"seconds {time.monotonic() - start:.2f}")
print(f"kilobytes {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
for problem in problems:
    print(problem)
"""


def read_isolated(directory: Path, timeout: float = 30) -> tuple[list[str], float, int]:
    """The problems of a dataset read in a child process, with the seconds and peak kilobytes it took."""
    result = subprocess.run([sys.executable, "-c", ISOLATED, str(directory)], capture_output=True, text=True,
                            timeout=timeout, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    return lines[2:], float(lines[0].split()[1]), int(lines[1].split()[1])


# --- Links to anything but a web page ----------------------------------------------------


@pytest.mark.parametrize("url", [
    "javascript:alert(document.cookie)", "JavaScript:alert(1)", "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "file:///etc/passwd",
    "//evil.example/river-pact", "/news/river-pact", "http:///no-host", "https://exa mple.org/",
])
def test_a_source_url_that_is_not_an_http_address_is_a_problem_and_load_changes_nothing(runner, session, river,
                                                                                       url):
    source = river / SOURCE
    source.write_text(source.read_text().replace("url: https://example.org/river-pact", f"url: {url}"))
    assert_refused(runner, session, river,
                   f"{source}:{line_of(source, 'url:')}: 'url' must be an http(s) address, not {url!r}")


@pytest.mark.parametrize(("url", "web"), [
    ("https://example.org/river-pact?page=2#top", True), ("HTTP://EXAMPLE.ORG", True),
    ("https://de.wikipedia.org/wiki/Köln", True), ("http://127.0.0.1:8080/a", True),
    ("https://", False), ("http:example.org", False), ("java\nscript:alert(1)", False),
    ("https://example.org/\x00", False), ("http://[::1", False), ("mailto:desk@example.org", False),
])
def test_only_absolute_http_addresses_are_web_addresses(url, web):
    assert is_web_address(url) is web


def test_import_source_refuses_a_page_whose_canonical_link_is_a_script(runner, session, tmp_path):
    page = tmp_path / "intel.html"
    page.write_text(
        "<!doctype html>\n<html lang=\"en\"><head>\n<title>Iraq shares intelligence</title>\n"
        '<link rel="canonical" href="javascript:alert(document.domain)">\n</head><body><article>\n'
        "<p>Iraq said on Sunday it would share intelligence with Iran and Russia, officials said.</p>\n"
        "<p>Daesh fighters retreated from two towns, and the Iraqi military welcomed the news.</p>\n"
        "</article></body></html>\n")
    before = snapshot(session)
    refused = runner.invoke(args=["import-source", str(page), "--dataset", "iraq-intel-2015"])
    assert refused.exit_code == 1 and "nothing was imported" in refused.output
    assert (f"{page}:4: 'url' must be an http(s) address, not 'javascript:alert(document.domain)' "
            "(or give --url)") in refused.output
    session.expire_all()
    assert snapshot(session) == before
    given = runner.invoke(args=["import-source", str(page), "--dataset", "iraq-intel-2015",
                                "--url", "https://news.example/intel"])
    assert given.exit_code == 0, given.output
    assert session.get(Source, "intel").url == "https://news.example/intel"


def test_the_reader_never_links_a_source_to_anything_but_a_web_address(app, client):
    """Defence in depth: a URL that got into the database some other way is not rendered as a link."""
    seed = "pjtatler-2015-09-27-iraq-intel"
    for url, linked in (("javascript:alert(document.cookie)", False), (" JAVASCRIPT:alert(1)", False),
                        ("data:text/html,<script>alert(1)</script>", False), ("https://news.example/a", True)):
        with app.extensions["database"].transaction() as write:
            write.execute(update(Source).where(Source.id == seed).values(url=url))
        page = client.get(f"/sources/{seed}").get_data(as_text=True)
        assert ("Original article" in page) is linked, url
        assert "javascript:" not in page.lower() and "data:text/html" not in page


# --- YAML that would take the reader down ------------------------------------------------

BOMB = "".join(
    [f"- title: &a0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"  l{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 10)]
)


def test_an_alias_bomb_is_refused_at_once_in_bounded_memory(runner, session, river):
    events = river / "events.yaml"
    _, _, baseline = read_isolated(river)  # the same process reading the dataset as it was: the app's imports
    events.write_text(BOMB)   # 9 ** 10 "lol"s, if the aliases were expanded
    problems, seconds, kilobytes = read_isolated(river)
    expected = f"{events}:1: YAML anchors and aliases (&a0) are not allowed in dataset files: write each value out"
    assert expected in problems
    assert seconds < 5 and kilobytes - baseline < 100_000, (seconds, kilobytes, baseline)
    assert_refused(runner, session, river, expected)


def test_an_alias_without_its_anchor_is_refused_on_its_line(runner, session, river):
    actors = river / "actors.yaml"
    actors.write_text(actors.read_text() + "- *everyone\n")
    assert_refused(runner, session, river, f"{actors}:{line_of(actors, '*everyone')}: YAML anchors and aliases "
                                           "(*everyone) are not allowed in dataset files")


def test_five_thousand_nested_brackets_are_a_problem_not_a_traceback(runner, session, river):
    events = river / "events.yaml"
    events.write_text("# a hostile file\n" + "[" * 5000 + "]" * 5000 + "\n")
    problems, seconds, _kilobytes = read_isolated(river)
    expected = f"{events}:2: lists and mappings nested more than {yamlio.MAX_DEPTH} levels deep"
    assert expected in problems and seconds < 10
    assert_refused(runner, session, river, expected)


def test_deep_indentation_is_refused_on_the_line_that_goes_too_deep(runner, session, river):
    actors = river / "actors.yaml"
    actors.write_text("".join(f"{'  ' * depth}- level{depth}:\n" for depth in range(100)))
    # Each "- key:" opens a list and a mapping: the 65th level is opened on line 33.
    assert_refused(runner, session, river, f"{actors}:33: lists and mappings nested more than 64 levels deep")


def test_a_document_with_too_many_values_is_refused(runner, session, river, monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_NODES", 40)
    assert_refused(runner, session, river, "more than 40 values in one YAML document: split the file")


def test_a_file_over_the_size_limit_is_not_read(runner, session, river, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    relations = river / "relations.yaml"
    assert_refused(runner, session, river,
                   f"{relations}:1: this file is {relations.stat().st_size:,} bytes; at most 1,000 are read")


def test_a_number_python_will_not_convert_is_a_problem(runner, session, river):
    events = river / "events.yaml"
    events.write_text(events.read_text().replace("date: 2019-03", f"date: {'9' * 5000}", 1))
    line = line_of(events, "9" * 5000)
    assert_refused(runner, session, river, f"{events}:{line}: cannot read this value: Exceeds the limit")


# --- Bytes that are not text -------------------------------------------------------------


def test_a_nul_byte_in_a_yaml_file_is_a_problem_on_its_line(runner, session, river):
    actors = river / "actors.yaml"
    actors.write_text(actors.read_text().replace("name: Upland", "name: Up\x00land", 1))
    line = line_of(actors, "\x00")
    column = actors.read_text().splitlines()[line - 1].index("\x00") + 1
    assert_refused(runner, session, river,
                   f"{actors}:{line}: a NUL character (column {column}): a dataset file must be text")


def test_a_nul_byte_in_an_article_is_a_problem_on_its_line(runner, session, river):
    source = river / SOURCE
    source.write_text(source.read_text() + "\nA last paragraph\x00 with a NUL in it.\n")
    assert_refused(runner, session, river, f"{source}:{line_of(source, chr(0))}: a NUL character (column 17)")


def test_invalid_utf8_in_an_article_is_a_problem_on_its_line(runner, session, river):
    source = river / SOURCE
    raw = source.read_bytes()
    source.write_bytes(raw + b"\nThe minister said \xff\xfe nothing.\n")
    line = raw.count(b"\n") + 2
    assert_refused(runner, session, river,
                   f"{source}:{line}: not UTF-8 text: invalid start byte at byte {len(raw) + 19:,}")


def test_a_control_character_yaml_forbids_is_a_problem_on_its_line(runner, session, river):
    events = river / "events.yaml"
    events.write_text(events.read_text().replace("date: 2019-03", "date: 2019-03 \x1b[2J", 1))
    assert_refused(runner, session, river,
                   f"{events}:{line_of(events, chr(27))}: the character U+001B is not allowed in YAML")


# --- Only regular files, only inside the dataset -----------------------------------------


@pytest.mark.parametrize("name", ["sources/pipe.md", "relations.yaml"])
def test_a_fifo_in_the_dataset_is_refused_without_being_opened(runner, session, river, name):
    fifo = river / name
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    problems, _seconds, _kilobytes = read_isolated(river, timeout=20)   # opening it would wait for a writer
    expected = f"{fifo}:1: this is a named pipe (FIFO), not a regular file: it is not read"
    assert expected in problems
    assert_refused(runner, session, river, expected)


def test_a_directory_named_like_an_article_is_refused(runner, session, river):
    (river / "sources" / "drafts.md").mkdir()
    assert_refused(runner, session, river,
                   f"{river / 'sources' / 'drafts.md'}:1: this is a directory, not a regular file: it is not read")


@pytest.mark.parametrize("target", ["/etc/passwd", "outside"])
def test_a_link_to_a_file_outside_the_dataset_is_refused(runner, session, river, tmp_path, target):
    if target == "outside":
        # A perfectly good article: it is refused for where it is, not for what it says.
        outside = tmp_path / "elsewhere.md"
        outside.write_text((river / SOURCE).read_text().replace("id: lowland-courier-2019", "id: elsewhere"))
        target = str(outside)
    link = river / "sources" / "extra.md"
    link.symlink_to(target)
    assert_refused(runner, session, river,
                   f"{link}:1: this file is a link to a file outside the dataset ({Path(target).resolve()})")


def test_a_sources_directory_linked_from_outside_is_refused(runner, session, river, tmp_path):
    shutil.move(river / "sources", tmp_path / "shared-sources")
    (river / "sources").symlink_to(tmp_path / "shared-sources")
    assert_refused(runner, session, river, f"{river / SOURCE}:1: this file is a link to a file outside the dataset")


def test_links_inside_the_dataset_are_followed(runner, session, river):
    (river / "curated").mkdir()
    shutil.move(river / "actors.yaml", river / "curated" / "actors.yaml")
    (river / "actors.yaml").symlink_to("curated/actors.yaml")
    shutil.move(river / SOURCE, river / "curated" / "courier.md")
    (river / SOURCE).symlink_to("../curated/courier.md")
    check = runner.invoke(args=["validate", str(river)])
    assert check.exit_code == 0 and "valid — dataset 'river-pact'" in check.output, check.output
    load = runner.invoke(args=["load", str(river)])
    assert load.exit_code == 0 and "dataset 'river-pact' loaded" in load.output, load.output


def test_import_source_refuses_a_fifo_without_waiting_on_it(tmp_path):
    fifo = tmp_path / "article.md"
    os.mkfifo(fifo)
    script = ("import sys; from pathlib import Path; from webapp.datasets import importer\n"
              "try:\n    importer.read_article(Path(sys.argv[1]))\n"
              "except importer.ImportRefused as refused:\n    print(*refused.problems)\n")
    result = subprocess.run([sys.executable, "-c", script, str(fifo)], capture_output=True, text=True, timeout=20,
                            cwd=PROJECT_ROOT)
    assert f"{fifo}: this is a named pipe (FIFO), not a regular file" in result.stdout, result.stderr[-2000:]


# --- Two loads at once -------------------------------------------------------------------


@pytest.fixture
def empty_database(scratch_database: Callable[[str], Database]) -> Database:
    """A migrated database of its own (a SQLite file, or a new PostgreSQL database), with no dataset."""
    database = scratch_database("hostile_loads")
    migrate.upgrade(database)
    return database


def datasets(database: Database) -> list[tuple[str, int]]:
    with database.session() as session:
        return [tuple(row) for row in session.execute(select(Dataset.id, Dataset.revision).order_by(Dataset.id))]


@pytest.fixture
def held_load(monkeypatch) -> Iterator[Callable[[Database, Path], threading.Thread]]:  # type: ignore[no-untyped-def]
    """Starts a load in a thread of its own and holds it half-way, its lock taken, until ``release`` is set."""
    inside, release = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []
    databases: list[Database] = []
    real = loader._sync_passages

    def held(session, sync, spec):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "held-load":
            inside.set()
            release.wait(60)
        return real(session, sync, spec)

    monkeypatch.setattr(loader, "_sync_passages", held)

    def start(database: Database, directory: Path) -> threading.Thread:
        databases.append(database)

        def run() -> None:
            with database.transaction() as session:
                loader.load_directory(session, directory)
        thread = threading.Thread(target=run, name="held-load", daemon=True)
        threads.append(thread)
        thread.start()
        assert inside.wait(30), "the first load never got going"
        return thread

    start.release = release  # type: ignore[attr-defined]
    yield start
    release.set()
    for thread in threads:
        thread.join(30)
    for database in databases:
        database.dispose()


@pytest.mark.parametrize("second", [RIVER_PACT, SEED_DIR], ids=["same dataset", "another dataset"])
def test_a_load_while_another_runs_waits_then_says_so_and_writes_nothing(empty_database, held_load, second):
    first = held_load(Database(empty_database.url), RIVER_PACT)
    waiting = Database(empty_database.url, busy_timeout_ms=300)
    try:
        with pytest.raises(loader.LoadBusy) as busy:
            with waiting.transaction() as session:
                loader.load_directory(session, second, wait_s=0.3)
        assert datasets(waiting) == []
    finally:
        held_load.release.set()
        first.join(30)
        waiting.dispose()
    if empty_database.is_sqlite:
        assert str(busy.value).startswith("another load or change has kept the database busy")
    elif second == RIVER_PACT:
        assert str(busy.value) == "another load of dataset 'river-pact' is running (waited 0.3 s)"
    else:
        assert str(busy.value) == "another load is running (waited 0.3 s)"
    assert datasets(empty_database) == [("river-pact", 1)]
    # The first is done and its lock gone: loading the same dataset again is a no-op, another one loads.
    with empty_database.transaction() as session:
        report = loader.load_directory(session, second, wait_s=5)
    assert report.changed is (second != RIVER_PACT)


def test_load_command_says_another_load_is_running(empty_database, monkeypatch):
    monkeypatch.setattr(loader, "LOAD_WAIT_S", 0.3)
    app = create_app({"TESTING": True, "DATABASE_URL": empty_database.url, "AUTO_SETUP": False,
                      "SQLITE_BUSY_TIMEOUT_MS": 300})
    try:
        with empty_database.transaction() as holder:
            loader.lock_loads(holder, "river-pact")
            result = app.test_cli_runner().invoke(args=["load", str(RIVER_PACT)])
    finally:
        app.extensions["database"].dispose()
    assert result.exit_code == 1, result.output
    assert "nothing was loaded; try again when it has finished" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if empty_database.is_sqlite:
        assert "Error: another load or change has kept the database busy" in result.output
    else:
        assert "Error: another load of dataset 'river-pact' is running (waited 0.3 s)" in result.output
    assert datasets(empty_database) == []


def _flask(database: Database, *args: str, **kwargs) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": database.url, "WEBAPP_AUTO_SETUP": "0", "SECRET_KEY": "test"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "webapp", *args], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def test_two_load_commands_at_once_load_the_dataset_once(empty_database):
    loads = [_flask(empty_database, "load", str(SEED_DIR)) for _ in range(2)]
    outputs = [load.communicate(timeout=60)[0] for load in loads]
    assert [load.returncode for load in loads] == [0, 0], outputs
    # One loads it; the other waits for it, then finds nothing to change.
    assert sorted("up to date (revision 1)" in output for output in outputs) == [False, True], outputs
    assert any("loaded (revision 1)" in output for output in outputs), outputs
    assert datasets(empty_database) == [("iraq-intel-2015", 1)]


CRASHING_LOAD = """
import os, sys, time
from webapp.datasets import loader
from webapp.db import Database
real = loader._sync_passages
def crash(session, sync, spec):
    real(session, sync, spec)       # half the dataset written, the lock held
    print("inside", flush=True)
    time.sleep(120)
loader._sync_passages = crash
database = Database(sys.argv[1])
with database.transaction() as session:
    loader.load_directory(session, sys.argv[2])
"""


def test_a_killed_load_leaves_no_lock_and_nothing_written(empty_database):
    crashing = subprocess.Popen([sys.executable, "-c", CRASHING_LOAD, empty_database.url, str(RIVER_PACT)],
                                cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert crashing.stdout is not None and crashing.stdout.readline().strip() == "inside"
    finally:
        crashing.send_signal(signal.SIGKILL)
        crashing.wait(30)
        crashing.stdout.close()  # type: ignore[union-attr]
    assert datasets(empty_database) == []
    with empty_database.transaction() as session:
        report = loader.load_directory(session, RIVER_PACT, wait_s=2)
    assert report.summary().startswith("dataset 'river-pact' loaded (revision 1)")
    with empty_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Source)) == 1
        assert session.scalar(select(func.count()).select_from(Passage)) == 8

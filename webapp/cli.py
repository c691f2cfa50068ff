"""Flask CLI commands (SPEC §4): thin wrappers over the datasets package and services."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import get_database, migrate
from .datasets import importer
from .datasets.exporter import UnknownDataset, export_dataset
from .datasets.loader import DatasetInvalid, LoadBusy, LoadRefused, load_directory
from .datasets.reader import read_dataset
from .models import ROLES, Dataset
from .services import accounts, articles, network
from .services import backup as backup_service
from .services import annotations as notes_service

db_cli = AppGroup("db", help="Create or migrate the database schema (Alembic).")
users_cli = AppGroup("users", help="Manage accounts and their API tokens.")
REMOVALS_SHOWN = 10  # per kind; the rest are counted


def _require_schema() -> None:
    database = get_database()
    if not database.has_schema():
        raise click.ClickException("the database has no schema yet: run `flask --app webapp db upgrade` first")
    if migrate.current_revision(database) != migrate.head_revision():
        raise click.ClickException("the database schema is out of date: run `flask --app webapp db upgrade`")


def _print_problems(problems: Iterable[object]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create the schema or migrate it to REVISION (default: the latest)."""
    migrate.upgrade(get_database(), revision)
    click.echo(f"database at revision {migrate.current_revision(get_database())}")


@db_cli.command("downgrade")
@click.argument("revision")
@click.option("--drop-data", is_flag=True, help="Go ahead even though the downgrade destroys data (back up first).")
def db_downgrade(revision: str, drop_data: bool) -> None:
    """Migrate the schema back to REVISION ('base' removes it); refuses to destroy data unless told."""
    database = get_database()
    losses = migrate.downgrade_losses(database, revision)
    if losses and not drop_data:
        for loss in losses:
            click.echo(f"would drop {loss}", err=True)
        raise click.ClickException(
            f"downgrading to {revision} would destroy data in {len({loss.table for loss in losses})} table(s) "
            "(listed above): nothing was changed. Back up first (`flask --app webapp backup FILE`), then run "
            "again with --drop-data.")
    if losses:
        click.echo(f"dropping {', '.join(str(loss) for loss in losses)} (restore a backup to get them back)", err=True)
    migrate.downgrade(database, revision)
    click.echo(f"database at revision {migrate.current_revision(database)}")


@db_cli.command("current")
def db_current() -> None:
    """Show the schema revision of the database and the latest one available."""
    click.echo(f"current: {migrate.current_revision(get_database())}  latest: {migrate.head_revision()}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
def db_revision(message: str) -> None:
    """Write a new migration by comparing the models with the database (for developers)."""
    migrate.revision(get_database(), message)


@click.command("validate")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def validate_command(directory: Path) -> None:
    """Check a dataset directory and report every problem as file:line: message."""
    spec, problems = read_dataset(directory)
    if problems or spec is None:
        _print_problems(problems)
        raise click.ClickException(f"{len(problems)} problem(s) in {directory}")
    click.echo(
        f"{directory}: valid — dataset '{spec.id}': {len(spec.sources)} source(s), {len(spec.actors)} actors, "
        f"{len(spec.relations)} relations, {len(spec.events)} events, {len(spec.evidence_items())} evidence items"
    )


@click.command("load")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite-app-edits", is_flag=True,
              help="Let the files win over records edited in the app (their app state stays a revision).")
@click.option("--allow-removals", is_flag=True,
              help="Remove records the files no longer list (each stays restorable from its history).")
def load_command(directory: Path, overwrite_app_edits: bool, allow_removals: bool) -> None:
    """Validate a dataset directory and load it in one transaction (nothing is written if invalid or refused)."""
    _require_schema()
    try:
        with get_database().transaction() as session:
            report = load_directory(session, directory, overwrite_app_edits=overwrite_app_edits,
                                    allow_removals=allow_removals)
            network.after_load(session, changed=report.changed)
    except DatasetInvalid as error:
        _print_problems(error.problems)
        raise click.ClickException(f"{len(error.problems)} problem(s): nothing was loaded") from None
    except LoadBusy as busy:
        raise click.ClickException(f"{busy}: nothing was loaded; try again when it has finished") from None
    except LoadRefused as refused:
        for headline in refused.headlines():
            click.echo(headline, err=True)
        for conflict in refused.conflicts:
            click.echo(f"conflict: {conflict}", err=True)
        shown: Counter[str] = Counter()
        for kind, ident in refused.removals:
            shown[kind] += 1
            if shown[kind] <= REMOVALS_SHOWN:
                click.echo(f"removal: {kind} '{ident}' is no longer in the files", err=True)
        for kind, count in sorted(Counter(kind for kind, _ in refused.removals).items()):
            if count > REMOVALS_SHOWN:
                click.echo(f"removal: … and {count - REMOVALS_SHOWN} more {kind}s", err=True)
        reasons = refused.headlines()
        if refused.conflicts:
            edited = len({(c.kind, c.id) for c in refused.conflicts})
            reasons.append(f"{edited} record(s) edited in the app would be overwritten or removed "
                           "(--overwrite-app-edits lets the files win)")
        if refused.removals:
            reasons.append(f"{len(refused.removals)} record(s) would be removed (--allow-removals removes them)")
        raise click.ClickException("; ".join(reasons) + ": nothing was loaded") from None
    click.echo(report.summary())
    with get_database().session() as session:
        orphans = notes_service.orphaned_count(session)
    if orphans:
        click.echo(f"{orphans} note(s) have lost their target and are kept as orphaned: see /notes?orphaned=1")


@click.command("export")
@with_appcontext
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--dataset", "dataset_id", help="Export only this dataset (default: every dataset).")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="The site's address, for the annotations' ids and targets.")
def export_command(directory: Path, dataset_id: str | None, base_url: str) -> None:
    """Write datasets back out in the seeds/ format, one sub-directory per dataset, and every
    annotation (private and deleted ones too, with their history) to annotations.jsonld."""
    _require_schema()
    with get_database().session() as session:
        ids = [dataset_id] if dataset_id else list(session.scalars(select(Dataset.id).order_by(Dataset.id)))
        if not ids:
            raise click.ClickException("there is no dataset to export")
        for ident in ids:
            try:
                written = export_dataset(session, ident, directory / ident)
            except UnknownDataset:
                raise click.ClickException(f"no dataset '{ident}'") from None
            click.echo(f"{directory / ident}: {len(written)} files")
        collection = notes_service.export(session, base_url.rstrip("/"))
    target = directory / "annotations.jsonld"
    target.write_text(json.dumps(collection, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"{target}: {collection['total']} annotations")


def _importer(by: str | None) -> str:
    """Who an import is recorded as: the admin named by ``--by``, else ``cli:`` and the system user
    (account names have no colon, so it passes for no account)."""
    if by is None:
        try:
            who = getpass.getuser()
        except (OSError, KeyError):
            who = "unknown"
        return f"cli:{who}"[:64]
    with _account_errors(), get_database().session() as session:
        user = accounts.get_user(session, by)
        if user.role != "admin":
            raise click.ClickException(f"{user.name} is {user.role}: only an admin imports notes")
        return user.name


@click.command("import-annotations")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--by", "by", metavar="ADMIN", default=None,
              help="The admin importing, recorded in each note's history (default: cli:<system user>).")
def import_annotations_command(file: Path, by: str | None) -> None:
    """Add the annotations of an export (annotations.jsonld); notes already here are never overwritten."""
    _require_schema()
    imported_by = _importer(by)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file}: not valid JSON ({error})") from None
    try:
        with get_database().transaction() as session:
            report = notes_service.import_collection(session, data, imported_by=imported_by)
    except notes_service.AnnotationError as error:
        raise click.ClickException(f"{file}: {error.message} — nothing was imported") from None
    click.echo(f"{file}: {report.created} added (recorded as imported by {imported_by}), "
               f"{report.unchanged} already here")
    for note_id in report.kept:
        click.echo(f"kept the existing note {note_id}: the file's different version was not imported", err=True)


def _checked(check: Callable[[str], str]) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback that turns a checker's ValueError into a bad-option error."""
    def callback(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    return callback


@click.command("import-source")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--dataset", "dataset_id", required=True, help="The loaded dataset that gets the article.")
@click.option("--id", "source_id", callback=_checked(importer.check_id),
              help="The source id (default: the front matter's, else the file name as a slug).")
@click.option("--title", help="The article's title (default: the front matter's, or the page's <title>/<h1>).")
@click.option("--publisher", help="Who published it.")
@click.option("--author", help="Who wrote it.")
@click.option("--url", help="Where it was published.")
@click.option("--published", callback=_checked(importer.check_date),
              help="Publication date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--language", help="Language of the text (default: en).")
@click.option("--replace", is_flag=True,
              help="Replace the dataset's source with this id; refused if a passage cited as evidence would be lost.")
def import_source_command(
    file: Path, dataset_id: str, source_id: str | None, replace: bool, **metadata: str | None
) -> None:
    """Add an article (.md with front matter, .txt or .html) to a dataset; list the known actors it mentions.

    The options give or override the file's own metadata. Nothing is written if anything is wrong."""
    _require_schema()
    overrides = {key: value for key, value in {"id": source_id, **metadata}.items() if value is not None}
    try:
        with get_database().transaction() as session:
            report = articles.import_file(session, file, dataset_id, overrides=overrides, replace=replace)
    except importer.ImportRefused as error:
        _print_problems(error.problems)
        raise click.ClickException(f"{error.reason}: nothing was imported") from None
    click.echo(report.summary())
    if not report.mentions:
        click.echo(f"it mentions none of the actors of dataset '{dataset_id}'")
    else:
        click.echo(f"it mentions {len(report.mentions)} actor(s) of dataset '{dataset_id}':")
    for actor in report.mentions:
        click.echo(f"  {actor.name} [{actor.actor_id}]: {actor.count} mention(s), "
                   f"first in paragraph {actor.paragraph}: “{actor.sentence}”")
    if report.replaced and report.changed:
        with get_database().session() as session:
            orphans = notes_service.orphaned_count(session)
        if orphans:
            click.echo(f"{orphans} note(s) have lost their target and are kept as orphaned: see /notes?orphaned=1")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input (expected one line)")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _when(value: dt.datetime | None) -> str:
    return accounts.as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@contextmanager
def _account_errors() -> Iterator[None]:
    try:
        yield
    except accounts.AccountError as error:
        raise click.ClickException(error.message) from None


@contextmanager
def _accounts_transaction() -> Iterator[Session]:
    """One transaction for a users command: bad input becomes a click error and nothing is written."""
    _require_schema()
    with _account_errors(), get_database().transaction() as session:
        yield session


_role_option = click.Choice(ROLES)
_password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=_role_option, default="viewer", show_default=True, help="What the user may do.")
@_password_stdin
def users_create(name: str, role: str, password_stdin: bool) -> None:
    """Create a user NAME (the password is asked for twice, or read from standard input)."""
    # Refuse a bad or taken name before asking for a password (checked again when writing).
    _require_schema()
    with _account_errors(), get_database().session() as session:
        accounts.validate_name(name)
        existing = accounts.find_user(session, name)
        if existing is not None:
            raise click.ClickException(f"a user named {existing.name!r} already exists")
    password = _read_password(password_stdin)
    with _accounts_transaction() as session:
        user = accounts.create_user(session, name, password, role)
        click.echo(f"created user {user.name} ({user.role})")


@users_cli.command("list")
def users_list() -> None:
    """List the users with their roles."""
    with _accounts_transaction() as session:
        users = accounts.list_users(session)
        if not users:
            click.echo("no users yet: create one with `flask --app webapp users create NAME --role admin`")
        for user in users:
            active = sum(1 for token in user.tokens if token.revoked_at is None)
            click.echo(f"{user.name:<24} {user.role:<7} created {_when(user.created)}  {active} active token(s)")


@users_cli.command("set-role")
@click.argument("name")
@click.argument("role", type=_role_option)
def users_set_role(name: str, role: str) -> None:
    """Give user NAME the role ROLE (from their next request)."""
    with _accounts_transaction() as session:
        user = accounts.set_role(session, name, role)
        click.echo(f"{user.name} is now {user.role}")


@users_cli.command("set-password")
@click.argument("name")
@_password_stdin
def users_set_password(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; this logs them out everywhere (API tokens keep working)."""
    password = _read_password(password_stdin)
    with _accounts_transaction() as session:
        user = accounts.set_password(session, name, password)
        click.echo(f"new password set for {user.name}; their sessions have ended")


@users_cli.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for (shown by `users tokens`).")
def users_token(name: str, label: str) -> None:
    """Print a new API token for NAME. It is shown only this once: only its hash is kept."""
    with _accounts_transaction() as session:
        issued = accounts.issue_token(session, name, label)
    click.echo(f"API token {issued.id} for {issued.user_name} (shown once; send it as "
               "'Authorization: Bearer <token>'):", err=True)
    click.echo(issued.token)


@users_cli.command("tokens")
@click.argument("name")
def users_tokens(name: str) -> None:
    """List NAME's API tokens: id, label, created, last used, revoked."""
    with _accounts_transaction() as session:
        tokens = accounts.list_tokens(session, name)
        if not tokens:
            click.echo(f"{name} has no API tokens")
        for token in tokens:
            state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active"
            click.echo(f"{token.id:>5}  {token.label or '-':<24} created {_when(token.created)}  "
                       f"last used {_when(token.last_used)}  {state}")


@users_cli.command("revoke-token")
@click.argument("token_id", type=int)
def users_revoke_token(token_id: int) -> None:
    """Revoke the API token TOKEN_ID (see `users tokens NAME`); requests using it get 401."""
    with _accounts_transaction() as session:
        token, was_active = accounts.revoke_token(session, token_id)
        owner = token.user.name
    click.echo(f"revoked token {token_id} of {owner}" if was_active else f"token {token_id} was already revoked")


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup_command(file: Path) -> None:
    """Write a consistent snapshot of the whole database to FILE (the app may keep running)."""
    try:
        summary = backup_service.backup(get_database(), file)
    except backup_service.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up {summary} to {file}")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Put the backup in place of what the database holds now.")
def restore_command(file: Path, replace: bool) -> None:
    """Restore FILE (from `backup`) into an empty database, then migrate it to the latest schema."""
    try:
        summary = backup_service.restore(get_database(), file, replace=replace)
    except backup_service.BackupError as error:
        raise click.ClickException(f"{error}; nothing was changed") from None
    click.echo(f"restored {summary}; database at revision {migrate.current_revision(get_database())}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    for command in (validate_command, load_command, export_command, import_annotations_command,
                    import_source_command, backup_command, restore_command):
        app.cli.add_command(command)

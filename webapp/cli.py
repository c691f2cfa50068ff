"""Flask CLI commands (SPEC §4): thin wrappers over the datasets package and services."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import get_database, migrate
from .datasets.exporter import UnknownDataset, export_dataset
from .datasets.loader import DatasetInvalid, load_directory
from .datasets.reader import read_dataset
from .models import Dataset

db_cli = AppGroup("db", help="Create or migrate the database schema (Alembic).")


def _require_schema() -> None:
    database = get_database()
    if not database.has_schema():
        raise click.ClickException("the database has no schema yet: run `flask --app webapp db upgrade` first")
    if migrate.current_revision(database) != migrate.head_revision():
        raise click.ClickException("the database schema is out of date: run `flask --app webapp db upgrade`")


def _print_problems(problems: list) -> None:  # type: ignore[type-arg]
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
def db_downgrade(revision: str) -> None:
    """Migrate the schema back to REVISION ('base' removes it)."""
    migrate.downgrade(get_database(), revision)
    click.echo(f"database at revision {migrate.current_revision(get_database())}")


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
def load_command(directory: Path) -> None:
    """Validate a dataset directory and load it in one transaction (nothing is written if invalid)."""
    _require_schema()
    try:
        with get_database().transaction() as session:
            report = load_directory(session, directory)
    except DatasetInvalid as error:
        _print_problems(error.problems)
        raise click.ClickException(f"{len(error.problems)} problem(s): nothing was loaded") from None
    click.echo(report.summary())


@click.command("export")
@with_appcontext
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--dataset", "dataset_id", help="Export only this dataset (default: every dataset).")
def export_command(directory: Path, dataset_id: str | None) -> None:
    """Write datasets back out in the seeds/ format, one sub-directory per dataset."""
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


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    for command in (validate_command, load_command, export_command):
        app.cli.add_command(command)

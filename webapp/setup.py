"""First run: create the schema and load the bundled datasets into an empty database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from . import faults, migrate
from .datasets.loader import load_directory
from .models import Dataset
from .services import network


def seed_directories(seeds_dir: str | Path) -> list[Path]:
    """Each dataset directory under seeds/ (a directory with a dataset.yaml)."""
    root = Path(seeds_dir)
    return sorted(p.parent for p in root.glob("*/dataset.yaml")) if root.is_dir() else []


def ensure_ready(app: Flask) -> None:
    """Migrate to the latest schema; on an empty database, load the bundled seeds."""
    database = app.extensions["database"]
    try:
        migrate.upgrade(database)
        with database.session() as session:
            empty = session.scalar(select(Dataset.id).limit(1)) is None
    except SQLAlchemyError as error:
        fault = faults.classify(error)
        if fault is None:
            raise
        # Start anyway: pages say what is wrong (503) and work again once the database is back.
        click.echo(f"first run: setup skipped: {fault.message}", err=True)
        return
    if not empty:
        return
    for directory in seed_directories(app.config["SEEDS_DIR"]):
        with database.transaction() as session:
            report = load_directory(session, directory)
            network.after_load(session, changed=report.changed)
        click.echo(f"first run: {report.summary()}", err=True)

"""How sure are we, and who says so: independent sources per claim, and contested pairs.

- A *republication* is a source whose sentences are at least 80 % those of an earlier source from
  another outlet (the rule is ``text/overlap.py``'s). ``datasets/republications.py`` stores, on each
  source of a dataset, the original it republishes, whenever the dataset's sources change (a load,
  an import, a replaced text); a claim's *independent sources* are then its sources with every
  republication counted as its original (``filters.ORIGINAL`` in SQL, ``independent`` here).
- A pair of actors is *contested* when its non-structural relations carry evidence of both signs
  in overlapping time: ``contested_relations`` names the relations that take part, for the graph,
  the panels and the analysis alike (``explorer.contest`` sets a contested pair's passages side by side).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dates import PartialDate
from ..models import Source


def originals(session: Session, passages: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """For the passages' sources that are republications: source id → its original (id, title, publisher)
    and the share of its sentences found there."""
    ids = {p["source"] for p in passages}
    if not ids:
        return {}
    copies = session.execute(select(Source.id, Source.republished_from, Source.republished_share)
                             .where(Source.id.in_(ids), Source.republished_from.is_not(None))).all()
    titles = dict(session.execute(select(Source.id, Source.title).where(
        Source.id.in_({c.republished_from for c in copies}))).all()) if copies else {}
    return {c.id: {"id": c.republished_from, "title": titles.get(c.republished_from, c.republished_from),
                   "share": c.republished_share} for c in copies}


def of_source(session: Session, source_id: str) -> dict[str, Any]:
    """For the reader: the original this source republishes (with the share found there), and the
    sources that republish it."""
    row = session.execute(select(Source.republished_from, Source.republished_share)
                          .where(Source.id == source_id)).one_or_none()
    original = None
    if row is not None and row.republished_from:
        title = session.scalar(select(Source.title).where(Source.id == row.republished_from))
        original = {"id": row.republished_from, "title": title or row.republished_from, "share": row.republished_share}
    copies = [{"id": c.id, "title": c.title, "publisher": c.publisher, "share": c.republished_share}
              for c in session.execute(select(Source.id, Source.title, Source.publisher, Source.republished_share)
                                       .where(Source.republished_from == source_id).order_by(Source.published_first,
                                                                                           Source.id))]
    return {"original": original, "copies": copies}


def independent(passages: list[dict[str, Any]], copies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A claim's passages and independent sources; each passage of a republication is labelled with
    its original (``republished_from``)."""
    for passage in passages:
        passage["republished_from"] = copies.get(passage["source"])
    return {"passages": len(passages), "independent_sources": len({p["source_original"] for p in passages}),
            "republished": sum(1 for p in passages if p["republished_from"])}


def annotate(session: Session, claims: Iterable[dict[str, Any]]) -> None:
    """Give each relation or event (with its ``evidence``) its ``corroboration``, in one query."""
    claims = list(claims)
    copies = originals(session, (p for claim in claims for p in claim["evidence"]))
    for claim in claims:
        claim["corroboration"] = independent(claim["evidence"], copies)


# --- Contested pairs ----------------------------------------------------------------------------

# Few distinct dates among many relations: each stored bound is parsed once (a pure function of the text).
@functools.lru_cache(maxsize=1 << 14)
def _first_day(text: str | None) -> dt.date:
    return PartialDate.parse(text).first if text else dt.date.min


@functools.lru_cache(maxsize=1 << 14)
def _last_day(text: str | None) -> dt.date:
    return PartialDate.parse(text).last if text else dt.date.max


def _span(relation: dict[str, Any]) -> tuple[dt.date, dt.date]:
    return _first_day(relation.get("start") or None), _last_day(relation.get("end") or None)


def contested_relations(relations: Iterable[dict[str, Any]]) -> set[str]:
    """The ids of the cooperative and adversarial relations that meet one of the other sign between the
    same two actors (either direction) in overlapping time. Undated bounds are open."""
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for relation in relations:
        a, b = relation["from"], relation["to"]
        if relation["sign"] == 0 or a == b:
            continue
        by_pair.setdefault((a, b) if a < b else (b, a), []).append(relation)
    found: set[str] = set()
    for group in by_pair.values():
        if len(group) < 2 or len({r["sign"] for r in group}) < 2:
            continue        # one sign only: nothing to date (the common case, and the cheap one)
        positive = [(r["id"], _span(r)) for r in group if r["sign"] > 0]
        negative = [(r["id"], _span(r)) for r in group if r["sign"] < 0]
        for p_id, (p_first, p_last) in positive:
            for n_id, (n_first, n_last) in negative:
                if p_first <= n_last and n_first <= p_last:
                    found.update((p_id, n_id))
    return found

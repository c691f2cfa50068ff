"""The names by which a dataset's actors are known, as the mention finder takes them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Actor, ActorAlias


def actor_names(session: Session, dataset_id: str | None = None) -> dict[str, str]:
    """Every name and alias of every actor (or of one dataset's) → the actor's id (longest names win on overlap)."""
    actors = select(Actor.id, Actor.name)
    aliases = select(ActorAlias.actor_id, ActorAlias.name)
    if dataset_id is not None:
        actors = actors.where(Actor.dataset_id == dataset_id)
        aliases = aliases.join(Actor).where(Actor.dataset_id == dataset_id)
    names: dict[str, str] = {}
    for actor_id, name in session.execute(actors):
        names.setdefault(name, actor_id)
    for actor_id, alias in session.execute(aliases):
        names.setdefault(alias, actor_id)
    return names

"""The explorer's pages: network, panels, timeline, reader, list. One URL, two renderings.

Every page renders in full for a normal request and as just its fragment for
htmx, from the same partial template; the view state (selection, date,
filters, timeline zoom) always lives in the query string.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pyvis
from flask import Blueprint, abort, current_app, render_template, request, send_from_directory, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from .. import get_session, json_cache
from ..datasets.vocabulary import SIGN_NAMES, SIGN_SYMBOLS
from ..models import VOICE_LABELS, VOICE_TITLES, VOICES
from ..services import explorer as explorer_service
from ..services import annotations as notes_service
from ..services import corroboration, filters, network, pages, records, timeline, timeline_layout
from ..services.filters import FilterError
from ..services.graph import data_revision
from ..datasets.names import actor_names
from ..services.passages import article_segments
from ..services import articles as articles_service
from ..services.records import NotFound
from ..text.sentences import sentence_spans
from .annotations import caller
from .common import is_htmx

bp = Blueprint("explorer", __name__)
T = TypeVar("T")


@bp.record_once
def _vocabulary(state: BlueprintSetupState) -> None:
    """Names the templates show for signs and voices, from the one place that defines them.

    Jinja globals rather than a context processor, so imported macros see them too.
    """
    state.app.jinja_env.globals.update(
        SIGN_NAMES=SIGN_NAMES, SIGN_SYMBOLS=SIGN_SYMBOLS, VOICE_LABELS=VOICE_LABELS, VOICE_TITLES=VOICE_TITLES,
        VOICES=VOICES,
    )

VIS_DIR = Path(pyvis.__file__).parent / "lib" / "vis-9.1.2"
STATE_KEYS = filters.PARAMETERS + ("select", "group", "t_from", "t_to", "t_page", "q")


def view_state(**changes: str | None) -> dict[str, str]:
    """The current view state from the URL, with some keys changed (None removes one)."""
    state = {k: ",".join(request.args.getlist(k)) for k in STATE_KEYS if request.args.get(k)}
    for key, value in changes.items():
        if value:
            state[key] = value
        else:
            state.pop(key, None)
    return state


def _render(partial: str, page: str, **context: Any):  # type: ignore[no-untyped-def]
    """The fragment for htmx, the full page otherwise, from the same partial."""
    context.setdefault("state", view_state())
    context.setdefault("state_url", state_url)
    if is_htmx():
        return render_template(partial, **context)
    return render_template(page, partial=partial, **context)


def state_url(endpoint: str = "explorer.index", **changes: str | None) -> str:
    params: dict[str, Any] = view_state(**changes)
    return url_for(endpoint, **params)


def _selection() -> tuple[str, str] | None:
    raw = request.args.get("select", "")
    kind, _, ident = raw.partition(":")
    if not raw:
        return None
    if kind not in ("actor", "relation", "event") or not ident:
        raise FilterError("select", f"'select' must look like actor:ID, relation:ID or event:ID, not {raw!r}")
    return kind, ident


def _panel(kind: str, ident: str, view: filters.ViewFilter) -> dict[str, Any]:
    return explorer_service.panel(get_session(), kind, ident, view, caller(),
                                  relations_page=pages.page_number(request.args, "rel_page"))


@bp.get("/vendor/vis-network/<path:filename>")
def vis_asset(filename: str):  # type: ignore[no-untyped-def]
    """vis-network as shipped inside the installed pyvis package (SPEC §7)."""
    if filename not in ("vis-network.min.js", "vis-network.css"):
        abort(404)
    return send_from_directory(VIS_DIR, filename, max_age=86400)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    view = filters.parse(session, request.args)
    selection = _selection()
    query = request.args.get("q", "").strip()
    if query and selection is None:
        found = explorer_service.find_actor(session, query)
        if found:
            selection = ("actor", found)
    context = explorer_service.page_context(session, view)
    document = _network_document(session, view)
    context["network"] = {"meta": document.meta, "inline": json_cache.script_json(document.body)
                          if len(document.body) <= INLINE_NETWORK_BYTES else None}
    context["timeline"] = _timeline_context(view)
    context["selection"] = selection
    context["panel"], context["missing"] = None, None
    if selection:
        try:
            context["panel"] = _panel(*selection, view)
        except NotFound:
            # A link to a record deleted or merged since: the explorer still opens, and says so.
            context["missing"] = selection
    context["search"] = query
    return render_template("explorer.html", state=view_state(), state_url=state_url, **context)


# Up to this size the explorer page carries its network in the HTML (one request fewer); a larger one
# the page's script fetches from network.json, where it is compressed and cached.
INLINE_NETWORK_BYTES = 256 * 1024


def _recent(kind: str, view: filters.ViewFilter, compute: Callable[[], T], *more: str) -> T:
    """``compute()`` once per data revision, filter (and ``more`` of the request) in this process (the
    revision is read each request)."""
    cache: json_cache.RecentValues = current_app.extensions["recent_values"]
    return cache.get((kind, data_revision(get_session()), view.cache_key(), *more), compute)


def _network_key(view: filters.ViewFilter) -> tuple[str, ...]:
    return ("network", data_revision(get_session()), view.cache_key())


def _network_document(session: Session, view: filters.ViewFilter) -> json_cache.Document:
    """The drawn network under the filter: built and serialised once per data revision and filter."""
    cache: json_cache.JsonCache = current_app.extensions["json_cache"]
    return cache.document(_network_key(view), lambda: network.vis_network(session, view))


@bp.get("/explorer/actor-names")
def actor_suggestions():  # type: ignore[no-untyped-def]
    """The options of the "Find an actor" suggestions, fetched when the box is first used (many actors)."""
    session = get_session()
    actors = _recent("actor-choices", filters.ViewFilter(), lambda: explorer_service.actor_choices(session))
    return render_template("_partials/actor_names.html", actors=actors)


@bp.get("/explorer/network.json")
def network_json():  # type: ignore[no-untyped-def]
    session = get_session()
    view = filters.parse(session, request.args)
    return json_cache.respond(current_app.extensions["json_cache"], request, _network_key(view),
                              lambda: network.vis_network(session, view))


def _timeline_context(view: filters.ViewFilter) -> dict[str, Any]:
    session = get_session()
    group = request.args.get("group", "type")
    if group not in ("type", "actor"):
        raise FilterError("group", f"'group' must be 'type' or 'actor', not {group!r}")
    # The timeline shows every interval (the "as of" line marks the date) so the
    # user sees what begins and ends around it; the other filters still apply.
    unfiltered = MultiDict({k: v for k, v in request.args.items() if k not in ("at", "from", "to")})
    all_time = filters.parse(session, unfiltered)
    data = _recent("timeline", all_time, lambda: timeline.timeline(session, all_time))
    names = _recent("names", all_time, lambda: explorer_service.names(session))
    page = pages.page_number(request.args, "t_page")
    zoom = (request.args.get("t_from", ""), request.args.get("t_to", ""))
    layout = _recent("timeline-layout", view, lambda: timeline_layout.build(
        data["items"], view, request.args, group, names, data["period"], page=page), group, *zoom, str(page))
    first_year, last_year = int(layout.zoom["t_from"]), int(layout.zoom["t_to"])
    months = timeline_layout.month_steps(first_year, last_year)
    at = str(view.at)[:7] if view.at else None
    return {
        "layout": layout, "group": group, "months": months, "stops": timeline_layout.play_stops(data["items"]),
        "slider_index": months.index(at) if at in months else len(months) - 1,
        "at": str(view.at) if view.at else "",
        **timeline_layout.navigation(first_year, last_year),
    }


@bp.get("/timeline")
def timeline_page():  # type: ignore[no-untyped-def]
    session = get_session()
    view = filters.parse(session, request.args)
    # The full page has the site header (dataset, sources); a fragment for htmx needs none of it.
    page = {} if is_htmx() else explorer_service.page_context(session, view)
    return _render("_partials/timeline.html", "timeline.html", timeline=_timeline_context(view), **page)


def _record_page(kind: str, ident: str):  # type: ignore[no-untyped-def]
    view = filters.parse(get_session(), request.args)
    return _render("_partials/panel.html", "panel_page.html", panel=_panel(kind, ident, view))


@bp.get("/actors/<actor_id>")
def actor(actor_id: str):  # type: ignore[no-untyped-def]
    return _record_page("actor", actor_id)


@bp.get("/relations/<relation_id>")
def relation(relation_id: str):  # type: ignore[no-untyped-def]
    return _record_page("relation", relation_id)


@bp.get("/events/<event_id>")
def event(event_id: str):  # type: ignore[no-untyped-def]
    return _record_page("event", event_id)


@bp.get("/sources/<source_id>")
def source(source_id: str):  # type: ignore[no-untyped-def]
    session = get_session()
    data = records.source_detail(session, source_id)
    data["has_original"] = articles_service.has_original(session, source_id)
    data["republication"] = corroboration.of_source(session, source_id)
    spans = [(p["id"], p["start"], p["end"]) for p in data["passages"]]
    notes = notes_service.view_models(session, caller(), notes_service.search(session, caller(), source=source_id))
    noted = [(n["id"], n["start"], n["end"]) for n in notes if n["anchor"] != "orphaned"]
    segments = article_segments(data["text"], spans, actor_names(session), noted)
    # For the keyboard: the reader moves from sentence to sentence (arrow keys) and acts on one (Enter).
    sentences = " ".join(f"{start}-{end}" for start, end in sentence_spans(data["text"]))
    supports = explorer_service.passage_supports(session, data["passages"])
    return _render("_partials/reader.html", "reader.html", source=data, segments=segments, supports=supports,
                   sentences=sentences,
                   notes=sorted(notes, key=lambda n: (n["anchor"] == "orphaned", n["start"] or 0)),
                   caller=caller())


LIST_PAGE_SIZE = 200


@bp.get("/list")
def list_view():  # type: ignore[no-untyped-def]
    session = get_session()
    view = filters.parse(session, request.args)
    selection = _selection()
    context = explorer_service.page_context(session, view)
    # Each table a page at a time (the seed's fit on one page, with no pager); the other table's page is kept.
    numbers = {name: pages.page_number(request.args, name) for name in ("actors_page", "relations_page")}
    actors = _recent("list-actors", view, lambda: records.list_actors(session, view))
    relations = _recent("list-relations", view, lambda: explorer_service.relation_rows(session, view))
    context["actor_page"] = pages.page_of(actors, numbers["actors_page"], LIST_PAGE_SIZE)
    context["relation_page"] = pages.page_of(relations, numbers["relations_page"], LIST_PAGE_SIZE)
    context["panel"] = _panel(*selection, view) if selection else None

    def page_url(name: str) -> Callable[[int], str]:
        kept = {key: str(number) for key, number in numbers.items() if number > 1}
        return lambda number: state_url("explorer.list_view", **{**kept, name: str(number) if number > 1 else None})

    return render_template("list.html", state=view_state(), state_url=state_url, page_url=page_url, **context)


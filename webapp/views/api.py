"""The read-only JSON API (SPEC §5): thin wrappers over the services."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from .. import get_session, json_cache
from .. import openapi as openapi_document
from ..jsonio import json_response
from ..services import analysis, filters, graph, pages, records, timeline

bp = Blueprint("api", __name__, url_prefix="/api")


def _view() -> filters.ViewFilter:
    return filters.parse(get_session(), request.args)


@bp.get("/graph")
def graph_json():  # type: ignore[no-untyped-def]
    session = get_session()
    view = _view()
    # Built, serialised and compressed once per data revision and filter; a client that has it gets a 304.
    key = ("graph", graph.data_revision(session), view.cache_key())
    return json_cache.respond(current_app.extensions["json_cache"], request, key, lambda: graph.graph(session, view))


@bp.get("/actors")
def actors():  # type: ignore[no-untyped-def]
    view = _view()
    items = records.list_actors(get_session(), view)
    return json_response({"actors": items, "meta": {"count": len(items), "filter": view.query()}})


@bp.get("/actors/<actor_id>")
def actor(actor_id: str):  # type: ignore[no-untyped-def]
    return json_response(records.actor_detail(get_session(), actor_id, _view()))


@bp.get("/relations/<relation_id>")
def relation(relation_id: str):  # type: ignore[no-untyped-def]
    return json_response(records.relation_detail(get_session(), relation_id))


@bp.get("/events")
def events():  # type: ignore[no-untyped-def]
    view = _view()
    items = records.list_events(get_session(), view)
    return json_response({"events": items, "meta": {"count": len(items), "filter": view.query()}})


@bp.get("/events/<event_id>")
def event(event_id: str):  # type: ignore[no-untyped-def]
    return json_response(records.event_detail(get_session(), event_id))


@bp.get("/timeline")
def timeline_json():  # type: ignore[no-untyped-def]
    return json_response(timeline.timeline(get_session(), _view()))


@bp.get("/sources")
def sources():  # type: ignore[no-untyped-def]
    view = _view()
    items = records.list_sources(get_session(), view)
    return json_response({"sources": items, "meta": {"count": len(items), "filter": view.query()}})


@bp.get("/sources/<source_id>")
def source(source_id: str):  # type: ignore[no-untyped-def]
    return json_response(records.source_detail(get_session(), source_id))


@bp.get("/analysis/balance")
def balance():  # type: ignore[no-untyped-def]
    view = _view()
    body = analysis.balance(get_session(), view, page=pages.page_number(request.args, "triads_page"),
                            recent=current_app.extensions["recent_values"])
    following = body["triads_page"]["next"]
    query: dict[str, Any] = {**view.query(), "triads_page": str(following)}
    body["next"] = url_for("api.balance", **query) if following else None
    return json_response(body)


@bp.get("/analysis/brokers")
def brokers():  # type: ignore[no-untyped-def]
    view = _view()
    items = analysis.brokers(get_session(), view)
    return json_response({"brokers": items, "meta": {"count": len(items), "filter": view.query()}})


@bp.get("/analysis/diff")
def diff():  # type: ignore[no-untyped-def]
    session = get_session()
    view = _view()
    comparison = analysis.parse_comparison(request.args) or analysis.default_comparison(session, view)
    if comparison is None:
        return json_response({"before": None, "after": None, "appeared": [], "ended": [], "sign_changed": []})
    return json_response(analysis.diff(session, view, *comparison))


@bp.get("/analysis/over-time")
def over_time():  # type: ignore[no-untyped-def]
    view = _view()
    return json_response({"points": analysis.balance_over_time(get_session(), view), "meta": {"filter": view.query()}})


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    """The API's OpenAPI 3.1 document, generated from the routes and the declarations they use."""
    return json_response(_openapi_document())


@bp.get("/reference")
def reference():  # type: ignore[no-untyped-def]
    """The API reference, read from the same document (a page, served locally, no scripts)."""
    return render_template("api_reference.html", doc=_openapi_document())


def _openapi_document() -> dict[str, Any]:
    app = current_app
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = openapi_document.document(app)
    document: dict[str, Any] = app.extensions["openapi"]
    return document

"""The analysis page: tensions (unbalanced triangles) with their evidence, brokers, camps, change over time."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import get_session, json_cache
from ..services import analysis, explorer as explorer_service, filters, pages
from .common import is_htmx
from .explorer import INLINE_NETWORK_BYTES, _network_document, state_url, view_state

bp = Blueprint("analysis", __name__)

# A ``select`` value URL encoding leaves as it is (ids are slugs), and a stand-in for one.
_PLAIN = re.compile(r"[A-Za-z0-9_.~:/-]+")
_MARK = "\ue000"


def _links() -> Callable[..., str]:
    """``state_url`` for this request's many links (thousands of actors in the camps and frustrated pairs):
    the view state read once, and a link that differs only in its ``select`` cut from one built URL."""
    state = view_state()
    around: dict[str, list[str]] = {}

    def link(endpoint: str = "explorer.index", **changes: str | None) -> str:
        select = changes.get("select")
        if len(changes) == 1 and select and _PLAIN.fullmatch(select):
            if endpoint not in around:
                mark = url_for(endpoint, select=_MARK).rpartition("=")[2]
                params: dict[str, Any] = {**state, "select": _MARK}
                around[endpoint] = url_for(endpoint, **params).split(mark)
            parts = around[endpoint]
            if len(parts) == 2:
                return parts[0] + select + parts[1]
        return state_url(endpoint, **changes)

    return link


def _tension_url(number: int) -> str:
    return state_url("analysis.page", tensions_page=str(number) if number > 1 else None)


@bp.get("/analysis")
def page():  # type: ignore[no-untyped-def]
    if request.args.get("q"):
        # The filter bar's actor search selects an actor: that is the explorer's job.
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("explorer.index", **args))
    session = get_session()
    view = filters.parse(session, request.args)
    number = pages.page_number(request.args, "tensions_page")
    recent: json_cache.RecentValues = current_app.extensions["recent_values"]
    with analysis.collector.paused():  # a large network's analysis and page: see ``analysis.collector``
        if is_htmx() and "tensions_page" in request.args:
            # The pager under the tensions swaps just the list.
            response = current_app.make_response(render_template(
                "_partials/tensions.html", state=view_state(), state_url=_links(), tension_url=_tension_url,
                **analysis.tension_page(session, view, number, recent=recent)))
        else:
            comparison = analysis.parse_comparison(request.args)
            context = explorer_service.page_context(session, view)
            context.update(analysis.page(session, view, comparison, number, recent=recent))
            # The same document the explorer draws (built once per revision and filter); a large one is fetched.
            document = _network_document(session, view)
            context["network"] = {"inline": json_cache.script_json(document.body)
                                  if len(document.body) <= INLINE_NETWORK_BYTES else None}
            response = current_app.make_response(render_template(
                "analysis.html", state=view_state(), state_url=_links(), tension_url=_tension_url, **context))
    response.vary.add("HX-Request")
    return response

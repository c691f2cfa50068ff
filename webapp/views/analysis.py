"""The analysis page: tensions (unbalanced triangles) with their evidence, brokers, camps, change over time."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import get_session, json_cache
from ..services import analysis, explorer as explorer_service, filters, pages
from .common import is_htmx
from .explorer import INLINE_NETWORK_BYTES, _network_document, state_url, view_state

bp = Blueprint("analysis", __name__)


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
    if is_htmx() and "tensions_page" in request.args:
        # The pager under the tensions swaps just the list.
        response = current_app.make_response(render_template(
            "_partials/tensions.html", state=view_state(), state_url=state_url, tension_url=_tension_url,
            **analysis.tension_page(session, view, number)))
    else:
        comparison = analysis.parse_comparison(request.args)
        context = explorer_service.page_context(session, view)
        context.update(analysis.page(session, view, comparison, number))
        # The same document the explorer draws (built once per revision and filter); a large one is fetched.
        document = _network_document(session, view)
        context["network"] = {"inline": json_cache.script_json(document.body)
                              if len(document.body) <= INLINE_NETWORK_BYTES else None}
        response = current_app.make_response(render_template(
            "analysis.html", state=view_state(), state_url=state_url, tension_url=_tension_url, **context))
    response.vary.add("HX-Request")
    return response

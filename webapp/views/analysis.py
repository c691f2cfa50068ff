"""The analysis page: tensions (unbalanced triangles) with their evidence, brokers, camps, change over time."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from .. import get_session
from ..services import analysis, explorer as explorer_service, filters, network
from .explorer import state_url, view_state

bp = Blueprint("analysis", __name__)


@bp.get("/analysis")
def page():  # type: ignore[no-untyped-def]
    if request.args.get("q"):
        # The filter bar's actor search selects an actor: that is the explorer's job.
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("explorer.index", **args))
    session = get_session()
    view = filters.parse(session, request.args)
    comparison = analysis.parse_comparison(request.args)
    context = explorer_service.page_context(session, view)
    context.update(analysis.page(session, view, comparison))
    context["network"] = network.vis_network(session, view)
    return render_template("analysis.html", state=view_state(), state_url=state_url, **context)

"""Downloads of the filtered network (SPEC §5 ``/export/graph.*``) for Gephi, Cytoscape and spreadsheets,
and its picture (``/export/network.svg``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for

from .. import get_session
from ..services import exports, filters
from ..services import network_image as network_image_service

bp = Blueprint("exports", __name__, url_prefix="/export")


@bp.get(f"/graph.<any({', '.join(exports.FORMATS)}):fmt>")
def graph(fmt: str) -> Response:
    session = get_session()
    return _download(exports.export_graph(session, filters.parse(session, request.args), fmt))


@bp.get("/network.svg")
def network_image() -> Response:
    """The network as drawn, with legend, date and sources; the page rasterises it for *Image → PNG*."""
    session = get_session()
    return _download(network_image_service.network_svg(session, filters.parse(session, request.args)))


def _download(export: exports.Export) -> Response:
    response = Response(export.body, mimetype=export.media_type)
    # The name is made of [A-Za-z0-9._-] only (see exports.filename), so plain quoting is safe.
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@bp.app_template_global()
def export_url(fmt: str) -> str:
    """The download link for the current page's filters (the other view state is left out)."""
    args: dict[str, Any] = {k: ",".join(request.args.getlist(k)) for k in filters.PARAMETERS if request.args.get(k)}
    if fmt == "svg":
        return url_for("exports.network_image", **args)
    return url_for("exports.graph", fmt=fmt, **args)

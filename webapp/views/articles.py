"""Adding an article in the browser (editors): upload or paste, check what was read, confirm.

Uploads have their own size limit (``WEBAPP_MAX_UPLOAD_BYTES``, 10 MB by default), set on the
request before the form is parsed; everything else keeps the API's 1 MB. Every rule is in
``services.articles``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Request, current_app, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from .. import get_database, get_session
from ..models import Dataset
from ..services import articles, search
from ..services.access import ServiceError, require_writer
from ..services.records import NotFound
from .common import caller, is_htmx

bp = Blueprint("articles", __name__)

METADATA = ("id", "title", "author", "publisher", "url", "published", "language")
# The dataset choice that creates one, with a title and blocs given in the form.
NEW = "__new__"


def _new_dataset_form() -> dict[str, str]:
    return {"title": request.form.get("new_title", "").strip(), "blocs": request.form.get("new_blocs", "")}


def _datasets() -> list[Any]:
    return list(get_session().execute(select(Dataset.id, Dataset.title).order_by(Dataset.title)))


def _page(template: str, status: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    context.setdefault("datasets", _datasets())
    context.setdefault("limit", current_app.config["MAX_UPLOAD_BYTES"])
    return render_template("article_new.html", part=template, **context), status


@bp.get("/sources/new")
def new():  # type: ignore[no-untyped-def]
    require_writer(caller(), "add articles")
    return _page("upload", dataset_id=request.args.get("dataset", ""), form={})


def _overrides() -> dict[str, str]:
    return {key: request.form.get(key, "").strip() for key in METADATA if request.form.get(key, "").strip()}


@bp.post("/sources/new")
def receive():  # type: ignore[no-untyped-def]
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        return _page("upload", 413, form={}, dataset_id="",
                     error=f"the upload is larger than {limit:,} bytes (WEBAPP_MAX_UPLOAD_BYTES)")
    dataset_id = form.get("dataset", "")
    new_dataset = dataset_id == NEW
    upload = files.get("file")
    pasted = form.get("text", "")
    title = form.get("title", "").strip()
    overrides = {"title": title} if title else {}    # a plain-text article has no title of its own
    if upload is not None and upload.filename:
        try:
            raw, filename = upload.read(limit + 1), upload.filename
        finally:
            upload.close()      # a large upload is spooled to a temporary file: close it at once
    elif pasted.strip():
        raw = pasted.encode("utf-8")
        filename = articles.paste_filename(form.get("format", "text"), title)
    else:
        return _page("upload", 422, form=form, dataset_id=dataset_id,
                     error="choose a file to upload, or paste the article's text")
    try:
        with get_database().transaction() as session:
            if new_dataset and not form.get("new_title", "").strip():
                raise articles.ArticleRefused(["give the new dataset a title"])
            preview = articles.receive(session, caller(), raw, filename, None if new_dataset else dataset_id,
                                       limit=limit, overrides=overrides)
            context: dict[str, Any] = {"preview": preview, "metadata": preview.metadata,
                                       "mentions": preview.mentions, "new": _new_dataset_form() if new_dataset
                                       else None}
    except ServiceError as error:
        return _page("upload", 422 if error.status == 400 else error.status, form=form, dataset_id=dataset_id,
                     error=error.message, problems=getattr(error, "problems", []))
    return _page("preview", **context)


@bp.post("/sources/new/<upload_id>")
def confirm(upload_id: str):  # type: ignore[no-untyped-def]
    overrides = _overrides()
    new = _new_dataset_form()
    try:
        with get_database().transaction() as session:
            report = articles.confirm(session, caller(), upload_id, overrides,
                                      articles.NewDataset(new["title"], new["blocs"]) if new["title"] else None)
    except ServiceError as error:
        with get_database().session() as session:
            try:
                preview = articles.preview_again(session, caller(), upload_id, {})
            except ServiceError:
                return _page("upload", 422, form={}, dataset_id="", error=error.message)
            return _page("preview", 422, preview=preview, metadata={**preview.metadata, **overrides},
                         new=new if new["title"] else None,
                         mentions=preview.mentions, error=error.message, problems=getattr(error, "problems", []))
    target = url_for("explorer.source", source_id=report.source_id, added=1)
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, 303)


def upload_limits(request_: Request, limit: int) -> None:
    """This form may carry a whole article: its own limit, above the 1 MB of everything else.
    Set before anything reads the form (the CSRF check does), so it runs as the app's first hook."""
    if request_.endpoint == "articles.receive":
        request_.max_content_length = limit + 64 * 1024
        request_.max_form_memory_size = limit + 64 * 1024


@bp.get("/search")
def search_page():  # type: ignore[no-untyped-def]
    """The text of every source searched; each hit a sentence that opens the reader on it."""
    query = request.args.get("q", "")
    dataset = request.args.get("dataset") or None
    hits = search.search(get_session(), query, dataset) if query.strip() else []
    return render_template("search.html", q=query, hits=hits, dataset_id=dataset, datasets=_datasets())


@bp.get("/sources/<source_id>/original")
def original(source_id: str):  # type: ignore[no-untyped-def]
    """The file a source was read from, byte for byte (when it was uploaded or imported here)."""
    upload = articles.original(get_session(), source_id)
    if upload is None:
        raise NotFound("original file of source", source_id)
    response = make_response(upload.content)
    response.headers["Content-Type"] = "application/octet-stream"
    response.headers["Content-Disposition"] = f'attachment; filename="{secure_filename(upload.filename) or "original"}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

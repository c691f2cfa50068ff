"""Large JSON documents (the graph, the explorer's network) serialised and compressed once per data
revision and filter (SPEC §7), and answered with an ETag.

The key names the data revision, which every request reads from the database, so a process never
serves a document another process has made stale by loading or editing data. Each process keeps the
most recently used documents within a byte budget; a compressed form is made the first time a client
asks for it and kept beside the plain bytes. The ETag is a hash of the key alone, so a client that has
the document gets its 304 without anything being built.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import brotli
from flask import Request, Response
from markupsafe import Markup

from .jsonio import dumps

T = TypeVar("T")

# Offered in this order of preference when the client accepts several equally.
ENCODINGS = ("br", "gzip")
_GZIP_LEVEL = 6
_BROTLI_QUALITY = 5


@dataclass
class Document:
    """One serialised document, its meta (for pages that show counts without the data) and its encodings."""

    etag: str
    body: bytes
    meta: dict[str, Any]
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(data) for data in self.encoded.values())


def etag_for(*key: str) -> str:
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:32]


def _compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return bytes(brotli.compress(body, quality=_BROTLI_QUALITY))
    return gzip.compress(body, _GZIP_LEVEL, mtime=0)


class JsonCache:
    """Documents by key, least recently used dropped first once their bytes pass ``budget``."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._documents: OrderedDict[str, Document] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def document(self, key: tuple[str, ...], build: Callable[[], dict[str, Any]]) -> Document:
        """The document under ``key`` (kind, data revision, filter…), built by ``build`` when not kept."""
        etag = etag_for(*key)
        with self._lock:
            found = self._documents.get(etag)
            if found is not None:
                self._documents.move_to_end(etag)
                return found
        data = build()
        made = Document(etag, dumps(data), dict(data.get("meta") or {}))
        self._keep(made)
        return made

    def encoded(self, document: Document, encoding: str) -> bytes:
        """The document compressed with ``encoding`` (made once, then kept with it)."""
        data = document.encoded.get(encoding)
        if data is None:
            data = _compress(document.body, encoding)
            with self._lock:
                if encoding not in document.encoded:
                    document.encoded[encoding] = data
                    if document.etag in self._documents:
                        self._bytes += len(data)
                        self._trim()
        return data

    def _keep(self, document: Document) -> None:
        with self._lock:
            old = self._documents.pop(document.etag, None)
            if old is not None:
                self._bytes -= old.size
            self._documents[document.etag] = document
            self._bytes += document.size
            self._trim()

    def _trim(self) -> None:
        # The newest document stays even when it alone is over the budget: it is being served.
        while self._bytes > self.budget and len(self._documents) > 1:
            _, dropped = self._documents.popitem(last=False)
            self._bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._documents)

    @property
    def bytes(self) -> int:
        return self._bytes


def chosen_encoding(request: Request) -> str | None:
    """The compression the client accepts and prefers among ``ENCODINGS`` (None: send it plain)."""
    accepted = request.accept_encodings
    best, best_quality = None, 0.0
    for encoding in ENCODINGS:
        quality = accepted[encoding]
        if quality > best_quality:
            best, best_quality = encoding, quality
    return best


def respond(cache: JsonCache, request: Request, key: tuple[str, ...],
            build: Callable[[], dict[str, Any]]) -> Response:
    """The document under ``key`` as the client accepts it, or 304 when the client already has it."""
    encoding = chosen_encoding(request)
    etag = etag_for(*key)
    tag = f"{etag}:{encoding}" if encoding else etag
    headers = {"Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if tag in request.if_none_match:
        response = Response(status=304, headers=headers)
        response.set_etag(tag)
        return response
    document = cache.document(key, build)
    body = cache.encoded(document, encoding) if encoding else document.body
    response = Response(body, mimetype="application/json", headers=headers)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.set_etag(tag)
    return response


def script_json(body: bytes) -> Markup:
    """A serialised document made safe to sit in a ``<script type="application/json">`` block: the
    characters that could close the element or start markup escaped as JSON escapes (as ``tojson`` does)."""
    text = body.decode()
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escape)
    return Markup(text)  # every character markup could use is escaped above


class RecentValues:
    """Values computed from the data (the timeline's items, the list's rows), kept per process under keys
    that name the data revision, so another process's load or edit is never answered from here: the
    ``size`` most recently used."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                found: T = self._values[key]
                return found
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

"""Telling a download that is not the file: a web page, JSON or text under a 200.

Pools in maintenance, behind a captive portal or with a broken mirror answer a download with
an HTML page or a JSON error under HTTP 200, sometimes labelled ``audio/mpeg``. The download
transport rejects a document Content-Type before the body is read (:func:`document_type`);
the transfer looks at the body's first bytes before it creates any file (:func:`sniff`), as
no media file begins like a document. Either way :func:`not_the_file` gives the pool's own
error when the body is its error envelope (an expired link stays an expired link), else a
:class:`PoolProtocolError` that says what came instead.
"""

from __future__ import annotations

import json
import re

import httpx

from crateq.api.bounded import plain_text
from crateq.api.errors import PoolError, PoolProtocolError
from crateq.api.pool_wire import answer_error, server_message

_DOCUMENT_TYPES = {
    "text/html": "a web page",
    "application/xhtml+xml": "a web page",
    "application/json": "data (JSON)",
    "text/json": "data (JSON)",
    "application/problem+json": "data (JSON)",
    "application/xml": "an XML document",
    "text/xml": "an XML document",
}
_MARKUP_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<!--", b"<title", b"<meta")
_JSON_START = re.compile(rb'[{\[]\s*(?:["{\[\]}0-9-]|null|true|false)')
_TITLE = re.compile(rb"<title[^>]*>([^<]{1,200})", re.IGNORECASE)
_MIN_TEXT = 64  # bytes of plain text before a body is called text (a short chunk may mislead)


def document_type(content_type: str | None) -> str | None:
    """What a Content-Type says the body is when it is a document, not media; else None."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _DOCUMENT_TYPES:
        return _DOCUMENT_TYPES[mime]
    if mime.endswith("+json"):
        return "data (JSON)"
    return None


def sniff(head: bytes, *, whole: bool = False) -> str | None:
    """What the first bytes of a body say it is when it begins like a document, else None.

    ``whole`` says ``head`` is the entire body: then a short text counts as text too.
    """
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")[:512]
    lowered = start.lower()
    if lowered.startswith(_MARKUP_STARTS):
        return "a web page"
    if lowered.startswith(b"<?xml"):
        return "an XML document"
    if _JSON_START.match(start):
        return "data (JSON)"
    if start and (whole or len(start) >= _MIN_TEXT) and _is_text(start):
        return "text"
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data[:-3].decode("utf-8", "ignore") if len(data) > 3 else ""  # a cut character
    return bool(text) and all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def not_the_file(
    what: str, head: bytes, headers: httpx.Headers, status: int, pool: str
) -> PoolError:
    """The error for a download answered with ``what`` (a web page, data…) instead of media."""
    code = _envelope_status(head)
    if code >= 400:  # the pool's error envelope under a 200: the error it names
        return answer_error(code, headers, head, pool, download=True)
    said = server_message(head)
    if not said and what == "a web page":
        title = _TITLE.search(head)
        said = plain_text(title.group(1).decode("utf-8", "replace"), 80) if title else ""
    elif not said and what == "text":
        said = plain_text(head.decode("utf-8", "replace"), 120)
    return PoolProtocolError(
        f"Pool {pool} sent {what} instead of the file" + (f": {said}" if said else "."),
        pool=pool,
        status=status,
        code="not_a_file",
    )


def _envelope_status(head: bytes) -> int:
    try:
        data = json.loads(head)
    except (ValueError, RecursionError):
        return 0
    status = data.get("status") if isinstance(data, dict) else None
    if isinstance(status, str) and status.strip().isdigit():
        status = int(status)
    return status if isinstance(status, int) and not isinstance(status, bool) else 0

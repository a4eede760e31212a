"""Hypothesis strategies for hostile API answers: wrong types, nulls, huge values, broken
bytes, and valid answers with their leaves swapped for junk.

``pool_listing()`` draws a catalog page shaped like pool-api.md with any value in any field;
``json_document()`` any JSON at all; ``mangled(body)`` the bytes of a body truncated, with
invalid UTF-8, a BOM, UTF-16, HTML around it or junk after it; ``mutated(doc)`` a valid
answer (from the crate stand-in) with leaves replaced, keys dropped and keys added;
``replies(bodies)`` a whole answer (status, Content-Type, body). ``special_bodies`` are the
ones hypothesis would not find by itself: deep nesting, megabyte strings, NaN and Infinity.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from hostile_server import Reply

ROW_KEYS = [
    "mediaId", "artist", "title", "genre", "bpm", "advisory", "editor", "length", "size",
    "tool", "releaseYear", "quality", "date", "preview", "downloaded", "video", "audio",
    "source", "auth", "img", "queueId", "groupId", "queueDate",
]  # fmt: skip
PAGE_KEYS = ["records", "message", "pages", "page", "sort", "dir", "data"]
ODD_TEXT = ["", " ", "\x00", "\u202e", "12", "1e999", "-1", "true", "null", "<b>x</b>",
            "\ud800", "\n\r\t", "é" * 50, "😀"]  # fmt: skip

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**40]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(ODD_TEXT),
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(ROW_KEYS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def encode(value: Any) -> bytes:
    """JSON as a sloppy server writes it: NaN and Infinity as bare words, lone surrogates
    escaped."""
    return json.dumps(value, allow_nan=True).encode()


rows = st.fixed_dictionaries({}, optional={key: json_values for key in ROW_KEYS})
listings = st.fixed_dictionaries(
    {},
    optional={
        **{key: json_values for key in PAGE_KEYS},
        "data": st.lists(rows | json_values, max_size=6) | json_values,
    },
)


@st.composite
def mangled(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` as is, or broken in one of the ways bodies break on the wire."""
    how = draw(st.sampled_from(["as-is", "as-is", "truncate", "utf8", "bom", "utf16",
                                "html", "junk"]))  # fmt: skip
    cut = draw(st.integers(0, max(0, len(body) - 1)))
    if how == "truncate":
        return body[:cut]
    if how == "utf8":
        return (
            body[:cut] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"])) + body[cut:]
        )
    if how == "bom":
        return b"\xef\xbb\xbf" + body
    if how == "utf16":
        return body.decode("utf-8", "replace").encode("utf-16")
    if how == "html":
        return b"<html><body><pre>" + body + b"</pre></body></html>"
    if how == "junk":
        return body + b" }]garbage"
    return body


def nested(depth: int, inner: str = "[]") -> bytes:
    return ("[" * depth + inner + "]" * depth).encode()


def _special() -> list[bytes]:
    deep_listing = b'{"records": 1, "data": ' + nested(10_000) + b"}"
    huge = "x" * (2 << 20)
    return [
        nested(10_000),
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        deep_listing,
        encode({"records": 1, "data": [{"mediaId": 1, "artist": huge, "title": huge}]}),
        encode({"message": huge, "status": 500}),
        b'{"records": NaN, "pages": Infinity, "data": [{"mediaId": -Infinity, "bpm": NaN}]}',
        b'{"records": 1e999999, "data": [{"mediaId": 1e400, "releaseYear": -1e400}]}',
        b'{"data": [{"mediaId": 1, "title": "\\ud800\\udc00\\udfff"}]}',
        b"", b"   ", b"null", b"[]", b"[null]", b"0", b'"a string"', b"{", b"[{" * 3,
    ]  # fmt: skip


special_bodies = st.sampled_from(_special())
any_body = st.one_of(
    special_bodies,
    json_values.map(encode).flatmap(mangled),
)
listing_body = st.one_of(listings.map(encode).flatmap(mangled), any_body)

CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "text/html; charset=utf-8",
    "text/plain", "application/octet-stream", "audio/mpeg", None,
]  # fmt: skip
STATUSES = [200, 200, 200, 200, 200, 201, 400, 401, 403, 404, 418, 429, 500, 502, 503]


def replies(bodies: st.SearchStrategy[bytes]) -> st.SearchStrategy[Reply]:
    return st.builds(
        Reply,
        status=st.sampled_from(STATUSES),
        body=bodies,
        content_type=st.sampled_from(CONTENT_TYPES),
    )


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document: the keys and indexes leading to it."""
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*here, index))
    return found


def mutated(document: Any) -> st.SearchStrategy[Any]:
    """``document`` with one to six places changed: replaced by any JSON or null, a key
    dropped or added, a list cut short. A few draws per example, however big the document."""
    places = _paths(document)[1:] or [()]

    @st.composite
    def strategy(draw: st.DrawFn) -> Any:
        doc = copy.deepcopy(document)
        for _ in range(draw(st.integers(1, 6))):
            *parent_path, last = draw(st.sampled_from(places)) or ("",)
            parent = doc
            for step in parent_path:
                try:
                    parent = parent[step]
                except (KeyError, IndexError, TypeError):  # an earlier change removed it
                    break
            else:
                _change(draw, parent, last)
        return doc

    return strategy()


def _change(draw: st.DrawFn, parent: Any, key: Any) -> None:
    how = draw(st.sampled_from(["replace", "replace", "null", "drop", "add", "cut"]))
    try:
        if how == "drop":
            del parent[key]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(json_values)
        elif how == "cut" and isinstance(parent[key], list):
            parent[key] = parent[key][: draw(st.integers(0, 2))]
        else:
            parent[key] = None if how == "null" else draw(json_values)
    except (KeyError, IndexError, TypeError):  # the place is gone or is not a container
        pass

"""API answers read with bounds: at most :data:`MAX_ANSWER_BYTES` of body, and server text
clipped to one plain line before it reaches the user.

A pool or crate that sends an endless or enormous body must not make the app read it into
memory: :func:`read_bounded` stops at the cap (checking a declared Content-Length first) and
raises :class:`AnswerTooLarge`, which each client turns into its protocol error. Both API
clients read every JSON answer through it; file downloads go through the download transport.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from crateq.api.errors import ApiError

MAX_ANSWER_BYTES = 16 << 20
"""The largest API answer the clients read (decoded); a 500-row page is ~0.3 MB."""
MAX_ANSWER_MB = MAX_ANSWER_BYTES >> 20
MAX_SERVER_TEXT = 300
"""Characters of a server's own message kept in an error or notice."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


class AnswerTooLarge(ApiError):
    """The answer's body is larger than the cap; each client raises its own error for it
    (naming the pool, or crate)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The answer is larger than {limit >> 20} MB.", code="answer_too_large")


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole answer: status, headers and the (decoded) body bytes."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


async def read_bounded(
    http: httpx.AsyncClient, request: httpx.Request, *, limit: int = MAX_ANSWER_BYTES
) -> Answer:
    """Send ``request`` and read its body, at most ``limit`` bytes of it.

    Raises :class:`AnswerTooLarge` (the connection is closed, the rest never read), or the
    httpx errors of sending and reading.
    """
    response = await http.send(request, stream=True)
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise AnswerTooLarge(limit)
        parts: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise AnswerTooLarge(limit)
            parts.append(chunk)
    finally:
        await response.aclose()
    body = parts[0] if len(parts) == 1 else b"".join(parts)
    return Answer(response.status_code, response.headers, body)


def plain_text(text: str, limit: int = MAX_SERVER_TEXT) -> str:
    """A server's text as one plain line: control and bidi characters become spaces, runs of
    spaces one, and anything past ``limit`` characters is cut with an ellipsis."""
    line = " ".join(_CONTROL.sub(" ", text[: limit * 4]).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"

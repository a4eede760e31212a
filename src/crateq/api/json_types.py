"""The types of JSON documents: the bodies the clients send and read, the demo servers
serve and the CLI prints. Typing only, so any layer may import them at no cost.

Arrays and objects are the read-only ``Sequence``/``Mapping``, so that a ``list[str]`` or
a ``dict[str, int]`` is a JSON value too (``list``/``dict`` are invariant); a body being
built is a :data:`JSONObject`, a plain ``dict`` one can add keys to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

#: Any JSON value: what ``json.loads`` returns, or what ``json.dumps`` is given.
JSONValue: TypeAlias = (
    "str | int | float | bool | Sequence[JSONValue] | Mapping[str, JSONValue] | None"
)
#: A JSON object being read or built: most request and response bodies.
JSONObject: TypeAlias = "dict[str, JSONValue]"

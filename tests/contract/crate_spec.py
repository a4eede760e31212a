"""Load crate's OpenAPI spec for validation (Draft 2020-12 on its components).

The spec lives beside the repository (``../shared/crate-openapi.json``) and is never copied
in. Two contradictions inside it are handled here, as DESIGN.md says: a field typed
``["string", "null"]`` whose ``enum`` omits null gets null added (null is crate's honest
gap there), and a ``?fields=``-trimmed artist dossier is validated without the top-level
``required`` (registered as ``ArtistDossierContractTrimmed``).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from crateq.api import crate_list_models as lm
from crateq.api import crate_models as m

SPEC_PATH = Path(__file__).resolve().parents[2] / ".." / "shared" / "crate-openapi.json"
URI = "urn:crate-openapi"

# The endpoints the client speaks, each with the model its 200 answer parses into.
MODEL_FOR: dict[str, type[BaseModel]] = {
    "/api/v2/resolve": m.IdentityResolution,
    "/api/v2/artist/{key}": m.ArtistDossier,
    "/api/v2/dossier/artist/{slug}": m.ArtistDossier,
    "/api/v2/label/{key}": m.LabelDossier,
    "/api/v2/dossier/label/{slug}": m.LabelDossier,
    "/api/v2/preview/artist": m.ArtistPreview,
    "/api/v2/search": lm.SearchResponse,
    "/api/v2/breakouts": lm.BreakoutsResponse,
    "/api/v2/tastemakers": lm.TastemakersResponse,
    "/api/v2/tastemakers/ones-to-watch": lm.OnesToWatchResponse,
}


def require_spec() -> None:
    if not SPEC_PATH.is_file():
        pytest.skip(f"crate-openapi.json not found next to the repository ({SPEC_PATH.name})")


def _null_into_enums(node: Any) -> None:
    if isinstance(node, dict):
        types = node.get("type")
        nullable = isinstance(types, list) and "null" in types
        if nullable and "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        for value in node.values():
            _null_into_enums(value)
    elif isinstance(node, list):
        for value in node:
            _null_into_enums(value)


@cache
def raw_spec() -> dict[str, Any]:
    require_spec()
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def spec() -> dict[str, Any]:
    """The spec as validated against: null added to nullable enums, trimmed dossier added."""
    loaded = copy.deepcopy(raw_spec())
    _null_into_enums(loaded)
    schemas = loaded["components"]["schemas"]
    trimmed = copy.deepcopy(schemas["ArtistDossierContract"])
    trimmed.pop("required", None)
    schemas["ArtistDossierContractTrimmed"] = trimmed
    return loaded


@cache
def _registry() -> Registry:
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    return Registry().with_resource(URI, resource)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def response_pointer(path: str, status: int) -> str:
    """JSON pointer to the declared JSON schema of ``GET path`` answering ``status``."""
    responses = spec()["paths"][path]["get"]["responses"]
    if str(status) not in responses:
        return "#/components/schemas/Error"  # e.g. 401: crate's envelope, not declared per path
    return (
        f"#/paths/{_escape(path)}/get/responses/{status}/content/"
        f"{_escape('application/json')}/schema"
    )


@cache
def validator(pointer: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": f"{URI}{pointer}"}, registry=_registry())


def validate_response(path: str, status: int, body: Any, *, trimmed: bool = False) -> None:
    pointer = response_pointer(path, status)
    if trimmed:
        pointer = "#/components/schemas/ArtistDossierContractTrimmed"
    errors = sorted(validator(pointer).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path)
        raise AssertionError(
            f"{path} {status}: {len(errors)} error(s); first at {where}: {first.message[:300]}"
        )


def component(name: str) -> dict[str, Any]:
    return raw_spec()["components"]["schemas"][name]  # type: ignore[no-any-return]


def resolve_ref(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return component(ref.rsplit("/", 1)[1])
    return node

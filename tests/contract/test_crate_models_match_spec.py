"""The client's pydantic models match crate's schemas: every required field is modelled,
nullable fields accept null, enum values are accepted, and every example the spec gives
for these endpoints parses with the model field it belongs to."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from crate_spec import MODEL_FOR, raw_spec, require_spec, resolve_ref
from pydantic import BaseModel, TypeAdapter, ValidationError

from crateq.api import crate_list_models as lm
from crateq.api import crate_models as m


def nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        return [x for arg in typing.get_args(annotation) for x in nested_models(arg)]
    return []


def types_of(schema: dict[str, Any]) -> list[str]:
    value = schema.get("type", [])
    return value if isinstance(value, list) else [value]


class Walk:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.examples: list[str] = []

    def model(self, schema: dict[str, Any], model: type[BaseModel], where: str) -> None:
        schema = resolve_ref(schema)
        for branch in schema.get("anyOf", []) + schema.get("allOf", []):
            self.model(branch, model, where)
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        for name in schema.get("required", []):
            if name not in fields:
                self.problems.append(f"{where}.{name}: required by the spec, not in {model}")
        for prop, sub in schema.get("properties", {}).items():
            if prop in fields:
                self.field(resolve_ref(sub), fields[prop].annotation, f"{where}.{prop}")
            elif "example" in sub:
                self.problems.append(f"{where}.{prop}: example not covered by a model field")

    def field(self, schema: dict[str, Any], annotation: Any, where: str) -> None:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        checks: list[tuple[str, Any]] = [("enum value", v) for v in schema.get("enum", [])]
        if "null" in types_of(schema):
            checks.append(("null", None))
        if "example" in schema:
            checks.append(("example", schema["example"]))
            self.examples.append(where)
        for what, value in checks:
            try:
                adapter.validate_python(value)
            except ValidationError as exc:  # collect every mismatch, not just the first
                self.problems.append(
                    f"{where}: {what} {value!r} rejected ({exc.__class__.__name__})"
                )
        for child in nested_models(annotation):
            inner = (
                resolve_ref(schema.get("items", schema)) if "array" in types_of(schema) else schema
            )
            self.model(inner, child, where)


def response_schema(path: str) -> dict[str, Any]:
    get = raw_spec()["paths"][path]["get"]
    return get["responses"]["200"]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _spec() -> None:
    require_spec()


@pytest.mark.parametrize("path", sorted(MODEL_FOR))
def test_models_cover_the_response_schema(path: str) -> None:
    walk = Walk()
    walk.model(response_schema(path), MODEL_FOR[path], path)
    assert walk.problems == []


def test_every_example_of_these_endpoints_parses_with_the_models() -> None:
    walk = Walk()
    for path, model in MODEL_FOR.items():
        walk.model(response_schema(path), model, path)
    walk.model(raw_spec()["components"]["schemas"]["Error"], m.ErrorEnvelope, "Error")
    walk.model(raw_spec()["components"]["schemas"]["RateLimited"], m.ErrorEnvelope, "RateLimited")
    assert walk.problems == []
    covered = {w.split(".", 1)[1] for w in walk.examples}
    expected = {
        "cluster_id", "resolved_via", "resolved_from", "error",
        "binds.bandcamp_url", "over_merge.discogs_label_id_count", "travels.related.npmi",
        "dj_momentum.signals.playsLast365d", "dj_momentum.signals.velocity",
        "artwork.items.rehost", "bandcamp_releases.releases.bandcamp_item_id",
    }  # fmt: skip
    assert expected <= covered, expected - covered


def test_an_honest_gap_dossier_parses_as_not_known() -> None:
    dossier = m.ArtistDossier.model_validate(
        {"slug": "x", "display": "X", "identity": None, "cluster_id": None, "resolved_via": None}
    )
    assert dossier.known is False and dossier.cluster_id is None


def test_unknown_fields_are_kept_not_rejected() -> None:
    row = lm.Breakout.model_validate(
        {"discogsArtistId": 1, "clusterId": None, "resolvedVia": "discogs", "name": "A",
         "slug": "a", "emergenceTier": "rising", "emergenceScore": 0.5, "pressCount": 1,
         "corroboration": "corroborated", "location": None, "newField": [1, 2]}
    )  # fmt: skip
    assert row.model_extra == {"newField": [1, 2]}

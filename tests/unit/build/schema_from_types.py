"""Derive the manifest's JSON Schema from its dataclasses: the committed schema must equal this."""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from builder import manifest


def schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _object(manifest.Manifest, defs)
    root["properties"]["schema"] = {"const": manifest.SCHEMA}
    root["required"] = ["schema", *root["required"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://layer-builder.invalid/manifest.schema.json",
        "title": "layer-builder manifest.json",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def _object(kind: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(kind)
    props = {f.name: _type(hints[f.name], defs) for f in dataclasses.fields(kind)}
    required = [
        f.name
        for f in dataclasses.fields(kind)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    doc = (kind.__doc__ or "").strip()
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "required": required}
    if doc and not doc.startswith(kind.__name__ + "("):
        out["description"] = " ".join(doc.split())
    out["properties"] = props
    return out


def _type(kind: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if kind.__name__ not in defs:
            defs[kind.__name__] = {}
            defs[kind.__name__] = _object(kind, defs)
        return {"$ref": f"#/$defs/{kind.__name__}"}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_type(a, defs) for a in get_args(kind)]}
    if origin is Literal:
        return {"enum": list(get_args(kind))}
    if origin is tuple:
        return {"type": "array", "items": _type(get_args(kind)[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type(get_args(kind)[1], defs)}
    simple = {str: "string", int: "integer", bool: "boolean", float: "number", type(None): "null"}
    return {"type": simple[kind]}

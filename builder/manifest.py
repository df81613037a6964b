"""manifest.json: what a layer is, what it holds and how it was checked. Written beside layer.zip."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

SCHEMA = 1
MANIFEST = "manifest.json"
LAYER_ZIP = "layer.zip"


def largest_entries(site: Path, count: int = 10) -> list[dict[str, Any]]:
    """The top-level folders/files of python/ by bytes: what to look at when a layer is too big."""
    sizes: dict[str, int] = defaultdict(int)
    for path in site.rglob("*"):
        if path.is_file():
            sizes[path.relative_to(site).parts[0]] += path.stat().st_size
    ranked = sorted(sizes.items(), key=lambda item: -item[1])[:count]
    return [{"name": name, "bytes": size} for name, size in ranked]


def write(path: Path, manifest: dict[str, Any]) -> None:
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == SCHEMA else None

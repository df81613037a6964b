"""Which format a file is in: by its name, then by its content."""

from __future__ import annotations

import fnmatch

from builder import tomlload
from builder.requirements.model import FORMATS, RequirementsError

BY_NAME = {
    "pyproject.toml": "pyproject",
    "uv.lock": "uv-lock",
    "poetry.lock": "poetry-lock",
    "pylock.toml": "pylock",
}
# Files a Python project may keep its requirements in that layer-builder does not read, and how to
# get a format it does.
UNSUPPORTED = {
    "Pipfile": "`pipenv requirements > requirements.txt`",
    "Pipfile.lock": "`pipenv requirements > requirements.txt`",
    "setup.py": "list the install_requires in a requirements file, or move them to pyproject.toml [project]",
    "setup.cfg": "list the install_requires in a requirements file, or move them to pyproject.toml [project]",
    "environment.yml": "list the pip packages in a requirements file (conda packages cannot go into a layer)",
    "environment.yaml": "list the pip packages in a requirements file (conda packages cannot go into a layer)",
    "pdm.lock": "`pdm export -o requirements.txt`",
}


def supported() -> str:
    return ", ".join(FORMATS)


def detect(filename: str, text: str) -> str:
    """The format of a file named `filename` with content `text` (one of FORMATS)."""
    if filename in UNSUPPORTED:
        raise RequirementsError(
            f"{filename} is not a format layer-builder reads (it reads {supported()})",
            hint=f"write a requirements file: {UNSUPPORTED[filename]}",
        )
    if filename in BY_NAME:
        return BY_NAME[filename]
    if fnmatch.fnmatch(filename, "pylock.*.toml"):  # PEP 751 names: pylock.toml or pylock.<name>.toml
        return "pylock"
    if filename.endswith((".txt", ".in")) or filename.startswith("requirements"):
        return "requirements"
    found = by_content(text)
    if found is None:
        raise RequirementsError(
            f"cannot tell what format {filename} is in",
            hint=f"pass --format with one of {supported()}",
        )
    return found


def by_content(text: str) -> str | None:
    try:
        data = tomlload.loads(text)
    except tomlload.TOMLDecodeError:
        return "requirements" if _looks_like_requirements(text) else None
    if "project" in data or "dependency-groups" in data or "build-system" in data:
        return "pyproject"
    if "lock-version" in data and "packages" in data:
        return "pylock"
    if "package" in data and "content-hash" in data.get("metadata", {}):
        return "poetry-lock"
    if "package" in data and isinstance(data.get("version"), int):
        return "uv-lock"
    return None


def _looks_like_requirements(text: str) -> bool:
    from packaging.requirements import InvalidRequirement, Requirement

    from builder.requirements.reqfile import logical_lines

    for _, line in logical_lines(text):
        if line.startswith("-"):
            continue
        try:
            Requirement(line.split(" --", 1)[0])
        except InvalidRequirement:
            return False
    return True

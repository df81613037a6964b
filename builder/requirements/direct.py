"""Requirements a layer cannot be locked from: editable installs, VCS checkouts, URLs, local paths.

A lock pins every file by its sha256 from the index, so a requirement must be a project name the
index (or pip's find-links) serves. Each refusal says what to do instead.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from builder.requirements.model import RequirementsError

NAMED_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")
PUBLISH = "build a wheel (`pip wheel .` or `uv build`), publish it to your index and require it by name"
FIND_LINKS = (
    "or put the wheel in a folder named by pip's find-links setting (PIP_FIND_LINKS) and require it by name"
)


def refuse(where: str, text: str, kind: str) -> RequirementsError:
    """The error for one requirement of a kind a lock cannot pin (editable, vcs, url or path)."""
    if kind == "editable":
        return RequirementsError(
            f"{where}: editable requirement {text!r} cannot go into a layer: a layer holds installed "
            "wheels, not a link to a source tree",
            hint=f"leave the project itself out (`uv export --no-emit-project`, `--no-emit-workspace`), "
            f"or {PUBLISH}",
        )
    if kind == "vcs":
        return RequirementsError(
            f"{where}: {text!r} comes from a version-control checkout, which a lock cannot pin by hash",
            hint=f"pin a released version from the index (name==version), or {PUBLISH}",
        )
    if kind == "url":
        sdist = not text.rstrip("/").endswith(".whl")
        return RequirementsError(
            f"{where}: {text!r} is a download URL; a recipe names projects on the index",
            hint="require the project by name and version from the index (name==version)"
            + ("; a source distribution builds only with --backend docker" if sdist else "")
            + f", or {PUBLISH}",
        )
    return RequirementsError(
        f"{where}: {text!r} is a local path; a recipe names projects on the index",
        hint=f"{PUBLISH}, {FIND_LINKS}",
    )


def kind_of_url(url: str) -> str:
    """'vcs', 'path' or 'url' for the target of a direct reference."""
    if url.startswith(VCS_SCHEMES):
        return "vcs"
    scheme = urlparse(url).scheme
    if scheme in ("", "file") or len(scheme) == 1:  # "C:\..." parses with a one-letter scheme
        return "path"
    return "url"


def looks_like_location(text: str) -> str | None:
    """The kind of a requirements-file line that is a location rather than a requirement, or None.

    pip accepts a bare URL or path where a requirement goes (`./pkg`, `dist/x.whl`, `git+https://...`).
    """
    first = text.split(";", 1)[0].strip()
    if NAMED_RE.match(first):  # `name @ url`: a PEP 508 requirement, judged by its url
        return None
    if first.startswith(VCS_SCHEMES) or "://" in first:
        return kind_of_url(first)
    if first.startswith((".", "/", "~")) or "/" in first or "\\" in first:
        return "path"
    if first.endswith((".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")):
        return "path"
    return None

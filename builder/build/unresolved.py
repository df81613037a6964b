"""Why pip found nothing for a requirement, told apart so the message says what to do.

pip prints "No matching distribution found for X" both for a project the index does not know
(a misspelling) and for one that has no wheel for the target. To tell them apart the project is
looked up once more with `pip index versions`, through the same pip configuration (index-url,
extra-index-url, find-links), and pip's log of the project pages it fetched (200) or missed (404)
decides. That lookup runs without target tags, and only after a lock failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from builder import proc
from builder.build import pipcmd, steps
from builder.errors import LockError
from builder.runtimes import Target

FETCHED_RE = re.compile(r"^Fetched page (\S+)", re.MULTILINE)
MISSED_RE = re.compile(r"^Could not fetch URL (\S+?):? 404\b", re.MULTILINE)
FROM_VERSIONS_RE = re.compile(r"\(from versions: ([^)]*)\)")


@dataclass(frozen=True, kw_only=True)
class Lookup:
    """What the index said about a project: known (True), unknown (False), or no clear answer (None)."""

    known: bool | None
    missed_pages: tuple[str, ...] = ()  # the project pages that answered 404

    def indexes(self) -> str:
        """The index URLs searched: a project page without its last segment."""
        roots = [page.rstrip("/").rsplit("/", 1)[0] + "/" for page in self.missed_pages]
        return ", ".join(dict.fromkeys(roots))


def read_lookup(returncode: int, output: str) -> Lookup:
    """The verdict of `pip index versions -vv NAME` from its exit code and log."""
    if returncode == 0 or FETCHED_RE.search(output):
        return Lookup(known=True)
    missed = tuple(dict.fromkeys(MISSED_RE.findall(output)))
    return Lookup(known=False, missed_pages=missed) if missed else Lookup(known=None)


def look_up(name: str) -> Lookup:
    result = proc.run(pipcmd.index_versions(name), step=steps.LOCK, check=False, timeout=300)
    return read_lookup(result.returncode, result.stdout + "\n" + result.stderr)


def explain(missing: str, target: Target, result: proc.Result) -> LockError:
    """Look the project up on the index, then say which failure it was."""
    return error(missing, target, result, look_up(_requirement(missing)[1]))


def _requirement(missing: str) -> tuple[Requirement | None, str]:
    try:
        requirement = Requirement(missing)
    except InvalidRequirement:
        return None, re.split(r"[\[<>=!~;\s]", missing, maxsplit=1)[0]
    return requirement, requirement.name


def error(missing: str, target: Target, result: proc.Result, lookup: Lookup | None) -> LockError:
    """The error for a requirement pip found no distribution for (`missing`, as pip printed it)."""
    requirement, name = _requirement(missing)
    if lookup is not None and lookup.known is False:
        where = f" ({lookup.indexes()})" if lookup.missed_pages else ""
        return LockError(
            f"lock: no project named {name!r} on the index{where}",
            hint=f"check the spelling of {name!r} (`pip index versions NAME` asks the same index); "
            "a project on another index needs that index in pip's configuration (PIP_INDEX_URL)",
        )
    pin = pinned_version(requirement)
    found = FROM_VERSIONS_RE.search(result.stderr)
    versions = [v.strip() for v in found.group(1).split(",")] if found else []
    has = ""
    if versions == ["none"]:
        has = "; no release of it has a wheel for this target"
    elif versions:
        has = f"; versions with a wheel for it: {', '.join(versions[-5:])}"
    if pin is not None:
        return LockError(
            f"lock: no wheel of {missing} loads on {target.describe()}: {name} {pin} has no wheel "
            f"for this target{has}",
            hint=f"relax the pin (e.g. {name}>={pin}) so the lock may pick a version with a wheel, "
            f"leave this target out with -r/-a, or build from source with --backend docker",
        )
    if versions == ["none"]:
        return LockError(
            f"lock: no wheel of {missing} loads on {target.describe()}: no release of {name} has one",
            hint="it ships source only, or wheels for other systems: build from source with "
            "--backend docker, or leave this target out with -r/-a",
        )
    return LockError(
        f"lock: no wheel of {missing} loads on {target.describe()}, "
        f"or no version satisfies the requirements{has}:\n{result.tail(8)}",
        hint="pin a version that ships a wheel for this target, drop this runtime from the recipe, "
        "or build from source with --backend docker",
    )


def pinned_version(requirement: Requirement | None) -> str | None:
    """The version of an exact pin (name==1.2.3), else None."""
    if requirement is None:
        return None
    specs = list(requirement.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None

"""The one place a pip command line is put together: resolve for a target, install a lock for it.

On this machine pip runs from the tool's own environment (a current pip is a dependency: old pips
refuse newer numpy for another --python-version) with the target's tags, so it picks wheels for
Lambda rather than for the host. In the build container pip runs with the image's own interpreter,
which is the target, so it needs no target flags. Either way the user's pip configuration (index,
find-links, cert) is honoured: we never pass --isolated. A recipe's own indexes (`[layer] index_url`,
`extra_index_urls`, `find_links`) are passed as flags, which pip puts over its configuration.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from builder.manifest import PackageIndexes
from builder.runtimes import Target

NO_MATCH_RE = re.compile(r"No matching distribution found for ([^\s]+)")


def pip(python: str = sys.executable) -> list[str]:
    """pip run by `python` (default: the interpreter running layer-builder)."""
    return [python, "-m", "pip", "--disable-pip-version-check"]


def resolve(
    requirements: Sequence[str],
    *,
    report: Path,
    target: Target | None,
    python: str = sys.executable,
    indexes: PackageIndexes | None = None,
) -> list[str]:
    """Resolve without installing and write pip's JSON report: what would be installed, with hashes."""
    return [
        *pip(python),
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--report",
        str(report),
        *for_target(target),
        *index_flags(indexes),
        *requirements,
    ]


def install_lock(
    lock: Path,
    *,
    site: Path,
    target: Target | None,
    python: str = sys.executable,
    quiet: bool = True,
    indexes: PackageIndexes | None = None,
) -> list[str]:
    """Install exactly the lock's files, hashes required, without dependencies or bytecode.

    Bytecode is compiled later by the target interpreter: pip would compile with its own.
    """
    return [
        *pip(python),
        "install",
        *(["--quiet"] if quiet else []),
        "--no-deps",
        "--require-hashes",
        "--no-compile",
        "--no-warn-script-location",
        "--target",
        str(site),
        *for_target(target),
        *index_flags(indexes),
        "--requirement",
        str(lock),
    ]


def for_target(target: Target | None) -> list[str]:
    """Flags that make pip pick wheels for the Lambda target instead of the machine it runs on."""
    if target is None:
        return []
    args = [
        "--only-binary=:all:",
        "--python-version",
        target.runtime.python,
        "--implementation",
        "cp",
        "--abi",
        target.runtime.abi,
    ]
    for tag in target.platform_tags():
        args += ["--platform", tag]
    return args


def index_flags(indexes: PackageIndexes | None) -> list[str]:
    """The recipe's package indexes as pip flags (none: pip's own configuration decides)."""
    if not indexes:
        return []
    args = ["--index-url", indexes.index_url] if indexes.index_url else []
    for url in indexes.extra_index_urls:
        args += ["--extra-index-url", url]
    for link in indexes.find_links:
        args += ["--find-links", link]
    return args


def missing_distribution(stderr: str) -> str | None:
    """The requirement pip found nothing for ("numpy==1.21.6"), from its error output."""
    found = NO_MATCH_RE.search(stderr)
    return found.group(1) if found else None


def index_versions(name: str, *, python: str = sys.executable) -> list[str]:
    """Ask the configured index(es) about one project; -vv makes pip log every page it fetched or missed."""
    return [*pip(python), "index", "versions", "-vv", name]

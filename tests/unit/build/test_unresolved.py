"""Telling a misspelled project from one without a wheel for the target, from pip's own output."""

from __future__ import annotations

from builder import proc
from builder.build import unresolved
from builder.runtimes import get_target

TARGET = get_target("python3.12", "x86_64")

# What `pip index versions -vv NAME` logs (pip 26), trimmed to the lines that decide.
MISSING_LOG = """\
1 location(s) to search for versions of pandsa:
* https://pypi.org/simple/pandsa/
Fetching project page and analyzing links: https://pypi.org/simple/pandsa/
https://pypi.org:443 "GET /simple/pandsa/ HTTP/1.1" 404 0
Could not fetch URL https://pypi.org/simple/pandsa/: 404 Client Error: Not Found for url: https://pypi.org/simple/pandsa/ - skipping
ERROR: No matching distribution found for pandsa
"""
WINDOWS_ONLY_LOG = """\
https://pypi.org:443 "GET /simple/pywin32/ HTTP/1.1" 200 105903
Fetched page https://pypi.org/simple/pywin32/ as application/vnd.pypi.simple.v1+json
ERROR: No matching distribution found for pywin32
"""


def failed(stderr: str) -> proc.Result:
    return proc.Result(("pip",), 1, "", stderr)


def test_a_project_every_index_answers_404_for_is_unknown():
    lookup = unresolved.read_lookup(1, MISSING_LOG)
    assert lookup.known is False and lookup.indexes() == "https://pypi.org/simple/"
    error = unresolved.error("pandsa", TARGET, failed("No matching distribution found for pandsa"), lookup)
    assert error.message == "lock: no project named 'pandsa' on the index (https://pypi.org/simple/)"
    assert error.exit_code == 4 and "spelling" in (error.hint or "")


def test_a_fetched_page_or_a_listed_version_means_the_project_exists():
    assert unresolved.read_lookup(1, WINDOWS_ONLY_LOG).known is True
    assert unresolved.read_lookup(0, "pywin32 (311)\n").known is True
    # A network failure is no answer: the message must not claim the project is unknown.
    assert (
        unresolved.read_lookup(1, "Could not fetch URL https://x/simple/a/: connection error").known is None
    )


def test_a_pinned_version_without_a_wheel_names_package_version_and_target():
    stderr = (
        "ERROR: Could not find a version that satisfies the requirement numpy==1.21.6 "
        "(from versions: 2.5.3, 2.5.4, 2.5.5)\nERROR: No matching distribution found for numpy==1.21.6\n"
    )
    error = unresolved.error("numpy==1.21.6", TARGET, failed(stderr), unresolved.Lookup(known=True))
    assert "numpy 1.21.6 has no wheel for this target" in error.message
    assert "python3.12-x86_64" in error.message and "2.5.5" in error.message
    assert error.hint is not None and "relax the pin" in error.hint and "-r/-a" in error.hint


def test_a_project_with_no_wheel_for_the_target_at_all():
    stderr = "ERROR: Could not find a version that satisfies the requirement pywin32 (from versions: none)\n"
    error = unresolved.error("pywin32", TARGET, failed(stderr), unresolved.Lookup(known=True))
    assert "no release of pywin32 has one" in error.message and "--backend docker" in (error.hint or "")
    # Without an answer from the index, the old wording stays: no claim about the project.
    unknown = unresolved.error("pywin32", TARGET, failed(stderr), unresolved.Lookup(known=None))
    assert "no project named" not in unknown.message

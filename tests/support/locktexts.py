"""Entries of sample lock files, as uv and pip write them, for the tests that read uv.lock and
pylock.toml (the parsers' unit tests and `new --from` with real pip), and the real sha256 of the
wheels they name."""

from __future__ import annotations

SIX_SHA = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"
ATTRS_SHA = "427318ce031701fea540783410126f03899a97ffc6f61596ad581ac2e40e3bc3"
PACKAGING_SHA = "29572ef2b1f17581046b3a2227d5c611fb25ec70ca1ba8554b24b0e69331a484"
PYPI = "https://pypi.org/simple"


def uv_package(name: str, version: str, *more: str) -> str:
    """A uv.lock `[[package]]` from PyPI; `more` lines follow its source."""
    lines = [
        "[[package]]",
        f'name = "{name}"',
        f'version = "{version}"',
        f'source = {{ registry = "{PYPI}" }}',
    ]
    return "\n".join([*lines, *more]) + "\n"


def pylock_package(
    name: str, version: str, wheel: str, sha256: str, *, marker: str | None = None, index: str | None = None
) -> str:
    """A pylock.toml `[[packages]]` with one wheel (from files.pythonhosted.org)."""
    lines = ["[[packages]]", f'name = "{name}"', f'version = "{version}"']
    lines += [f'marker = "{marker}"'] if marker else []
    lines += [f'index = "{index}"'] if index else []
    return (
        "\n".join(
            [
                *lines,
                "",
                "[[packages.wheels]]",
                f'name = "{wheel}"',
                f'url = "https://files.pythonhosted.org/packages/{wheel}"',
                f'hashes = {{sha256 = "{sha256}"}}',
            ]
        )
        + "\n"
    )

"""uv.lock, poetry.lock and pylock.toml: the pins of the default install, and what is refused."""

from __future__ import annotations

import pytest
from support.locktexts import ATTRS_SHA, PYPI, SIX_SHA, pylock_package, uv_package

from builder.requirements.model import RequirementsError

from .conftest import parse_text

UV_LOCK = "\n".join(
    [
        'version = 1\nrevision = 2\nrequires-python = ">=3.10"\n',
        uv_package("attrs", "25.3.0"),
        uv_package("colorama", "0.4.6"),
        """\
[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "attrs" },
    { name = "helpers" },
    { name = "numpy", version = "2.2.6", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.11'" },
    { name = "numpy", version = "2.3.1", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.11'" },
    { name = "requests", extra = ["socks"] },
]

[package.optional-dependencies]
plots = [{ name = "six" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]
""",
        """\
[[package]]
name = "helpers"
version = "0.1.0"
source = { editable = "packages/helpers" }
dependencies = [{ name = "six", marker = "platform_machine == 'aarch64'" }]
""",
        uv_package("numpy", "2.2.6", "resolution-markers = [\"python_full_version < '3.11'\"]"),
        uv_package("numpy", "2.3.1", "resolution-markers = [\"python_full_version >= '3.11'\"]"),
        uv_package("pysocks", "1.7.1"),
        uv_package(
            "pytest", "8.4.1", 'dependencies = [{ name = "colorama", marker = "sys_platform == \'win32\'" }]'
        ),
        uv_package(
            "requests",
            "2.32.4",
            'dependencies = [{ name = "urllib3" }]',
            "",
            "[package.optional-dependencies]",
            'socks = [{ name = "pysocks" }]',
        ),
        uv_package("six", "1.17.0"),
        uv_package("urllib3", "2.5.0"),
    ]
)


def test_uv_lock_pins_the_root_projects_closure_with_markers():
    found = parse_text(UV_LOCK, "uv-lock", name="uv.lock")
    assert found.pinned and found.format == "uv-lock"
    assert set(found.requirements) == {
        "attrs==25.3.0",
        'numpy==2.2.6; python_full_version < "3.11"',
        'numpy==2.3.1; python_full_version >= "3.11"',
        "requests==2.32.4",
        "pysocks==1.7.1",  # through requests[socks]
        "urllib3==2.5.0",
        'six==1.17.0; platform_machine == "aarch64"',  # through the workspace member
    }
    assert "demo" not in str(found.requirements) and "pytest" not in str(found.requirements)
    assert found.direct == ("attrs", "numpy", "requests")
    assert any("helpers is a editable source tree" in note for note in found.notes)


def test_uv_lock_extras_and_groups_of_the_root():
    found = parse_text(UV_LOCK, "uv-lock", name="uv.lock", extras=("plots",), groups=("dev",))
    # six is now reached unconditionally (the extra), pytest through the group; colorama is Windows-only.
    assert "six==1.17.0" in found.requirements and "pytest==8.4.1" in found.requirements
    assert not any(r.startswith("colorama") for r in found.requirements)
    with pytest.raises(RequirementsError, match="no group 'test'"):
        parse_text(UV_LOCK, "uv-lock", name="uv.lock", groups=("test",))


def test_uv_lock_git_source_and_missing_root_are_refused():
    git = UV_LOCK.replace(
        'name = "attrs"\nversion = "25.3.0"\nsource = { registry = "https://pypi.org/simple" }',
        'name = "attrs"\nversion = "25.3.0"\nsource = { git = "https://github.com/python-attrs/attrs?rev=main#abc" }',
    )
    with pytest.raises(RequirementsError, match=r"uv\.lock: attrs: .*version-control checkout"):
        parse_text(git, "uv-lock", name="uv.lock")
    with pytest.raises(RequirementsError, match="no root project"):
        parse_text(
            'version = 1\n[[package]]\nname = "a"\nversion = "1"\nsource = { registry = "x" }\n', "uv-lock"
        )


POETRY_2 = """\
[[package]]
name = "attrs"
version = "25.3.0"
description = "Classes Without Boilerplate"
optional = false
python-versions = ">=3.8"
groups = ["main"]
files = [{file = "attrs-25.3.0-py3-none-any.whl", hash = "sha256:427318ce031701fea540783410126f03899a97ffc6f61596ad581ac2e40e3bc3"}]

[[package]]
name = "colorama"
version = "0.4.6"
optional = false
python-versions = ">=3.7"
groups = ["main", "dev"]
markers = {main = "sys_platform == \\"win32\\"", dev = "sys_platform == \\"win32\\""}
files = []

[[package]]
name = "six"
version = "1.17.0"
optional = false
python-versions = ">=2.7"
groups = ["main"]
markers = "platform_machine == \\"aarch64\\""
files = []

[[package]]
name = "pytest"
version = "8.4.1"
optional = false
python-versions = ">=3.9"
groups = ["dev"]
files = []

[package.dependencies]
colorama = {version = ">=0.4", markers = "sys_platform == \\"win32\\""}

[metadata]
lock-version = "2.1"
python-versions = "^3.12"
content-hash = "0000"
"""


def test_poetry_lock_main_group_with_markers():
    found = parse_text(POETRY_2, "poetry-lock", name="poetry.lock")
    assert found.requirements == ("attrs==25.3.0", 'six==1.17.0; platform_machine == "aarch64"')
    assert any("colorama" in note for note in found.notes)
    assert parse_text(POETRY_2, "poetry-lock", name="poetry.lock", groups=("dev",)).requirements[-1] == (
        "pytest==8.4.1"
    )


def test_poetry_1_category_and_unrecorded_groups():
    old = """\
[[package]]
name = "attrs"
version = "23.1.0"
category = "main"
optional = false

[[package]]
name = "pytest"
version = "7.4.0"
category = "dev"
optional = false

[[package]]
name = "pysocks"
version = "1.7.1"
category = "main"
optional = true

[metadata]
lock-version = "1.1"
content-hash = "0000"
"""
    assert parse_text(old, "poetry-lock", name="poetry.lock").requirements == ("attrs==23.1.0",)
    untagged = old.replace('category = "main"\n', "").replace('category = "dev"\n', "")
    found = parse_text(untagged, "poetry-lock", name="poetry.lock")
    assert found.requirements == ("attrs==23.1.0", "pytest==7.4.0")
    assert any("does not record groups" in note for note in found.notes)


def test_poetry_lock_git_and_develop_directory_are_refused():
    git = POETRY_2.replace(
        'groups = ["dev"]\nfiles = []\n',
        'groups = ["main"]\nfiles = []\n\n[package.source]\ntype = "git"\nurl = "https://github.com/pytest-dev/pytest"\n'
        'reference = "main"\nresolved_reference = "abc"\n',
    )
    with pytest.raises(RequirementsError, match=r"poetry\.lock: pytest: .*version-control"):
        parse_text(git, "poetry-lock", name="poetry.lock")
    develop = git.replace('type = "git"', 'type = "directory"').replace(
        'optional = false\npython-versions = ">=3.9"',
        'optional = false\ndevelop = true\npython-versions = ">=3.9"',
    )
    with pytest.raises(RequirementsError, match="editable"):
        parse_text(develop, "poetry-lock", name="poetry.lock")


PYLOCK = "\n".join(
    [
        """\
lock-version = "1.0"
created-by = "pip"
requires-python = ">=3.10"
extras = ["plots"]
dependency-groups = ["dev"]
default-groups = []
""",
        pylock_package("attrs", "25.3.0", "attrs-25.3.0-py3-none-any.whl", ATTRS_SHA, index=PYPI),
        pylock_package(
            "six",
            "1.17.0",
            "six-1.17.0-py2.py3-none-any.whl",
            SIX_SHA,
            marker="platform_machine == 'aarch64'",
        ),
        pylock_package(
            "pywin32",
            "306",
            "pywin32-306-cp312-cp312-win_amd64.whl",
            "0" * 64,
            marker="sys_platform == 'win32'",
        ),
        pylock_package(
            "pytest", "8.4.1", "pytest-8.4.1-py3-none-any.whl", "0" * 64, marker="'dev' in dependency_groups"
        ),
    ]
)


def test_pylock_packages_selected_by_their_markers():
    found = parse_text(PYLOCK, "pylock", name="pylock.toml")
    assert found.requirements == ("attrs==25.3.0", 'six==1.17.0; platform_machine == "aarch64"')
    assert any("pywin32" in note for note in found.notes) and any("pytest" in note for note in found.notes)
    with_dev = parse_text(PYLOCK, "pylock", name="pylock.toml", groups=("dev",))
    assert "pytest==8.4.1" in with_dev.requirements
    with pytest.raises(RequirementsError, match="declares no dependency group 'test'"):
        parse_text(PYLOCK, "pylock", name="pylock.toml", groups=("test",))


def test_pylock_vcs_and_invalid_files_are_refused():
    vcs = (
        PYLOCK + '\n[[packages]]\nname = "click"\n[packages.vcs]\ntype = "git"\n'
        'url = "https://github.com/pallets/click"\ncommit-id = "abc"\n'
    )
    with pytest.raises(RequirementsError, match=r"pylock\.toml: click: .*version-control"):
        parse_text(vcs, "pylock", name="pylock.toml")
    with pytest.raises(RequirementsError, match="not a valid pylock file"):
        parse_text('lock-version = "1.0"\n', "pylock", name="pylock.toml")

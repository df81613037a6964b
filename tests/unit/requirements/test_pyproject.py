"""pyproject.toml: [project] dependencies, --extra, PEP 735 --group with include-group, refusals."""

from __future__ import annotations

import pytest

from builder.requirements.detect import detect
from builder.requirements.model import RequirementsError

from .conftest import parse_text

PYPROJECT = """\
[project]
name = "My_Service"
version = "0.1.0"
dependencies = [
    "attrs>=23",
    "six; python_version >= '3.8'",
    "pywin32>=306; sys_platform == 'win32'",
]

[project.optional-dependencies]
fast = ["orjson>=3.10"]
numeric = ["numpy>=2"]
all = ["my-service[fast,numeric]"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
cyclic = [{include-group = "loop"}]
loop = [{include-group = "cyclic"}]

[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"
"""


def test_project_dependencies_with_markers_judged_per_target():
    found = parse_text(PYPROJECT, "pyproject", name="pyproject.toml")
    assert found.requirements == ("attrs>=23", 'six; python_version >= "3.8"')
    assert "pywin32" in found.notes[0]


def test_extras_and_self_referencing_extras():
    found = parse_text(PYPROJECT, "pyproject", name="pyproject.toml", extras=("fast",))
    assert found.requirements[-1] == "orjson>=3.10"
    everything = parse_text(PYPROJECT, "pyproject", name="pyproject.toml", extras=("all",))
    assert everything.requirements[-2:] == ("orjson>=3.10", "numpy>=2")


def test_groups_with_include_group():
    found = parse_text(PYPROJECT, "pyproject", name="pyproject.toml", groups=("test",))
    assert found.requirements[-2:] == ("pytest>=8", "ruff")


def test_unknown_extra_or_group_names_the_ones_there_are():
    with pytest.raises(
        RequirementsError, match=r"no optional dependencies named 'fsat' \(did you mean 'fast'\?\)"
    ):
        parse_text(PYPROJECT, "pyproject", name="pyproject.toml", extras=("fsat",))
    with pytest.raises(RequirementsError, match="no dependency group 'tests'") as caught:
        parse_text(PYPROJECT, "pyproject", name="pyproject.toml", groups=("tests",))
    assert caught.value.hint is not None and "lint" in caught.value.hint


def test_an_include_group_cycle_is_refused():
    with pytest.raises(RequirementsError, match="cyclic"):
        parse_text(PYPROJECT, "pyproject", name="pyproject.toml", groups=("cyclic",))


def test_groups_alone_need_no_project_table():
    found = parse_text(
        '[dependency-groups]\nlambda = ["boto3-stubs", "six"]\n', "pyproject", groups=("lambda",)
    )
    assert found.requirements == ("boto3-stubs", "six")


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ('[project]\nname = "x"\ndynamic = ["dependencies"]\n', "dynamic", "requirements.txt"),
        ('[tool.poetry.dependencies]\npython = "^3.12"\n', r"\[tool.poetry\]", "poetry.lock"),
        (
            '[project]\nname = "x"\ndependencies = ["click @ git+https://github.com/pallets/click"]\n',
            "version-control",
            "name==version",
        ),
        ('[project]\nname = "x"\n', "lists no dependencies", "--extra/--group"),
    ],
)
def test_what_cannot_be_read_says_what_to_do(text: str, message: str, hint: str):
    with pytest.raises(RequirementsError, match=message) as caught:
        parse_text(text, "pyproject", name="pyproject.toml")
    assert caught.value.hint is not None and hint in caught.value.hint


def test_detection_by_name_and_content():
    assert detect("pyproject.toml", "") == "pyproject"
    assert detect("uv.lock", "") == "uv-lock"
    assert detect("poetry.lock", "") == "poetry-lock"
    assert detect("pylock.toml", "") == "pylock" and detect("pylock.dev.toml", "") == "pylock"
    assert detect("requirements-dev.in", "") == "requirements" and detect("deps.txt", "") == "requirements"
    assert detect("deps", "six==1.17.0 --hash=sha256:ab\n-r other\n") == "requirements"
    assert detect("service.toml", PYPROJECT) == "pyproject"
    assert detect("locked", 'lock-version = "1.0"\ncreated-by = "x"\npackages = []\n') == "pylock"
    assert detect("locked", '[[package]]\nname = "a"\n[metadata]\ncontent-hash = "x"\n') == "poetry-lock"
    assert detect("locked", 'version = 1\n[[package]]\nname = "a"\n') == "uv-lock"


def test_an_unknown_format_names_the_supported_ones():
    with pytest.raises(RequirementsError, match="cannot tell what format") as caught:
        detect("environment", "name: env\ndependencies:\n  - numpy\n")
    assert (
        caught.value.hint is not None and "uv-lock" in caught.value.hint and "--format" in caught.value.hint
    )
    with pytest.raises(RequirementsError, match="Pipfile is not a format") as pipenv:
        detect("Pipfile", "")
    assert pipenv.value.hint is not None and "pipenv requirements" in pipenv.value.hint


def test_extra_and_group_options_are_refused_where_they_mean_nothing(tmp_path):
    from builder.requirements.read import Source, read

    path = tmp_path / "requirements.txt"
    path.write_text("six\n")
    with pytest.raises(RequirementsError, match="--extra applies to"):
        read(Source(path=path, extras=("x",)), [])
    with pytest.raises(RequirementsError, match="--group applies to"):
        read(Source(path=path, groups=("x",)), [])
    with pytest.raises(RequirementsError, match="unknown format 'uvlock'"):
        read(Source(path=path, format="uvlock"), [])

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import RecipeError
from builder.recipe import find_recipe, parse_recipe, recipe_files

MINIMAL = """
[layer]
requirements = ["numpy>=2"]
runtimes = ["python3.12"]
architectures = ["x86_64"]
"""


def test_minimal_recipe_gets_documented_defaults(write_recipe):
    recipe = parse_recipe(write_recipe(MINIMAL))
    assert recipe.name == "demo"
    assert recipe.requirements == ("numpy>=2",)
    assert recipe.bytecode == "auto"
    assert recipe.backends == ("local", "docker")
    assert recipe.minimize.strip and recipe.minimize.enabled
    assert recipe.headroom_bytes == 0


def test_unknown_key_names_file_key_and_suggestion(write_recipe):
    path = write_recipe(MINIMAL.replace("requirements", "requirement"))
    with pytest.raises(RecipeError) as caught:
        parse_recipe(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'layer.requirement'" in message
    assert "did you mean 'requirements'" in message


def test_unknown_nested_key_in_package_rules(write_recipe):
    path = write_recipe(MINIMAL + '\n[minimize.packages.numpy]\nkeeep = ["x"]\n')
    with pytest.raises(RecipeError, match=r"'minimize\.packages\.numpy\.keeep'.*did you mean 'keep'"):
        parse_recipe(path)


def test_unknown_runtime_is_rejected_with_suggestion(write_recipe):
    path = write_recipe(MINIMAL.replace('"python3.12"', '"pyhton3.12"'))
    with pytest.raises(
        RecipeError, match=r"'layer\.runtimes' has 'pyhton3\.12' \(did you mean 'python3\.12'\?\)"
    ):
        parse_recipe(path)


def test_invalid_requirement_is_named(write_recipe):
    path = write_recipe(MINIMAL.replace('"numpy>=2"', '"numpy>>2"'))
    with pytest.raises(RecipeError, match=r"invalid requirement 'numpy>>2'"):
        parse_recipe(path)


def test_wrong_type_is_named(write_recipe):
    path = write_recipe(MINIMAL + "\n[build]\nbytecode = 3\n")
    with pytest.raises(RecipeError, match=r"'build\.bytecode' must be a string"):
        parse_recipe(path)


def test_bad_bytecode_mode(write_recipe):
    path = write_recipe(MINIMAL + '\n[build]\nbytecode = "sourcless"\n')
    with pytest.raises(RecipeError, match=r"did you mean 'sourceless'"):
        parse_recipe(path)


def test_broken_toml_names_the_file(write_recipe):
    path = write_recipe("[layer\n")
    with pytest.raises(RecipeError, match=r"demo\.toml: not valid TOML"):
        parse_recipe(path)


def test_missing_requirements(write_recipe):
    with pytest.raises(RecipeError, match=r"'layer\.requirements' is required"):
        parse_recipe(write_recipe("[layer]\n"))


def test_lock_fingerprint_ignores_smoke_but_not_requirements(write_recipe):
    base = parse_recipe(write_recipe(MINIMAL)).lock_fingerprint()
    with_smoke = parse_recipe(write_recipe(MINIMAL + '\n[smoke]\nimports = ["numpy"]\n')).lock_fingerprint()
    changed = parse_recipe(write_recipe(MINIMAL.replace("numpy>=2", "numpy>=2.1"))).lock_fingerprint()
    assert base == with_smoke
    assert base != changed


def test_find_by_name_path_and_typo(write_recipe, tmp_path: Path):
    path = write_recipe(MINIMAL)
    assert find_recipe("demo", [path.parent]).path == path.resolve()
    assert find_recipe(str(path), []).name == "demo"
    with pytest.raises(RecipeError, match=r"did you mean 'demo'"):
        find_recipe("dmeo", [path.parent])
    with pytest.raises(RecipeError, match="does not exist"):
        find_recipe(str(tmp_path / "nope.toml"), [])


def test_shipped_recipes_parse(repo: Path):
    names = recipe_files([repo / "recipes"])
    assert {"numpy", "scipy", "pandas", "scipy-stack"} <= set(names)
    stack = parse_recipe(names["scipy-stack"])
    assert set(stack.requirement_names) == {"numpy", "scipy", "pandas"}
    assert "scipy.stats" in stack.smoke.imports


def test_system_libraries_are_file_names(write_recipe):
    path = write_recipe('[layer]\nrequirements = ["numpy"]\nsystem_libraries = ["libgomp.so.1"]\n')
    assert parse_recipe(path).system_libraries == ("libgomp.so.1",)
    bad = write_recipe('[layer]\nrequirements = ["numpy"]\nsystem_libraries = ["/usr/lib64/libgomp.so.1"]\n')
    with pytest.raises(RecipeError, match=r"list library file names like 'libgomp\.so\.1'"):
        parse_recipe(bad)

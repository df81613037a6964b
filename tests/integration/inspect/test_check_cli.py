"""`layer-builder check`: real zips (and built layers) stacked the way Lambda stacks them."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from builder.errors import StackError

LIMIT = 262_144_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory, zips: ModuleType) -> Path:
    """A layer that unzips to 200,000,000 bytes (zeros: the zip itself stays small)."""
    return zips.zeros_zip(tmp_path_factory.mktemp("big") / "big.zip", "python/big/data.bin", 200_000_000)


def test_a_stack_over_the_limit_fails_and_names_the_biggest_contributor(
    cli: Any, zips: ModuleType, big: Path, tmp_path: Path
):
    rest = zips.zeros_zip(tmp_path / "rest.zip", "python/rest/data.bin", LIMIT - 200_000_000 + 1)
    result = cli("check", big, rest)
    assert result.exit_code == StackError.exit_code == 11, result.stdout
    first = result.stdout.splitlines()[0]
    assert first == (
        "cannot work: the function code and layers unzip to 262,144,001 bytes, 1 over Lambda's limit of "
        f"262,144,000; the biggest contributor is layer 1 ({big}): 200,000,000 bytes, most of it big "
        "(200,000,000 bytes)"
    )
    assert "the stack cannot work: the function code and layers unzip to 262,144,001 bytes" in result.stderr


def test_function_code_and_layers_just_under_the_limit_pass(
    cli: Any, zips: ModuleType, big: Path, tmp_path: Path
):
    function = zips.write_zip(tmp_path / "function.zip", {"handler.py": 1_000})
    rest = zips.zeros_zip(tmp_path / "rest.zip", "python/rest/data.bin", LIMIT - 200_000_000 - 1_000 - 1)
    plan = cli.json("check", "--function-zip", function, big, rest)
    assert plan["works"] is True and plan["problems"] == []
    assert plan["total_bytes"] == LIMIT - 1
    assert plan["headroom_bytes"] == 1
    assert [s["bytes"] for s in plan["sizes"]] == [1_000, 200_000_000, LIMIT - 200_000_000 - 1_000 - 1]
    assert plan["sizes"][0]["part"] == f"function code ({function})"


def test_duplicates_the_later_layer_wins_and_the_older_copys_extra_files_stay(
    cli: Any, zips: ModuleType, tmp_path: Path
):
    old = zips.write_zip(
        tmp_path / "old.zip",
        zips.dist("numpy", "1.26.4", {"numpy/__init__.py": 100, "numpy/oldmodule.py": 50}),
    )
    new = zips.write_zip(tmp_path / "new.zip", zips.dist("numpy", "2.0.0", {"numpy/__init__.py": 120}))
    plan = cli.json("check", old, new)
    (numpy,) = plan["duplicates"]
    assert numpy["package"] == "numpy"
    assert [(c["part"], c["version"]) for c in numpy["copies"]] == [
        (f"layer 1 ({old})", "1.26.4"),
        (f"layer 2 ({new})", "2.0.0"),
    ]
    assert numpy["winner"] == f"layer 2 ({new})"
    assert numpy["why"] == "later layers are extracted over earlier ones in /opt"
    # numpy/oldmodule.py and the old numpy-1.26.4.dist-info (METADATA, RECORD) stay beside 2.0.0
    assert numpy["leftover_files"] == 3
    assert (plan["overwritten_files"], plan["overwritten_bytes"]) == (1, 100)  # numpy/__init__.py
    assert plan["works"] is True


def test_site_packages_beats_python_and_function_code_beats_every_layer(
    cli: Any, zips: ModuleType, tmp_path: Path
):
    site = zips.write_zip(
        tmp_path / "site.zip",
        zips.dist("attrs", "23.1.0", {"attr/__init__.py": 10}, site="python/lib/python3.12/site-packages/"),
    )
    plain = zips.write_zip(tmp_path / "plain.zip", zips.dist("attrs", "25.1.0", {"attr/__init__.py": 10}))
    plan = cli.json("check", site, plain)
    assert plan["duplicates"][0]["winner"] == f"layer 1 ({site})"
    assert (
        plan["duplicates"][0]["why"] == "python/lib/pythonX.Y/site-packages comes before python/ on sys.path"
    )
    function = zips.write_zip(
        tmp_path / "function.zip", zips.dist("attrs", "24.2.0", {"attr/__init__.py": 10}, site="")
    )
    plan = cli.json("check", "--function-zip", function, site, plain)
    (attrs,) = plan["duplicates"]
    assert attrs["winner"] == f"function code ({function})"
    assert [c["version"] for c in attrs["copies"]] == ["24.2.0", "23.1.0", "25.1.0"]


def test_packages_the_runtime_provides_are_reported(cli: Any, zips: ModuleType, tmp_path: Path):
    layer = zips.write_zip(
        tmp_path / "aws.zip",
        zips.dist("boto3", "1.35.0", {"boto3/__init__.py": 700}),
        zips.dist("botocore", "1.35.0", {"botocore/__init__.py": 900}),
    )
    plan = cli.json("check", layer)
    assert {(p["package"], p["version"]) for p in plan["provided"]} == {
        ("boto3", "1.35.0"),
        ("botocore", "1.35.0"),
    }
    text = cli("check", layer).stdout
    assert "runtime provides boto3" in text and "shadows the runtime's own" in text


def test_layers_for_different_runtimes_cannot_work(cli: Any, zips: ModuleType, chdir: Any):
    root = chdir()
    zips.built_layer(root / "layers", "one", "python3.12", "x86_64", {"python/one.py": 10})
    zips.built_layer(root / "layers", "two", "python3.11", "x86_64", {"python/two.py": 10})
    result = cli("check", "one", "two")
    assert result.exit_code == StackError.exit_code == 11
    assert result.stdout.splitlines()[0] == (
        "cannot work: no runtime in common (layer 1 (one python3.12-x86_64): python3.12; "
        "layer 2 (two python3.11-x86_64): python3.11)"
    )


def test_layers_for_different_architectures_cannot_work(cli: Any, zips: ModuleType, chdir: Any):
    root = chdir()
    zips.built_layer(root / "layers", "one", "python3.12", "x86_64", {"python/one.py": 10})
    zips.built_layer(root / "layers", "two", "python3.12", "arm64", {"python/two.py": 10})
    plan = cli.json("check", "one", "layers/two/python3.12-arm64", expect=StackError.exit_code)
    assert plan["problems"][0].startswith("no architecture in common")
    assert plan["runtimes"] == ["python3.12"] and plan["archs"] == []


def test_the_runtime_the_user_names_must_be_one_the_layers_support(cli: Any, zips: ModuleType, chdir: Any):
    root = chdir()
    zips.built_layer(root / "layers", "one", "python3.12", "x86_64", {"python/one.py": 10})
    plan = cli.json(
        "check", "layers/one/python3.12-x86_64", "--runtime", "python3.13", expect=StackError.exit_code
    )
    assert plan["problems"] == [
        "no runtime in common (layer 1 (layers/one/python3.12-x86_64): python3.12; the function (python3.13): python3.13)"
    ]


def test_an_elf_file_needing_a_newer_glibc_than_the_common_runtime_fails(
    cli: Any, zips: ModuleType, chdir: Any, glibc_2_34_library: bytes
):
    root = chdir()
    zips.built_layer(
        root / "layers", "native", "python3.11", "x86_64", {"python/native/libspawn.so": glibc_2_34_library}
    )
    plan = cli.json("check", "native", expect=StackError.exit_code)
    assert plan["problems"] == [
        "ELF files need a newer glibc than any runtime the layers have in common offers "
        "(layer 1 (native python3.11-x86_64): python/native/libspawn.so needs glibc 2.34 but python3.11 has 2.26)"
    ]
    assert [(g["runtime"], g["needs"], g["has"]) for g in plan["glibc"]] == [("python3.11", [2, 34], [2, 26])]


def test_a_bare_zip_with_new_glibc_needs_is_limited_to_the_runtimes_that_load_it(
    cli: Any, zips: ModuleType, tmp_path: Path, glibc_2_34_library: bytes
):
    layer = zips.write_zip(tmp_path / "native.zip", {"python/native/libspawn.so": glibc_2_34_library})
    plan = cli.json("check", layer)
    assert plan["works"] is True
    assert plan["archs"] == ["x86_64"]  # from its ELF file
    assert plan["runtimes"] is None
    assert {g["runtime"] for g in plan["glibc"]} == {"python3.10", "python3.11"}
    assert any(
        w.startswith(
            "ELF files load only on python3.12, python3.13, python3.14, not on python3.10, python3.11"
        )
        for w in plan["warnings"]
    )
    assert any("runtime of layer 1" in w and "unknown" in w for w in plan["warnings"])


def test_more_than_five_layers_cannot_work(cli: Any, zips: ModuleType, tmp_path: Path):
    layers = [zips.write_zip(tmp_path / f"l{i}.zip", {f"python/m{i}.py": 10}) for i in range(6)]
    plan = cli.json("check", *layers, expect=StackError.exit_code)
    assert plan["problems"] == ["6 layers; a Lambda function takes at most 5"]


def test_a_missing_function_zip_or_layer_is_a_clear_error(cli: Any, zips: ModuleType, tmp_path: Path):
    layer = zips.write_zip(tmp_path / "layer.zip", {"python/m.py": 10})
    result = cli("check", "--function-zip", tmp_path / "nope.zip", layer)
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "nope.zip as a zip" in result.stderr
    result = cli("check", layer, tmp_path / "missing.zip")
    assert result.exit_code == 2
    assert f"{tmp_path / 'missing.zip'}: no such file" in result.stderr


def test_an_unknown_runtime_is_refused_with_a_suggestion(cli: Any, zips: ModuleType, tmp_path: Path):
    layer = zips.write_zip(tmp_path / "layer.zip", {"python/m.py": 10})
    result = cli("check", layer, "--runtime", "python3.21")
    assert result.exit_code == 2
    assert "unknown runtime 'python3.21'" in result.stderr
    plan = cli.json("check", layer, "--runtime", "python3.12", "--arch", "aarch64")
    assert plan["runtimes"] == ["python3.12"] and plan["archs"] == ["arm64"]

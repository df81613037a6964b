"""Finding and checking built layers before anything is sent."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from builder.errors import ConfigError, ManifestError, RecipeError
from builder.publish import local

from .conftest import make_layer


def test_every_built_target_unless_narrowed(tmp_path, files):
    for runtime in ("python3.12", "python3.13"):
        for arch in ("x86_64", "arm64"):
            files.write_layer(tmp_path, runtime=runtime, arch=arch)
    every = local.find("demo", tmp_path, [])
    assert [layer.target for layer in every] == [
        "python3.12-arm64",
        "python3.12-x86_64",
        "python3.13-arm64",
        "python3.13-x86_64",
    ]
    narrowed = local.find("demo", tmp_path, [], runtimes=["python3.13"], archs=["aarch64"])
    assert [(layer.target, layer.name) for layer in narrowed] == [("python3.13-arm64", "demo-py313-arm64")]


def test_a_target_asked_for_but_not_built_names_the_build_command(tmp_path, files):
    files.write_layer(tmp_path)
    with pytest.raises(ConfigError, match=r"no built layer for python3\.12-arm64") as caught:
        local.find("demo", tmp_path, [], runtimes=["python3.12"], archs=["arm64"])
    assert caught.value.hint == "build it first: layer-builder build demo -r python3.12 -a arm64"
    with pytest.raises(ConfigError, match=r"python3\.13"):
        local.find("demo", tmp_path, [], runtimes=["python3.13"])


def test_unknown_recipe_gets_did_you_mean_and_a_known_unbuilt_one_the_build_command(tmp_path, files):
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "scipy-stack.toml").write_text("")
    files.write_layer(tmp_path / "layers", recipe="numpy")
    with pytest.raises(RecipeError, match="did you mean 'numpy'"):
        local.find("numpi", tmp_path / "layers", [recipes])
    with pytest.raises(ConfigError, match="scipy-stack has not been built") as caught:
        local.find("scipy-stack", tmp_path / "layers", [recipes])
    assert "layer-builder build scipy-stack" in (caught.value.hint or "")


def test_changed_zip_failed_verification_and_mismatched_manifest_are_refused(tmp_path, files):
    folder = files.write_layer(tmp_path)
    with (folder / "layer.zip").open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(ManifestError, match="changed after the build"):
        local.find("demo", tmp_path, [])
    folder = files.write_layer(tmp_path, smoke="failed")
    with pytest.raises(ManifestError, match=r"failed its verification .*import scipy\.stats"):
        local.find("demo", tmp_path, [])
    folder = files.write_layer(tmp_path)
    moved = folder.parent / "python3.13-x86_64"
    folder.rename(moved)
    with pytest.raises(
        ManifestError, match=r"describes demo python3\.12-x86_64, not demo python3\.13-x86_64"
    ):
        local.find("demo", tmp_path, [])


def test_an_unknown_schema_is_refused_with_what_to_do(tmp_path, files):
    folder = files.write_layer(tmp_path)
    data = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**data, "schema": 99}))
    with pytest.raises(ManifestError, match="schema 99") as caught:
        local.find("demo", tmp_path, [])
    assert "upgrade layer-builder" in (caught.value.hint or "")
    (folder / "manifest.json").unlink()
    with pytest.raises(ManifestError, match="no manifest"):
        local.find("demo", tmp_path, [])


def test_runtimes_lambda_is_retiring_warn_by_date():
    old = make_layer(runtime="python3.11")
    assert local.warnings(old, dt.date(2026, 5, 1)) == []
    assert "deprecated since 2026-06-30" in local.warnings(old, dt.date(2026, 7, 1))[0]
    assert "blocks updating them from 2026-08-31" in local.warnings(old, dt.date(2026, 8, 1))[0]
    blocked = local.warnings(old, dt.date(2026, 11, 26))[0]
    assert "updating them since 2026-08-31" in blocked and "no function can start using this layer" in blocked
    assert local.warnings(make_layer(runtime="python3.12"), dt.date(2026, 11, 26)) == []


# ---- a layers folder assembled from CI artifacts ----------------------------------------------


def _flat_artifact(root, files, name, **layer):
    """A target's folder uploaded alone: its files at the top of the artifact's folder."""
    built = files.write_layer(root / ".scratch" / name, **layer)
    built.rename(root / name)
    return root / name


def test_artifacts_downloaded_side_by_side_are_found_however_they_are_nested(tmp_path, files):
    layers = tmp_path / "layers"
    _flat_artifact(layers, files, "layer-demo-python3.12-x86_64")
    files.write_layer(layers / "layer-demo-python3.12-arm64", arch="arm64")  # <artifact>/<recipe>/<target>
    files.write_layer(layers / "layer-other", recipe="other")  # another recipe's artifact: not ours
    found = local.find("demo", layers, [])
    assert [(layer.target, layer.folder.relative_to(layers).as_posix()) for layer in found] == [
        ("python3.12-arm64", "layer-demo-python3.12-arm64/demo/python3.12-arm64"),
        ("python3.12-x86_64", "layer-demo-python3.12-x86_64"),
    ]


def test_two_copies_of_one_target_are_one_layer_when_their_zips_are_the_same(tmp_path, files):
    layers = tmp_path / "layers"
    files.write_layer(layers)
    files.write_layer(layers / "artifact-a")
    _flat_artifact(layers, files, "artifact-b")
    [layer] = local.find("demo", layers, [])
    assert layer.folder == layers / "demo" / "python3.12-x86_64"  # where build writes it comes first


def test_a_target_built_twice_with_different_content_names_both_copies(tmp_path, files):
    layers = tmp_path / "layers"
    files.write_layer(layers / "job-1", content="v1")
    files.write_layer(layers / "job-2", content="v2")
    files.write_layer(layers / "job-3", arch="arm64")
    with pytest.raises(ConfigError, match="built twice with different content") as caught:
        local.find("demo", layers, [])
    message = caught.value.message
    assert str(layers / "job-1" / "demo" / "python3.12-x86_64") in message
    assert str(layers / "job-2" / "demo" / "python3.12-x86_64") in message
    digests = [
        json.loads((layers / job / "demo" / "python3.12-x86_64" / "manifest.json").read_text())["zip"][
            "sha256"
        ]
        for job in ("job-1", "job-2")
    ]
    assert all(digest in message for digest in digests) and digests[0] != digests[1]
    # The conflict is in python3.12-x86_64 only: the other target can still be published alone.
    assert [layer.target for layer in local.find("demo", layers, [], archs=["arm64"])] == ["python3.12-arm64"]

"""The manifest type: its JSON round trip, the shipped schema, and what readers do with other schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.manifests import sample_manifest

from builder import manifest
from builder.errors import ManifestError
from builder.manifest import Manifest

from .schema_from_types import schema


def sample() -> Manifest:
    return sample_manifest(
        recipe_hash="sha256:1",
        description="a demo",
        license="MIT",
        arch="arm64",
        build_key="sha256:2",
        packages={"demo": "1.0", "dep": "2.0"},
        requested=("demo",),
        zip=manifest.ZipDigest(sha256="cd" * 32, code_sha256="q83vEjRWeJA="),
        minimize=manifest.Minimize(
            removed_files=2,
            removed_bytes=50,
            stripped_files=1,
            strip_saved_bytes=7,
            strip="applied",
            by_rule={"tests": manifest.RuleTotal(files=2, bytes=50)},
            by_package={"demo": manifest.PackageTotal(kept_bytes=300, removed_bytes=50, removed_files=2)},
            identical_libraries=(("a.libs/x.so", "b.libs/x.so"),),
            kept=(manifest.KeptFile(path="demo/README.rst", rule="docs", reason="named in demo/data.py"),),
        ),
        bytecode=manifest.Bytecode(
            mode="pyc",
            status="compiled",
            reason="",
            interpreter="/usr/bin/python3.12",
            invalidation="unchecked-hash",
        ),
        elf=manifest.ElfCheck(status="passed", elf_files=1, machine="aarch64", glibc="2.34"),
        smoke=manifest.Smoke(
            status="passed", reason="1 import", method="emulated", seconds=1.5, imports=("demo",)
        ),
    )


def test_the_shipped_schema_is_the_one_the_types_describe():
    shipped = json.loads((Path(manifest.__file__).parent / "data" / "manifest.schema.json").read_text())
    assert shipped == schema(), (
        "regenerate data/manifest.schema.json from the types (tests/unit/build/schema_from_types.py)"
    )


def test_round_trip_through_json_keeps_every_field(tmp_path: Path):
    path = tmp_path / "manifest.json"
    manifest.write(path, sample())
    assert manifest.load(path) == sample()


def test_a_field_of_the_wrong_type_is_named():
    data = sample().to_json()
    data["size"]["zipped_bytes"] = "120"
    with pytest.raises(ManifestError, match="at size/zipped_bytes"):
        Manifest.from_json(data)


def test_an_unknown_smoke_status_is_refused():
    data = sample().to_json()
    data["verification"]["smoke"]["status"] = "ok"
    with pytest.raises(ManifestError, match="verification/smoke/status"):
        Manifest.from_json(data)


def test_an_old_manifest_asks_for_a_rebuild(tmp_path: Path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"schema": 1, "recipe": "demo"}))
    with pytest.raises(ManifestError, match="schema 1; this layer-builder reads schema 2") as caught:
        manifest.load(path)
    assert caught.value.hint is not None and "rebuild" in caught.value.hint
    assert manifest.read(path) is None  # the build cache treats it as no manifest


def test_a_newer_manifest_asks_for_an_upgrade():
    data = sample().to_json() | {"schema": 3}
    with pytest.raises(ManifestError, match="schema 3") as caught:
        Manifest.from_json(data)
    assert caught.value.hint is not None and "upgrade" in caught.value.hint


def test_missing_and_unreadable_manifests_say_what_to_do(tmp_path: Path):
    with pytest.raises(ManifestError, match="no manifest at") as caught:
        manifest.load(tmp_path / "nothing.json")
    assert caught.value.hint is not None and "layer-builder build" in caught.value.hint
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ManifestError, match="cannot read"):
        manifest.load(broken)


def test_verified_means_no_check_failed():
    passed = sample()
    assert passed.verified
    not_run = Manifest.from_json(
        passed.to_json()
        | {
            "verification": {
                **passed.to_json()["verification"],
                "smoke": {"status": "not run", "reason": "no interpreter"},
            }
        }
    )
    assert not_run.verified
    failed = Manifest.from_json(
        passed.to_json()
        | {
            "verification": {
                **passed.to_json()["verification"],
                "smoke": {"status": "failed", "reason": "import numpy"},
            }
        }
    )
    assert not failed.verified


def test_the_build_cache_reads_without_the_schema_but_still_refuses_what_does_not_fit(tmp_path: Path):
    path = tmp_path / "manifest.json"
    manifest.write(path, sample())
    assert manifest.read(path) == sample()
    data = sample().to_json()
    del data["zip"]
    path.write_text(json.dumps(data))
    assert manifest.read(path) is None
    with pytest.raises(ManifestError, match="required property"):
        manifest.load(path)

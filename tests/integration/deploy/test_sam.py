"""examples/sam with the real `sam build` (BuildMethod: makefile) and `sam validate --lint`: the
built layer folder holds exactly the verified zip's files, passes the recipe's smoke test, and an
unchanged rebuild is answered from layer-builder's cache."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from support.paths import REPO
from support.sam import sam_env

from builder import manifest
from builder.interpreters.locate import find
from builder.recipe import parse_recipe

pytestmark = pytest.mark.sam

EXAMPLE = REPO / "examples" / "sam"
LAYER = "AnalyticsLayer"
TARGET = "python3.12-x86_64"


class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # yaml ships no types
    """Reads CloudFormation's short tags (!Ref, !GetAtt, ...) as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None)  # fmt: skip


def python312() -> Path:
    found = find("3.12", machine="x86_64", override=None).found
    if found is None:
        pytest.fail("this machine should have a Python 3.12 to build and verify the example's layer")
    return Path(found.executable)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sam") / "project"
    shutil.copytree(EXAMPLE, folder)
    return folder


def sam_build(sam: str, project: Path) -> subprocess.CompletedProcess[str]:
    # SAM's own python builder (the function) wants python3.12 on PATH; layer-builder finds its own.
    env = sam_env([str(python312().parent)])
    return subprocess.run([sam, "build"], cwd=project, env=env, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def built(sam: str, project: Path) -> Path:
    done = sam_build(sam, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Build Succeeded" in done.stdout
    return project / ".aws-sam" / "build"


@pytest.mark.slow
@pytest.mark.network
def test_sam_build_unpacks_exactly_the_verified_layer(built: Path, project: Path):
    layer_dir = manifest.layer_dir(project / "layers", "analytics", TARGET)
    found = manifest.load(layer_dir / manifest.MANIFEST)
    assert found.verification.smoke.status == "passed" and found.verified
    with zipfile.ZipFile(layer_dir / manifest.LAYER_ZIP) as archive:
        listed = {info.filename: info.file_size for info in archive.infolist()}
    content = built / LAYER
    on_disk = {p.relative_to(content).as_posix(): p.stat().st_size for p in content.rglob("*") if p.is_file()}
    assert on_disk == listed
    assert len(on_disk) == found.size.file_count and sum(on_disk.values()) == found.size.unzipped_bytes
    site = content / "python"
    for name, version in found.packages.items():
        assert list(site.glob(f"{name.replace('-', '_')}-{version}.dist-info")), name
    template = yaml.load((built / "template.yaml").read_text(), Loader=_Loader)
    assert template["Resources"][LAYER]["Properties"]["ContentUri"] == LAYER


@pytest.mark.slow
@pytest.mark.network
def test_the_built_folder_passes_the_recipes_smoke_test(built: Path, project: Path):
    recipe = parse_recipe(project / "recipes" / "analytics.toml")
    site = built / LAYER / "python"
    check = f"import numpy, sys\nassert numpy.__file__.startswith({str(site)!r}), numpy.__file__\n"
    program = f"import sys\nsys.path.insert(0, {str(site)!r})\n" + check + recipe.smoke.script
    done = subprocess.run(
        [str(python312()), "-I", "-c", program], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    broken = program + "\nassert numpy.linalg.det(numpy.eye(2)) == 2\n"  # the check can fail
    assert subprocess.run([str(python312()), "-I", "-c", broken], capture_output=True).returncode != 0


@pytest.mark.slow
@pytest.mark.network
def test_an_unchanged_rebuild_is_answered_from_the_cache(sam: str, built: Path, project: Path):
    zip_path = manifest.layer_dir(project / "layers", "analytics", TARGET) / manifest.LAYER_ZIP
    before = (zip_path.stat().st_mtime_ns, sorted(p.name for p in (built / LAYER / "python").iterdir()))
    done = sam_build(sam, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert zip_path.stat().st_mtime_ns == before[0]  # nothing was rebuilt
    assert sorted(p.name for p in (built / LAYER / "python").iterdir()) == before[1]


def test_the_makefile_target_outside_sam_build_is_refused(tmp_path: Path):
    shutil.copytree(EXAMPLE, tmp_path / "project")
    done = subprocess.run(
        ["make", "-e", "--makefile", "Makefile", "build-AnalyticsLayer"],
        cwd=tmp_path / "project" / "layer",
        env=sam_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "ARTIFACTS_DIR is not set, so this Makefile target was run outside `sam build`" in done.stderr
    assert not (tmp_path / "project" / "layers").exists()  # refused before anything was built


def test_sam_validate_lint_passes_on_the_example_and_fails_on_a_broken_copy(sam: str, tmp_path: Path):
    done = subprocess.run(
        [sam, "validate", "--lint"],
        cwd=EXAMPLE,
        env=sam_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copytree(EXAMPLE, tmp_path / "project")
    template = tmp_path / "project" / "template.yaml"
    template.write_text(template.read_text().replace("Runtime: python3.12", "Runtime: python2.7"))
    broken = subprocess.run(
        [sam, "validate", "--lint"],
        cwd=template.parent,
        env=sam_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert broken.returncode != 0 and "python2.7" in broken.stdout + broken.stderr


def test_the_example_is_a_directory_a_user_can_copy():
    for name in ("README.md", "template.yaml", "layer/Makefile", "src/app.py", "recipes/analytics.toml"):
        assert (EXAMPLE / name).is_file(), name
    assert (EXAMPLE / "recipes" / "locks" / "analytics" / f"{TARGET}.txt").is_file()

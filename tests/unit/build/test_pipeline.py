"""The build pipeline end to end, in the fast tier: a fake backend installs a small real tree.

The seams are the pipeline's own: a Backend whose session "installs" a package with a RECORD, a
tests/ folder and a real shared library built with gcc, and the progress protocol. Everything else
is real: the lock, the minimize plan and its application, the ELF check, bytecode and the smoke
test with this interpreter, the size check, the deterministic zip and the atomic output folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.fakebackend import ARCH, HOST_PYTHON, DemoResolver, FakeBackend, ThisPython

from builder import manifest
from builder.build import lock, pipeline
from builder.build.lock import Lock
from builder.build.options import BuildOptions, BuildResult
from builder.build.workspace import output_dir
from builder.errors import SizeLimitError, VerificationError
from builder.interpreters.locate import probe
from builder.interpreters.run import LocalPython
from builder.manifest import PackageIndexes
from builder.recipe import Recipe, parse_recipe
from builder.runtimes import Target, get_target

RECIPE = """
[layer]
requirements = ["demo"]
runtimes = ["python{version}"]
architectures = ["{arch}"]
{layer_extra}

[smoke]
imports = ["demo"]
script = '''
import demo
assert demo.answer() == 42
{script_extra}
'''
"""


@pytest.fixture(scope="module")
def shared_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc (Debian: gcc)")
    folder = tmp_path_factory.mktemp("so")
    source = folder / "fast.c"
    source.write_text("int fast(void) { return 42; }\n")
    library = folder / "_fast.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-o", str(library), str(source)], check=True)
    return library


@dataclass(frozen=True, kw_only=True)
class FakeSession(ThisPython):
    """Installs the demo distribution; this interpreter compiles bytecode and runs the smoke test."""

    library: Path
    installs: list[Path] = field(default_factory=list)

    def bundle_system_libraries(self, names: Sequence[str], lib_dir: Path) -> None:
        raise AssertionError(f"these tests' recipes bundle no system libraries, asked for {names}")

    def install(self, lock: Lock, lock_path: Path, site: Path, indexes: PackageIndexes) -> None:
        self.installs.append(site)
        files = {
            "demo/__init__.py": "from demo._impl import answer\n",
            "demo/_impl.py": "import ctypes, pathlib\n"
            "def answer():\n"
            "    return ctypes.CDLL(str(pathlib.Path(__file__).with_name('_fast.so'))).fast()\n",
            "demo/tests/__init__.py": "",
            "demo/tests/test_demo.py": "def test_it():\n    assert True\n" + "# padding\n" * 200,
            "demo/README.rst": "The demo package.\n",
        }
        for relative, text in files.items():
            (site / relative).parent.mkdir(parents=True, exist_ok=True)
            (site / relative).write_text(text)
        shutil.copyfile(self.library, site / "demo" / "_fast.so")
        (site / "demo" / "table.bin").write_bytes(bytes(200_000))  # package data: no rule removes it
        info = site / "demo-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
        installed = [*files, "demo/_fast.so", "demo/table.bin", "demo-1.0.dist-info/METADATA"]
        record = [f"{name},," for name in installed]
        # pip records the scripts it writes outside the site with a hash of their shebang: the path
        # of the Python that ran pip, which differs between two installs of layer-builder.
        script = f"../../bin/demo,sha256={self.python.label.encode().hex()[:43]},{len(self.python.label)}"
        (info / "RECORD").write_text("\n".join([*record, script, "demo-1.0.dist-info/RECORD,,"]) + "\n")


class RecordingProgress:
    def __init__(self) -> None:
        self.steps: list[str] = []
        self.notes: list[str] = []

    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        self.steps.append(name)
        yield

    def output(self, line: str) -> None:
        pass

    def note(self, message: str) -> None:
        self.notes.append(message)


@dataclass
class Setup:
    recipe: Recipe
    target: Target
    backend: FakeBackend[FakeSession]
    options: BuildOptions

    def build(self, **changes: object) -> BuildResult:
        options = BuildOptions(**{**self.options.__dict__, **changes})  # type: ignore[arg-type]
        return pipeline.build(self.recipe, self.target, options, RecordingProgress(), self.backend)

    @property
    def final(self) -> Path:
        return output_dir(self.options, self.recipe, self.target)


def make(
    tmp_path: Path, library: Path, *, layer_extra: str = "", script_extra: str = "", minimize: str = ""
) -> Setup:
    folder = tmp_path / "recipes"
    folder.mkdir(exist_ok=True)
    path = folder / "demo.toml"
    text = RECIPE.format(version=HOST_PYTHON, arch=ARCH, layer_extra=layer_extra, script_extra=script_extra)
    path.write_text(text + minimize)
    recipe = parse_recipe(path)
    target = get_target(f"python{HOST_PYTHON}", ARCH)
    lock.create(recipe, target, DemoResolver())
    interpreter = probe(Path(sys.executable))
    assert interpreter is not None
    session = FakeSession(library=library, python=LocalPython(interpreter))
    options = BuildOptions(output_root=tmp_path / "layers")
    return Setup(recipe=recipe, target=target, backend=FakeBackend(session), options=options)


def names(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return set(archive.namelist())


def test_a_fresh_build_minimizes_verifies_and_describes_the_layer(tmp_path: Path, shared_library: Path):
    setup = make(tmp_path, shared_library)
    result = setup.build()
    assert not result.cached and result.manifest is not None and result.zip_path is not None
    files = names(result.zip_path)
    assert "python/demo/_fast.so" in files and "python/demo/__init__.py" in files
    assert not [n for n in files if "/tests/" in n], "the tests rule removed the test suite"
    pycs = [n for n in files if n.endswith(".pyc")]
    assert pycs and all(f"cpython-{HOST_PYTHON.replace('.', '')}" in n for n in pycs)
    m = setup_manifest(setup)
    assert m == result.manifest
    assert m.verification.smoke.status == "passed" and m.verification.smoke.method == "native"
    assert m.verification.elf.elf_files == 1
    assert m.minimize.by_rule["tests"].files == 2
    assert m.minimize.stripped_files in (0, 1)  # 1 where this machine has a strip for the host
    assert m.size.file_count == len(files)
    with zipfile.ZipFile(result.zip_path) as archive:
        record = archive.read("python/demo-1.0.dist-info/RECORD").decode()
    assert "demo/_fast.so,," in record and "../" not in record, "only rows for files in the layer"


def setup_manifest(setup: Setup) -> manifest.Manifest:
    return manifest.load(setup.final / manifest.MANIFEST)


def test_an_unchanged_rebuild_comes_from_the_cache_without_installing(tmp_path: Path, shared_library: Path):
    setup = make(tmp_path, shared_library)
    first = setup.build()
    installs = len(setup.backend.session.installs)
    again = setup.build()
    assert again.cached and len(setup.backend.session.installs) == installs
    assert again.manifest == first.manifest
    # A zip that no longer matches its manifest is not trusted: rebuilt, not served.
    assert again.zip_path is not None
    again.zip_path.write_bytes(b"tampered")
    rebuilt = setup.build()
    assert not rebuilt.cached and len(setup.backend.session.installs) == installs + 1


def test_the_manifest_names_the_backend_that_built_the_layer_not_the_options(
    tmp_path: Path, shared_library: Path
):
    setup = make(tmp_path, shared_library)
    setup.backend = FakeBackend(setup.backend.session, name="docker", build_image="example/build:1")
    result = setup.build()  # the options still say "local"
    assert result.manifest is not None
    assert (result.manifest.backend, result.manifest.build_image) == ("docker", "example/build:1")


def test_a_dry_run_plans_and_writes_nothing(tmp_path: Path, shared_library: Path):
    setup = make(tmp_path, shared_library)
    result = setup.build(dry_run=True)
    assert result.dry_run and result.manifest is None and result.plan is not None
    removed = {d.path for d in result.plan.by_action("remove")}
    assert {"demo/tests/__init__.py", "demo/tests/test_demo.py"} <= removed
    assert not setup.final.exists()


def test_a_file_the_smoke_test_imports_is_kept_without_a_keep_line(tmp_path: Path, shared_library: Path):
    setup = make(tmp_path, shared_library, script_extra="import demo.tests.test_demo")
    result = setup.build()
    assert result.zip_path is not None and result.manifest is not None
    assert "python/demo/tests/test_demo.py" in names(result.zip_path)
    kept = {k.path: (k.rule, k.reason) for k in result.manifest.minimize.kept}
    assert kept["demo/tests/test_demo.py"][0] == "tests"
    assert "smoke test" in kept["demo/tests/test_demo.py"][1]


# Reads a test file only when the tests folder is gone: the full install's run cannot see it coming.
ONLY_AFTER_MINIMIZING = """
import os
here = os.path.join(os.path.dirname(demo.__file__), "tests")
if not os.path.exists(os.path.join(here, "__init__.py")):
    open(os.path.join(here, "test_demo.py")).read()
"""


def test_a_removed_file_the_smoke_test_needs_is_traced_to_its_rule(tmp_path: Path, shared_library: Path):
    setup = make(tmp_path, shared_library, script_extra=ONLY_AFTER_MINIMIZING)
    with pytest.raises(VerificationError) as caught:
        setup.build()
    message = str(caught.value)
    assert message.startswith("minimize: rule 'tests' removed")
    assert "demo/tests/test_demo.py" in message
    assert caught.value.hint is not None and "[minimize.packages.demo] keep" in caught.value.hint
    assert not setup.final.exists(), "a failed build writes no layer"


def test_a_layer_over_the_size_limit_names_the_biggest_entry(tmp_path: Path, shared_library: Path):
    # A headroom of 262 MB leaves 144,000 bytes, less than the demo's 200,000-byte table alone:
    # known right after the install, so the build stops there, with the headroom that would fit.
    setup = make(tmp_path, shared_library, layer_extra="headroom_mb = 262")
    with pytest.raises(SizeLimitError) as caught:
        setup.build(bytecode="none")
    message = str(caught.value)
    assert message.startswith("fit: the layer is at its smallest")
    assert re.search(r"^  demo +0\.2 ", message, re.MULTILINE), message
    assert "headroom_mb = 261 (now 262)" in message
    hint = caught.value.hint or ""
    assert "split the recipe" not in hint and "does not help" in hint
    assert not setup.final.exists()


def test_a_failed_build_keeps_the_previous_good_layer(tmp_path: Path, shared_library: Path):
    setup = make(tmp_path, shared_library)
    good = setup.build()
    assert good.zip_path is not None
    before = good.zip_path.read_bytes()
    broken = make(tmp_path, shared_library, script_extra="raise SystemExit('the new release is broken')")
    with pytest.raises(VerificationError, match="the smoke test failed"):
        broken.build()
    assert good.zip_path.read_bytes() == before
    assert setup_manifest(setup) == good.manifest
    assert not [p for p in setup.final.parent.iterdir() if p.name.startswith(".")], "no staging leftovers"

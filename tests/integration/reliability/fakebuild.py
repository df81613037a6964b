"""A whole build through builder.build.pipeline with an install that writes a pure-Python package
(and a large incompressible data file, so that packaging takes a while) instead of running pip.
Everything after the install is the real pipeline: minimize, bytecode, smoke test with this
interpreter, size, the zip and the atomic swap.

    python fakebuild.py OUTPUT_ROOT RECIPES_DIR [PAYLOAD_BYTES]
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from builder.build import lock, pipeline
from builder.build.backends.base import Notify, Session
from builder.build.lock import Lock, LockedPackage
from builder.build.options import BuildOptions
from builder.interpreters.locate import probe
from builder.interpreters.run import LocalPython, PythonRunner
from builder.manifest import Backend as BackendName
from builder.manifest import PackageIndexes
from builder.recipe import parse_recipe
from builder.runtimes import Target, get_target, host_machine

HOST_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}[host_machine()]
TARGET = f"python{HOST_PYTHON}-{ARCH}"
RECIPE = f"""
[layer]
requirements = ["demo"]
runtimes = ["python{HOST_PYTHON}"]
architectures = ["{ARCH}"]

[smoke]
imports = ["demo"]
"""


@dataclass(frozen=True)
class Install:
    python: PythonRunner
    payload: int
    why_no_bytecode: str = ""
    why_no_smoke: str = ""

    @property
    def bytecode_python(self) -> PythonRunner:
        return self.python

    @property
    def smoke_python(self) -> PythonRunner:
        return self.python

    def install(self, lock: Lock, lock_path: Path, site: Path, indexes: PackageIndexes) -> None:
        (site / "demo").mkdir(parents=True)
        (site / "demo" / "__init__.py").write_text("ANSWER = 42\n")
        (site / "demo" / "table.bin").write_bytes(random.Random(1).randbytes(self.payload))
        info = site / "demo-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
        rows = ["demo/__init__.py,,", "demo/table.bin,,", "demo-1.0.dist-info/METADATA,,"]
        (info / "RECORD").write_text("\n".join([*rows, "demo-1.0.dist-info/RECORD,,"]) + "\n")

    def bundle_system_libraries(self, names: Sequence[str], lib_dir: Path) -> None:
        pass


@dataclass(frozen=True)
class Backend:
    session: Install
    starting: str | None = None
    name: BackendName = "local"  # what the manifest records
    build_image: str | None = None

    def fingerprint(self) -> dict[str, str | None]:
        return {"backend": "fake", "python": self.session.python.label}

    def open(self, work: Path, notify: Notify, output: Notify) -> AbstractContextManager[Session]:
        return nullcontext(self.session)


class Resolver:
    def resolve(
        self, requirements: Sequence[str], target: Target, indexes: PackageIndexes | None = None
    ) -> list[LockedPackage]:
        return [
            LockedPackage(
                name="demo",
                version="1.0",
                sha256="0" * 64,
                filename="demo-1.0-py3-none-any.whl",
                requested=True,
            )
        ]


class Quiet:
    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        print(f"step {name}", flush=True)
        yield

    def output(self, line: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


def main(output_root: Path, recipes: Path, payload: int) -> None:
    path = recipes / "demo.toml"
    if not path.exists():
        recipes.mkdir(parents=True, exist_ok=True)
        path.write_text(RECIPE)
    recipe = parse_recipe(path)
    target = get_target(f"python{HOST_PYTHON}", ARCH)
    if not recipe.lock_path(target.key).exists():
        lock.create(recipe, target, Resolver())
    interpreter = probe(Path(sys.executable))
    assert interpreter is not None
    backend = Backend(Install(python=LocalPython(interpreter), payload=payload))
    options = BuildOptions(output_root=output_root, use_cache=False)
    result = pipeline.build(recipe, target, options, Quiet(), backend)
    print(f"built {result.zip_path}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 40_000_000)

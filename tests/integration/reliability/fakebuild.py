"""A whole build through builder.build.pipeline with an install that writes a pure-Python package
(and a large incompressible data file, so that packaging takes a while) instead of running pip.
Everything after the install is the real pipeline: minimize, bytecode, smoke test with this
interpreter, size, the zip and the atomic swap.

    PYTHONPATH=tests python fakebuild.py OUTPUT_ROOT RECIPES_DIR [PAYLOAD_BYTES]

(tests/ on the path for the support package, as pytest's pythonpath has it.)
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support.fakebackend import ARCH, HOST_PYTHON, DemoResolver, FakeBackend, ThisPython

from builder.build import lock, pipeline
from builder.build.lock import Lock
from builder.build.options import BuildOptions
from builder.errors import LayerBuilderError
from builder.interpreters.locate import probe
from builder.interpreters.run import LocalPython
from builder.manifest import PackageIndexes
from builder.recipe import parse_recipe
from builder.runtimes import get_target

RECIPE = f"""
[layer]
requirements = ["demo"]
runtimes = ["python{HOST_PYTHON}"]
architectures = ["{ARCH}"]

[smoke]
imports = ["demo"]
"""


@dataclass(frozen=True, kw_only=True)
class Install(ThisPython):
    payload: int

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
        lock.create(recipe, target, DemoResolver())
    interpreter = probe(Path(sys.executable))
    assert interpreter is not None
    backend = FakeBackend(Install(python=LocalPython(interpreter), payload=payload))
    options = BuildOptions(output_root=output_root, use_cache=False)
    try:
        result = pipeline.build(recipe, target, options, Quiet(), backend)
    except LayerBuilderError as exc:  # as the CLI reports it: one line, a hint, the exit code
        print(f"error: {exc.message}\n  hint: {exc.hint}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from exc
    print(f"built {result.zip_path}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 40_000_000)

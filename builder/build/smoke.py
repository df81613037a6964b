"""Run a recipe's smoke test against a built layer tree, in an isolated interpreter of the target.

`-I -S` keeps the user's site-packages and PYTHON* variables out, so only the layer and the standard
library are importable, as on Lambda; `-B` and PYTHONDONTWRITEBYTECODE keep the layer untouched
(Lambda's /opt is read-only). Every imported module must come from the layer.

It also reports every file under the layer the workload touched: the `open` audit events (data files,
stubs, sources; raised before the open, so a missing file is seen too), the `import` events of
extension modules, and each imported module's file (with a .pyc present, the source is never opened).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from builder import probes, proc
from builder.build import steps
from builder.errors import BuildError
from builder.interpreters.run import PythonRunner
from builder.manifest import Smoke, SmokeStatus
from builder.probes.smoke_runner import MARKER
from builder.recipe import SmokeTest


@dataclass(frozen=True, kw_only=True)
class SmokeRun:
    """One run of the smoke test: what the manifest records, and the layer files it touched."""

    smoke: Smoke
    touched: frozenset[str] = frozenset()  # files under the layer's python/ the workload opened or imported

    @property
    def status(self) -> SmokeStatus:
        return self.smoke.status


def run_smoke(
    site: Path, smoke: SmokeTest, python: PythonRunner | None, why_missing: str, scratch: Path
) -> SmokeRun:
    """Run the recipe's smoke test against site with `python`; scratch must be visible to it too."""
    if not smoke.imports and not smoke.script:
        return SmokeRun(
            smoke=Smoke(status="not run", reason="the recipe has no smoke test", imports=smoke.imports)
        )
    if python is None:
        return SmokeRun(smoke=Smoke(status="not run", reason=why_missing, imports=smoke.imports))
    scratch.mkdir(parents=True, exist_ok=True)
    spec_path = scratch / "smoke-spec.json"
    spec_path.write_text(json.dumps({"imports": list(smoke.imports), "script": smoke.script}))
    env = {"PYTHONDONTWRITEBYTECODE": "1", "HOME": str(scratch), "TMPDIR": str(scratch)}
    # The runner is copied beside the spec: an interpreter in a container sees only the scratch folder.
    runner = probes.copy_to("smoke_runner.py", scratch)
    args = ["-I", "-S", "-B", str(runner), str(site.resolve()), str(spec_path)]
    started = time.perf_counter()
    try:
        result = python.run(args, step=steps.VERIFY, env=env, timeout=smoke.timeout_seconds)
    except BuildError as exc:  # did not finish in time, or could not start
        failed = Smoke(
            status="failed",
            reason=exc.message,
            interpreter=python.label,
            method=python.method,
            imports=smoke.imports,
        )
        return SmokeRun(smoke=failed)
    return _report(result, python, round(time.perf_counter() - started, 2), smoke.imports)


def _report(result: proc.Result, python: PythonRunner, seconds: float, imports: tuple[str, ...]) -> SmokeRun:
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        tail = "\n".join((result.stderr + result.stdout).strip().splitlines()[-15:])
        crashed = Smoke(
            status="failed",
            reason=f"the interpreter crashed or exited early ({result.returncode}):\n{tail}",
            interpreter=python.label,
            method=python.method,
            seconds=seconds,
            imports=imports,
        )
        return SmokeRun(smoke=crashed)
    report = json.loads(lines[-1][len(MARKER) :])
    failures = [f"import {item['name']}: {item['error']}" for item in report["imports"] if not item["ok"]]
    if report["script"] and not report["script"]["ok"]:
        failures.append(f"script: {report['script']['error']}")
    if result.returncode != 0 and not failures:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        failures.append(
            f"the interpreter exited with {result.returncode} after the smoke test passed:\n{tail}"
        )
    status: SmokeStatus = "passed" if not failures and result.returncode == 0 else "failed"
    ran = Smoke(
        status=status,
        reason=f"{len(report['imports'])} imports and the script, with Python {python.version} ({python.machine})",
        interpreter=python.label,
        method=python.method,
        seconds=seconds,
        imports=imports,
        failures=tuple(failures),
    )
    return SmokeRun(smoke=ran, touched=frozenset(report.get("touched", ())))

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

from builder import proc
from builder.build import steps
from builder.errors import BuildError
from builder.interpreters.run import PythonRunner
from builder.manifest import Smoke, SmokeStatus
from builder.recipe import SmokeTest

MARKER = "@@layer-builder-smoke@@"

RUNNER = r"""
import importlib, json, linecache, os, sys, sysconfig, time, traceback
layer, spec_path = sys.argv[1], sys.argv[2]
stdlib = sysconfig.get_paths()["stdlib"]
with open(spec_path) as handle:
    spec = json.load(handle)
touched = set()
def record(event, args):
    if event == "open" and isinstance(args[0], str):
        touched.add(args[0])
    elif event == "import" and len(args) > 1 and isinstance(args[1], str):
        touched.add(args[1])
sys.addaudithook(record)
sys.path.insert(0, layer)
report = {"imports": [], "script": None}
ok = True
for name in spec["imports"]:
    started = time.perf_counter()
    try:
        module = importlib.import_module(name)
        origin = getattr(module, "__file__", None) or ""
        if origin and not origin.startswith((layer, stdlib)):
            raise ImportError(f"{name} was imported from {origin}, outside the layer")
        report["imports"].append({"name": name, "ok": True, "seconds": round(time.perf_counter() - started, 3)})
    except BaseException as exc:
        ok = False
        report["imports"].append({"name": name, "ok": False, "error": "".join(traceback.format_exception_only(type(exc), exc)).strip()})
if spec["script"]:
    # Registered so a failing assert shows its source line in the traceback.
    linecache.cache["<smoke script>"] = (len(spec["script"]), None, spec["script"].splitlines(True), "<smoke script>")
    try:
        exec(compile(spec["script"], "<smoke script>", "exec"), {"__name__": "__smoke__"})
        report["script"] = {"ok": True}
    except BaseException:
        ok = False
        report["script"] = {"ok": False, "error": traceback.format_exc(limit=6)}
for module in list(sys.modules.values()):
    for name in (getattr(module, "__file__", None), getattr(module, "__cached__", None)):
        if isinstance(name, str):
            touched.add(name)
prefix = layer.rstrip("/") + "/"
report["touched"] = sorted(p[len(prefix):] for p in map(os.path.abspath, touched) if p.startswith(prefix))
print(MARKER + json.dumps(report), flush=True)
# The verdict is in the report. Skip interpreter shutdown, which Lambda never runs after an invocation
# and where libraries with native thread pools (pyarrow) can crash now and then.
sys.stderr.flush()
os._exit(0 if ok else 1)
""".replace("MARKER", repr(MARKER))


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
    args = ["-I", "-S", "-B", "-c", RUNNER, str(site.resolve()), str(spec_path)]
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

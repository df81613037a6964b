"""Run a recipe's smoke test against a built layer tree, in an isolated interpreter of the target.

`-I -S` keeps the user's site-packages and PYTHON* variables out, so only the layer and the standard
library are importable, as on Lambda; `-B` and PYTHONDONTWRITEBYTECODE keep the layer untouched
(Lambda's /opt is read-only). Every imported module must come from the layer.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from builder.interpreters import Interpreter
from builder.recipe import SmokeTest

MARKER = "@@layer-builder-smoke@@"

RUNNER = r"""
import importlib, json, linecache, sys, time, traceback
layer, spec_path = sys.argv[1], sys.argv[2]
with open(spec_path) as handle:
    spec = json.load(handle)
sys.path.insert(0, layer)
report = {"imports": [], "script": None}
ok = True
for name in spec["imports"]:
    started = time.perf_counter()
    try:
        module = importlib.import_module(name)
        origin = getattr(module, "__file__", None) or ""
        if origin and not origin.startswith(layer):
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
print(MARKER + json.dumps(report))
sys.exit(0 if ok else 1)
""".replace("MARKER", repr(MARKER))


@dataclass(frozen=True, kw_only=True)
class SmokeReport:
    status: str  # passed | failed | not run
    reason: str
    interpreter: str | None = None
    seconds: float | None = None
    failures: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "reason": self.reason,
            "interpreter": self.interpreter,
            "seconds": self.seconds,
            "failures": list(self.failures),
        }


def run_smoke(site: Path, smoke: SmokeTest, interpreter: Interpreter | None, why_missing: str) -> SmokeReport:
    if not smoke.imports and not smoke.script:
        return SmokeReport(status="not run", reason="the recipe has no smoke test")
    if interpreter is None:
        return SmokeReport(status="not run", reason=why_missing)
    with tempfile.TemporaryDirectory(prefix="layer-builder-smoke-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps({"imports": list(smoke.imports), "script": smoke.script}))
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": tmp, "TMPDIR": tmp}
        argv = [str(interpreter.path), "-I", "-S", "-B", "-c", RUNNER, str(site.resolve()), str(spec_path)]
        started = time.perf_counter()
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, env=env, cwd=tmp, timeout=smoke.timeout_seconds
            )
        except subprocess.TimeoutExpired:
            return SmokeReport(
                status="failed",
                reason=f"the smoke test did not finish within {smoke.timeout_seconds} s",
                interpreter=str(interpreter.path),
            )
        seconds = round(time.perf_counter() - started, 2)
    return _report(done, interpreter, seconds)


def _report(done: subprocess.CompletedProcess[str], interpreter: Interpreter, seconds: float) -> SmokeReport:
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        return SmokeReport(
            status="failed",
            reason=f"the interpreter crashed or exited early ({done.returncode}):\n{tail}",
            interpreter=str(interpreter.path),
            seconds=seconds,
        )
    report = json.loads(lines[-1][len(MARKER) :])
    failures = [f"import {item['name']}: {item['error']}" for item in report["imports"] if not item["ok"]]
    if report["script"] and not report["script"]["ok"]:
        failures.append(f"script: {report['script']['error']}")
    status = "passed" if not failures and done.returncode == 0 else "failed"
    return SmokeReport(
        status=status,
        reason=f"{len(report['imports'])} imports and the script, with Python {interpreter.version} ({interpreter.machine})",
        interpreter=str(interpreter.path),
        seconds=seconds,
        failures=tuple(failures),
    )

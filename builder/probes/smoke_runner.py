"""The smoke test's runner: imports and script of a recipe against a layer, in the target's interpreter.

Run as `python -I -S -B smoke_runner.py LAYER SPEC_JSON` (see build/smoke.py). Prints one line,
MARKER + a JSON report: each import's outcome and time, the script's outcome, and every file under
LAYER the workload touched (`open` audit events, raised before the open so a missing file is seen
too; `import` events of extension modules; each imported module's file). Exits 0 when all passed.

A probe: standard library only, valid on Python 3.10 (see builder/probes/__init__.py).
"""

import importlib
import json
import linecache
import os
import sys
import sysconfig
import time
import traceback

MARKER = "@@layer-builder-smoke@@"


def main(layer: str, spec_path: str) -> None:
    stdlib = sysconfig.get_paths()["stdlib"]
    with open(spec_path) as handle:
        spec = json.load(handle)
    touched: set[str] = set()

    def record(event: str, args: tuple[object, ...]) -> None:
        if event == "open" and isinstance(args[0], str):
            touched.add(args[0])
        elif event == "import" and len(args) > 1 and isinstance(args[1], str):
            touched.add(args[1])

    sys.addaudithook(record)
    sys.path.insert(0, layer)
    imports: list[dict[str, object]] = []
    report: dict[str, object] = {"imports": imports, "script": None}
    ok = True
    for name in spec["imports"]:
        started = time.perf_counter()
        try:
            module = importlib.import_module(name)
            origin = getattr(module, "__file__", None) or ""
            if origin and not origin.startswith((layer, stdlib)):
                raise ImportError(f"{name} was imported from {origin}, outside the layer")
            imports.append({"name": name, "ok": True, "seconds": round(time.perf_counter() - started, 3)})
        except BaseException as exc:
            ok = False
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            imports.append({"name": name, "ok": False, "error": error})
    script = spec["script"]
    if script:
        # Registered so a failing assert shows its source line in the traceback.
        linecache.cache["<smoke script>"] = (len(script), None, script.splitlines(True), "<smoke script>")
        try:
            exec(compile(script, "<smoke script>", "exec"), {"__name__": "__smoke__"})
            report["script"] = {"ok": True}
        except BaseException:
            ok = False
            report["script"] = {"ok": False, "error": traceback.format_exc(limit=6)}
    for module in list(sys.modules.values()):
        for file in (getattr(module, "__file__", None), getattr(module, "__cached__", None)):
            if isinstance(file, str):
                touched.add(file)
    prefix = layer.rstrip("/") + "/"
    inside = (p for p in map(os.path.abspath, touched) if p.startswith(prefix))
    report["touched"] = sorted(p[len(prefix) :] for p in inside)
    print(MARKER + json.dumps(report), flush=True)
    # The verdict is in the report. Skip interpreter shutdown, which Lambda never runs after an
    # invocation and where libraries with native thread pools (pyarrow) can crash now and then.
    sys.stderr.flush()
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

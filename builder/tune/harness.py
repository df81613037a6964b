"""Runs a Lambda handler the way the Python runtime does, and times it. Stdlib only, Python 3.10+.

This file is copied into the tune container and run by path with the target's interpreter; it
never imports layer-builder. One process is one execution environment: INIT (importing the
handler's module, with Lambda's sys.path) then `--invocations` calls of handler(event, context).
Results go to stdout as lines starting with MARKER followed by a JSON object, so the handler's
own prints can go there too:

    {"kind": "init", "ms": 412.3}
    {"kind": "init_error", "traceback": "..."}       (then exit 3: nothing else is measured)
    {"kind": "invoke", "ms": 96.1, "error": null}    (or the handler's traceback as "error")
    {"kind": "done", "max_rss_mb": 71.4}
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sys
import time
import traceback
import uuid
from typing import Any

MARKER = "@@layer-builder-tune "
INIT_FAILED = 3


class LambdaContext:
    """The attributes and method the Python runtime's context object has (awslambdaric)."""

    def __init__(self, function_name: str, memory_mb: int, region: str, timeout_s: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{function_name}"
        self.memory_limit_in_mb = str(memory_mb)  # a string, as the runtime reads it from the environment
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"2026/01/01/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def emit(record: dict[str, Any]) -> None:
    sys.stdout.write(MARKER + json.dumps(record) + "\n")
    sys.stdout.flush()


def lambda_path(task_root: str, python: str) -> list[str]:
    """Lambda's module search order for Python: the function, then the layers, then the runtime's."""
    return [task_root, f"/opt/python/lib/python{python}/site-packages", "/opt/python"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--handler", required=True)
    parser.add_argument("--event", required=True)
    parser.add_argument("--invocations", type=int, default=1)
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--function-name", default="tune")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--task-root", default="/var/task")
    args = parser.parse_args(argv)

    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    here = os.path.dirname(os.path.abspath(__file__))
    # The harness's own folder must not shadow a module of the function.
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path[:0] = lambda_path(args.task_root, python)
    os.chdir(args.task_root)
    with open(args.event, encoding="utf-8") as handle:
        event = json.load(handle)

    module_name, _, function = args.handler.rpartition(".")
    started = time.perf_counter()
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, function)
    except BaseException:  # an import may raise anything, SystemExit included
        emit({"kind": "init_error", "traceback": traceback.format_exc()})
        return INIT_FAILED
    emit({"kind": "init", "ms": (time.perf_counter() - started) * 1000})

    for _ in range(args.invocations):
        context = LambdaContext(args.function_name, args.memory, args.region, args.timeout)
        error = None
        started = time.perf_counter()
        try:
            handler(event, context)
        except Exception:
            error = traceback.format_exc()
        emit({"kind": "invoke", "ms": (time.perf_counter() - started) * 1000, "error": error})
    # ru_maxrss is in kilobytes on Linux.
    emit({"kind": "done", "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

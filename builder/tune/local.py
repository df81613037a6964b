"""The local sweep: the function in a container of the runtime's build image, once per memory size.

The function's code is mounted read-only at /var/task and the built layers, unpacked in the order
given, at /opt, as Lambda lays them out. One container serves every size: its CPU quota and memory
limit are changed between sizes (Lambda's rule: memory / 1,769 MB of one vCPU; the memory size as
the limit, no swap). Each cold start is a fresh process of the target's interpreter running
harness.py: INIT (importing the handler's module), then calls of handler(event, context).

Before any size is measured, one process imports the handler with the whole machine: an import
error is the user's to fix (its traceback is shown) and nothing is measured; it also leaves the
files in the page cache, so the first size measured is not the only one reading from disk.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from builder import zips
from builder.errors import ConfigError, ContainerError
from builder.runtimes import Target, host_machine
from builder.tune import containers
from builder.tune.harness import MARKER
from builder.tune.model import Measurement
from builder.tune.plan import SizePlan, handler_module, plan_sizes
from builder.tune.prices import Prices

STEP = "tune"
HARNESS_DIR = "/var/layer-builder-tune"
TASK_ROOT = "/var/task"
SIGKILL_EXIT = 137  # 128 + SIGKILL: what the kernel's OOM killer leaves

Notify = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class LocalRequest:
    handler: str
    code: Path
    layer_zips: tuple[Path, ...]
    target: Target
    event_text: str
    memory: tuple[int, ...]
    runs: int  # warm invocations per size
    cold_starts: int  # fresh processes per size
    base_image: str | None = None
    network: str | None = "host"
    docker_host: str | None = None
    keep_container: bool = False
    function_name: str = "tune"


@dataclass(frozen=True)
class Process:
    """What one harness process reported."""

    exit_code: int
    records: tuple[dict[str, Any], ...]
    output: str

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == kind]


def run_local(request: LocalRequest, prices: Prices, notify: Notify) -> tuple[list[Measurement], list[str]]:
    """Measure every size; returns the measurements and notes for the report."""
    client = containers.connect(request.docker_host)
    host_cpus = float(client.info().get("NCPU") or 1)
    sizes = plan_sizes(request.memory, prices, host_cpus)
    notes = [
        f"this machine's engine has {host_cpus:g} CPUs: sizes above {host_cpus * prices.mb_per_vcpu:,.0f} MB are capped"
    ]
    if request.target.arch.machine != host_machine():
        notes.append(f"{request.target.arch.name} is emulated here: durations are not those of Lambda's CPUs")
    platform = request.target.arch.docker_platform
    with tempfile.TemporaryDirectory(prefix="layer-builder-tune-") as tmp:
        stage = Path(tmp)
        opt, harness = _stage(stage, request)
        notify(f"preparing the {platform} image of {request.target.runtime.name}")
        image = containers.ensure_image(
            client, request.target, base_image=request.base_image, network=request.network, scratch=stage
        )
        mounts = [
            containers.BindMount(request.code, TASK_ROOT, True),
            containers.BindMount(opt, "/opt", True),
            containers.BindMount(harness, HARNESS_DIR, True),
        ]
        with containers.open_container(
            client,
            image=image,
            platform=platform,
            mounts=mounts,
            env=containers.emulation_env(request.target),
            network=request.network,
            keep=request.keep_container,
            notify=notify,
            workdir=TASK_ROOT,
        ) as box:
            python, _ = containers.image_python(box, request.target, STEP)
            _check_import(box, python, request)
            measurements = [_measure(box, python, request, size, notify) for size in sizes]
    return measurements, notes


def _stage(stage: Path, request: LocalRequest) -> tuple[Path, Path]:
    opt = stage / "opt"
    opt.mkdir()
    for path in request.layer_zips:  # later layers overwrite earlier ones, as on Lambda
        try:
            zips.extract(path, opt)  # with each file's mode: a layer's bin/ stays executable
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ConfigError(f"cannot unpack the layer {path}: {exc}", hint="rebuild it") from exc
    harness = stage / "harness"
    harness.mkdir()
    source = resources.files("builder.tune").joinpath("harness.py").read_bytes()
    (harness / "harness.py").write_bytes(source)
    (harness / "event.json").write_text(request.event_text, encoding="utf-8")
    for folder in (opt, harness):  # readable by whichever user the container runs as
        for path in (folder, *folder.rglob("*")):
            path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))
    return opt, harness


def _lambda_env(request: LocalRequest, memory_mb: int) -> dict[str, str]:
    """The variables Lambda's Python runtime sets that a handler may read."""
    return {
        "AWS_LAMBDA_FUNCTION_NAME": request.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{request.target.runtime.name}",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LAMBDA_TASK_ROOT": TASK_ROOT,
        "_HANDLER": request.handler,
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
    }


def _run(
    box: containers.BuildContainer, python: str, request: LocalRequest, memory_mb: int, invocations: int
) -> Process:
    argv = [
        python,
        f"{HARNESS_DIR}/harness.py",
        "--handler",
        request.handler,
        "--event",
        f"{HARNESS_DIR}/event.json",
        "--invocations",
        str(invocations),
        "--memory",
        str(memory_mb),
        "--function-name",
        request.function_name,
    ]
    code, output = box.run_unchecked(argv, step=STEP, env=_lambda_env(request, memory_mb))
    return Process(code, parse_records(output), output)


def parse_records(output: str) -> tuple[dict[str, Any], ...]:
    records = []
    for line in output.splitlines():
        if line.startswith(MARKER):
            try:
                records.append(json.loads(line[len(MARKER) :]))
            except json.JSONDecodeError:
                continue  # a handler printing our marker: not ours
    return tuple(records)


def _check_import(box: containers.BuildContainer, python: str, request: LocalRequest) -> None:
    process = _run(box, python, request, max(request.memory), 0)
    failed = process.of("init_error")
    if failed:
        raise ConfigError(
            f"the handler {request.handler} does not import (module {handler_module(request.handler)} "
            f"in {request.code}):\n{failed[0]['traceback'].rstrip()}",
            hint="fix the import error above; nothing was measured",
        )
    if process.exit_code != 0 or not process.of("init"):
        raise ContainerError(
            STEP,
            f"the harness exited with status {process.exit_code} before importing the handler:\n"
            + "\n".join(process.output.splitlines()[-20:]),
        )


def _measure(
    box: containers.BuildContainer, python: str, request: LocalRequest, size: SizePlan, notify: Notify
) -> Measurement:
    notify(
        f"{size.memory_mb} MB: {size.cpus:.3f} CPUs"
        + (f" (Lambda gives {size.vcpus:.2f}: capped by this machine)" if size.capped else "")
    )
    containers.set_limits(box, cpus=size.cpus, memory_mb=size.memory_mb)
    before = containers.oom_kills(box)
    processes = []
    for start in range(request.cold_starts):
        invocations = 1 + (request.runs if start == 0 else 0)
        process = _run(box, python, request, size.memory_mb, invocations)
        processes.append(process)
        if process.exit_code != 0:
            break
    return _measurement(size, processes, before, containers.oom_kills(box))


def _measurement(
    size: SizePlan, processes: Sequence[Process], oom_before: int | None, oom_after: int | None
) -> Measurement:
    init = tuple(float(r["ms"]) for p in processes for r in p.of("init"))
    first: list[float] = []
    warm: list[float] = []
    errors = 0
    memory_error = False
    for process in processes:
        for index, record in enumerate(process.of("invoke")):
            if record.get("error"):
                errors += 1
                memory_error = memory_error or "MemoryError" in str(record["error"])
                continue
            (first if index == 0 else warm).append(float(record["ms"]))
    rss = [float(r["max_rss_mb"]) for p in processes for r in p.of("done")]
    killed = any(p.exit_code == SIGKILL_EXIT for p in processes)
    oom_counted = oom_before is not None and oom_after is not None and oom_after > oom_before
    common: dict[str, Any] = {
        "memory_mb": size.memory_mb,
        "vcpus": size.vcpus,
        "init_ms": init,
        "first_ms": tuple(first),
        "warm_ms": tuple(warm),
        "max_memory_mb": max(rss) if rss else None,
        "errors": errors,
    }
    if oom_counted or (killed and oom_after is None) or memory_error:
        return Measurement(**common, status="oom", note=f"out of memory at {size.memory_mb} MB")
    failed = next((p for p in processes if p.exit_code != 0), None)
    if failed is not None:
        tail = " | ".join(failed.output.strip().splitlines()[-3:])
        return Measurement(
            **common, status="error", note=f"the process exited with status {failed.exit_code}: {tail}"
        )
    if not first and not warm:
        return Measurement(**common, status="error", note="every invocation raised")
    if size.capped:
        return Measurement(
            **common,
            status="capped",
            note=f"capped by this machine: {size.cpus:g} of the {size.vcpus:.2f} vCPUs Lambda gives",
        )
    return Measurement(**common, status="ok")

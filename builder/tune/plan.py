"""Checking a tune request before anything runs: memory sizes, handler, event, layers; the CPU and
memory each size gets in a container. Pure, apart from reading the files it is pointed at."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.errors import ConfigError
from builder.manifest import LAYER_ZIP, layer_dir
from builder.runtimes import Target
from builder.tune.prices import Prices

DEFAULT_MEMORY = "128,256,512,1024,1769,3008"
HANDLER = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*/)*[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")


@dataclass(frozen=True, kw_only=True)
class SizePlan:
    memory_mb: int
    vcpus: float  # what Lambda gives this size
    cpus: float  # what the container gets: Lambda's share, or all this machine has
    capped: bool  # this machine has less CPU than Lambda gives this size


def parse_memory(values: Iterable[str], prices: Prices) -> tuple[int, ...]:
    """`--memory 128,256 --memory 512` -> (128, 256, 512): sorted, each in Lambda's range."""
    sizes: set[int] = set()
    for value in values:
        for part in value.split(","):
            text = part.strip().lower().removesuffix("mb").strip()
            if not text:
                continue
            if not text.isdigit():
                raise ConfigError(
                    f"memory size {part.strip()!r} is not a whole number of MB",
                    hint="pass sizes in MB, e.g. --memory 128,256,512,1024,1769,3008",
                )
            sizes.add(prices.check_memory(int(text)))
    if not sizes:
        raise ConfigError("no memory size given", hint=f"e.g. --memory {DEFAULT_MEMORY}")
    return tuple(sorted(sizes))


def plan_sizes(memory: Sequence[int], prices: Prices, host_cpus: float) -> tuple[SizePlan, ...]:
    plans = []
    for size in memory:
        vcpus = prices.vcpus(size)
        capped = vcpus > host_cpus + 1e-9
        plans.append(SizePlan(memory_mb=size, vcpus=vcpus, cpus=min(vcpus, host_cpus), capped=capped))
    return tuple(plans)


def check_handler(handler: str) -> str:
    """`app.handler` or `pkg/app.handler`, as Lambda's Handler setting reads."""
    if not HANDLER.match(handler):
        raise ConfigError(
            f"--handler {handler!r} is not MODULE.FUNCTION",
            hint="name the handler as Lambda does, e.g. app.handler for def handler() in app.py",
        )
    return handler


def handler_module(handler: str) -> str:
    return handler.rpartition(".")[0].replace("/", ".")


def check_code(code: Path) -> Path:
    if not code.is_dir():
        raise ConfigError(
            f"--code {code} is not a folder", hint="point --code at the function's source folder"
        )
    return code.resolve()


def read_event(path: Path | None) -> str:
    """The event as JSON text; `{}` without --event."""
    if path is None:
        return "{}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the event file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the event file {path} is not UTF-8 text: {exc}") from exc
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"the event file {path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hint="the event is what Lambda would pass the handler, as a JSON document",
        ) from exc
    return text


def layer_zips(layers_dir: Path, recipes: Sequence[str], target: Target) -> tuple[Path, ...]:
    """The built layer.zip of each recipe for the target, in the order given (Lambda's order)."""
    found = []
    for recipe in recipes:
        path = layer_dir(layers_dir, recipe, target.key) / LAYER_ZIP
        if not path.is_file():
            raise ConfigError(
                f"no built layer for {recipe} on {target.key}: {path} does not exist",
                hint=f"build it first: layer-builder build {recipe} -r {target.runtime.name} "
                f"-a {target.arch.name}" + ("" if layers_dir == Path("layers") else f" -o {layers_dir}"),
            )
        found.append(path)
    return tuple(found)

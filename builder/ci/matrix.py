"""A CI build matrix from recipes: one entry per recipe x runtime x architecture, with the runner
each target should build on. Pure: it is handed recipes and returns data; the CLI prints it.

An arm64 target builds on an arm64 runner where the CI has them, so its bytecode is compiled and its
smoke test run natively instead of under an emulator (GitHub's `ubuntu-24.04-arm`, GitLab's
`saas-linux-small-arm64`: https://docs.github.com/en/actions/using-github-hosted-runners/about-github-hosted-runners,
https://docs.gitlab.com/ci/runners/hosted_runners/linux/).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from builder.errors import ConfigError
from builder.recipe import Recipe
from builder.runtimes import get_architecture, get_runtime, get_target

Format = Literal["github", "gitlab", "json"]
FORMATS: tuple[Format, ...] = ("github", "gitlab", "json")

# CI -> architecture -> the hosted runner (GitHub: a runs-on label; GitLab: a runner tag).
RUNNERS: dict[Format, dict[str, str]] = {
    "github": {"x86_64": "ubuntu-24.04", "arm64": "ubuntu-24.04-arm"},
    "gitlab": {"x86_64": "saas-linux-small-amd64", "arm64": "saas-linux-small-arm64"},
    "json": {"x86_64": "ubuntu-24.04", "arm64": "ubuntu-24.04-arm"},
}


@dataclass(frozen=True, kw_only=True)
class Entry:
    recipe: str
    runtime: str  # "python3.12"
    arch: str  # "x86_64" | "arm64"
    target: str  # "python3.12-x86_64": the folder under layers/<recipe>/
    python: str  # "3.12": the Python to install on the runner, so bytecode and smoke test run there
    runner: str
    artifact: str  # a name for the target's uploaded folder, unique in the matrix


def parse_runner_overrides(values: Sequence[str]) -> dict[str, str]:
    """`--runner arm64=my-arm-runner` (repeatable) -> {"arm64": "my-arm-runner"}."""
    overrides: dict[str, str] = {}
    for value in values:
        arch, sep, runner = value.partition("=")
        if not sep or not runner.strip():
            raise ConfigError(
                f"--runner {value!r} is not ARCH=RUNNER",
                hint="e.g. --runner arm64=ubuntu-24.04-arm --runner x86_64=self-hosted-x64",
            )
        overrides[get_architecture(arch.strip()).name] = runner.strip()
    return overrides


def entries(
    recipes: Sequence[Recipe],
    ci: Format,
    *,
    runtimes: Sequence[str] = (),
    archs: Sequence[str] = (),
    runners: Mapping[str, str] | None = None,
) -> list[Entry]:
    """Every target of every recipe (its own runtimes and architectures, or the ones asked for)."""
    chosen = {**RUNNERS[ci], **(runners or {})}
    wanted_runtimes = [get_runtime(r).name for r in runtimes]
    wanted_archs = [get_architecture(a).name for a in archs]
    found: list[Entry] = []
    for recipe in recipes:
        for runtime in wanted_runtimes or recipe.runtimes:
            for arch in wanted_archs or recipe.architectures:
                target = get_target(runtime, arch)
                found.append(
                    Entry(
                        recipe=recipe.name,
                        runtime=target.runtime.name,
                        arch=target.arch.name,
                        target=target.key,
                        python=target.runtime.python,
                        runner=chosen[target.arch.name],
                        artifact=f"layer-{recipe.name}-{target.key}",
                    )
                )
    names = [entry.artifact for entry in found]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(
            f"the matrix would hold {', '.join(duplicates)} twice",
            hint="name each recipe once",
        )
    return found


def render(found: Sequence[Entry], ci: Format) -> str:
    """The matrix as the CI reads it.

    github: one line of JSON, `{"include": [...]}`, for `strategy.matrix: ${{ fromJSON(...) }}`
    (a job output must be a single line in $GITHUB_OUTPUT).
    gitlab: a `parallel: matrix:` block for a job (YAML; its JSON subset, which GitLab reads too),
    with the runner in RUNNER_TAG for `tags: [$RUNNER_TAG]`.
    json: the entries as a list.
    """
    if ci == "github":
        return json.dumps({"include": [asdict(entry) for entry in found]}, separators=(",", ":"))
    if ci == "gitlab":
        rows = [
            {
                "RECIPE": e.recipe,
                "RUNTIME": e.runtime,
                "ARCH": e.arch,
                "PYTHON": e.python,
                "RUNNER_TAG": e.runner,
            }
            for e in found
        ]
        lines = ["parallel:", "  matrix:"]
        for row in rows:
            first = True
            for key, value in row.items():
                lines.append(f"    {'- ' if first else '  '}{key}: {json.dumps(value)}")
                first = False
        return "\n".join(lines)
    return json.dumps([asdict(entry) for entry in found], indent=2)

"""The docker backend: install, bytecode and smoke test inside the runtime's Amazon Linux build image.

The scratch folder is mounted at the same path inside the container, so paths need no translation;
the host keeps pip's download cache and the output.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from builder import proc
from builder.build import pipcmd, steps
from builder.build.backends import syslibs
from builder.build.backends.base import DockerSettings, Notify
from builder.build.backends.passthrough import host_passthrough, recipe_indexes
from builder.build.lock import Lock, LockedPackage, packages_from_report
from builder.engine import build_image, container
from builder.engine.build_image import emulation_env
from builder.engine.container import BindMount
from builder.interpreters.run import PythonRunner
from builder.manifest import Backend, PackageIndexes, RunMethod
from builder.runtimes import Target

# Inside the container the host's pip cache is mounted here, so wheels are downloaded once.
CONTAINER_PIP_CACHE = "/tmp/layer-builder-pip-cache"


def docker_fingerprint(target: Target, settings: DockerSettings) -> dict[str, str | None]:
    return {
        "backend": "docker",
        "base_image": build_image.base_image_for(target, settings.base_image),
        "dockerfile": hashlib.sha256(build_image.dockerfile_text()).hexdigest(),
    }


@dataclass(frozen=True, kw_only=True)
class DockerBackend:
    """The runtime's build image (or --base-image): install, bytecode and smoke test in a container."""

    target: Target
    settings: DockerSettings

    @property
    def name(self) -> Backend:
        return "docker"

    @property
    def build_image(self) -> str:
        return build_image.base_image_for(self.target, self.settings.base_image)

    @property
    def starting(self) -> str:
        return f"starting the {self.target.arch.docker_platform} build container"

    def fingerprint(self) -> dict[str, str | None]:
        return docker_fingerprint(self.target, self.settings)

    def open(self, work: Path, notify: Notify, output: Notify) -> AbstractContextManager[DockerSession]:
        return docker_session(self.target, self.settings, work, notify, output)


@dataclass(frozen=True)
class ContainerPython:
    box: container.BuildContainer
    executable: str
    version: str
    machine: str

    @property
    def label(self) -> str:
        return f"{self.executable} in the {self.box.platform} build container"

    @property
    def method(self) -> RunMethod:
        return "container"

    @property
    def runs_itself(self) -> bool:
        return True

    def run(
        self, args: Sequence[str], *, step: str, env: Mapping[str, str], timeout: float | None
    ) -> proc.Result:
        # The container has no timeout of its own; the smoke test's runner bounds itself by design.
        code, output = self.box.run_unchecked([self.executable, *args], step=step, env=dict(env))
        return proc.Result(tuple(args), code, output, "")


@dataclass(kw_only=True)
class DockerSession:
    target: Target
    box: container.BuildContainer
    python: ContainerPython
    pip_env: dict[str, str]
    work: Path  # mounted at the same path inside the container
    on_output: container.OutputCallback | None
    why_no_bytecode: str = ""
    why_no_smoke: str = ""

    @property
    def bytecode_python(self) -> PythonRunner | None:
        return self.python

    @property
    def smoke_python(self) -> PythonRunner | None:
        return self.python

    def install(self, lock: Lock, lock_path: Path, site: Path, indexes: PackageIndexes) -> None:
        """pip inside the container, from the same lock: wheels where the target has them, sdists built there."""
        site.mkdir(parents=True, exist_ok=True)
        visible_lock = self.work / "lock.txt"  # the recipe folder is not mounted; the scratch folder is
        shutil.copyfile(lock_path, visible_lock)
        # No target flags: the container's interpreter is the target. Not quiet: sdist builds show progress.
        argv = pipcmd.install_lock(
            visible_lock,
            site=site,
            target=None,
            python=self.python.executable,
            quiet=False,
            indexes=recipe_indexes(indexes, self.work),
        )
        self.box.run(argv, step=steps.INSTALL, env=self.pip_env, on_output=self.on_output)

    def bundle_system_libraries(self, names: Sequence[str], lib_dir: Path) -> None:
        syslibs.bundle(self.box, self.python.executable, names, lib_dir, self.work)


@contextmanager
def docker_session(
    target: Target,
    settings: DockerSettings,
    work: Path,
    notify: container.OutputCallback,
    on_output: container.OutputCallback | None = None,
) -> Iterator[DockerSession]:
    """Start the build container for target, with the scratch folder mounted at the same path."""
    client = container.connect(settings.docker_host)
    platform = target.arch.docker_platform
    image = build_image.ensure_image(
        client,
        target,
        base_image=settings.base_image,
        network=settings.network,
        scratch=work,
        on_output=on_output,
    )
    carried = host_passthrough(os.environ, Path.home())
    for note in carried.notes:
        notify(note)
    cache = pip_cache_dir()
    mounts = [
        *carried.mounts,
        BindMount(work, str(work), False),
        BindMount(cache, CONTAINER_PIP_CACHE, False),
    ]
    pip_env = {**carried.env, "PIP_CACHE_DIR": CONTAINER_PIP_CACHE, "PIP_BREAK_SYSTEM_PACKAGES": "1"}
    with container.open_container(
        client,
        image=image,
        platform=platform,
        mounts=mounts,
        env={**carried.env, **emulation_env(target)},
        network=settings.network,
        keep=settings.keep_container,
        notify=notify,
    ) as box:
        python = _container_python(box, target)
        yield DockerSession(
            target=target, box=box, python=python, pip_env=pip_env, work=work, on_output=on_output
        )


def pip_cache_dir() -> Path:
    """The host folder the container's pip caches downloads in (kept between builds)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "layer-builder" / "pip"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _container_python(box: container.BuildContainer, target: Target) -> ContainerPython:
    executable, machine = build_image.image_python(box, target, steps.INSTALL)
    return ContainerPython(box=box, executable=executable, version=target.runtime.python, machine=machine)


class ContainerResolver:
    """Resolves inside the target's build image with its own interpreter and platform.

    For recipes the local resolver cannot lock (a dependency with no wheel for the target): pip
    in the container may pick an sdist, which the docker backend then builds there.
    """

    def __init__(
        self, settings: DockerSettings, scratch_root: Path, notify: container.OutputCallback
    ) -> None:
        self.settings = settings
        self.scratch_root = scratch_root
        self.notify = notify

    def resolve(
        self, requirements: Sequence[str], target: Target, indexes: PackageIndexes
    ) -> list[LockedPackage]:
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.scratch_root, prefix="lock-") as tmp:
            work = Path(tmp)
            with docker_session(target, self.settings, work, self.notify) as session:
                report = work / "report.json"
                argv = pipcmd.resolve(
                    requirements,
                    report=report,
                    target=None,
                    python=session.python.executable,
                    indexes=recipe_indexes(indexes, work),
                )
                session.box.run(argv, step=steps.LOCK, env=session.pip_env)
            return packages_from_report(work / "report.json")

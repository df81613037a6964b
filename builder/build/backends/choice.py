"""Which backend a build (and a lock) uses, by the name the user chose (--backend, BuildOptions.backend).

Adding a backend is a module in this folder and a branch here. The docker backend is imported only
when chosen, so the local path never loads the docker SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from builder import manifest
from builder.build import lock
from builder.build.backends import base, local
from builder.runtimes import Target


def backend_for(
    name: manifest.Backend,
    target: Target,
    *,
    python: Sequence[str] | None,
    env: Mapping[str, str] | None,
    docker: base.DockerSettings,
) -> base.Backend:
    """The backend called `name` for target. `python` and `env` are for the local backend's
    interpreter discovery (done here, once: it also feeds the cache key); `docker` for the docker one."""
    if name == "docker":
        from builder.build.backends import docker as docker_backend

        return docker_backend.DockerBackend(target=target, settings=docker)
    return local.local_backend(target, python, env)


def resolver_for(
    name: manifest.Backend, *, docker: base.DockerSettings, scratch_root: Path, notify: base.Notify
) -> lock.Resolver:
    """How `lock` resolves for the backend called `name`: pip with the target's tags on this machine,
    or pip inside the build image (where a dependency without a wheel may come as source)."""
    if name == "docker":
        from builder.build.backends import docker as docker_backend

        return docker_backend.ContainerResolver(docker, scratch_root, notify)
    return lock.PipResolver()

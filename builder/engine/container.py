"""The only code that talks to the container engine.

Everything goes through the `docker` SDK client handed in by the caller (`connect()` makes one):

- `connect()` reaches the engine, or explains how to start it or get access to it.
- `ensure_build_image()` builds a Dockerfile on top of a base image once per (base image id,
  Dockerfile content, platform) and reuses the tagged result afterwards. It never pulls an image the
  engine already has. Which Dockerfile and base image a runtime gets is engine/build_image.py.
- `open_container()` starts one long-lived container and always removes it again (also on errors
  and Ctrl-C) unless asked to keep it for debugging; `BuildContainer.run()` executes commands in it
  as the invoking host user, streams their output and turns a non-zero exit into a `ContainerError`
  naming the step, with the last lines of output.
- `can_run_platform()` tells whether the engine can really run, say, linux/arm64 containers.

What a build container needs to reach the package index like the host does is build/backends/passthrough.py.

The shape follows pypa/cibuildwheel's `oci_container.py` (one wrapper, one context manager).
"""

from __future__ import annotations

import codecs
import collections
import hashlib
import io
import os
import secrets
import shlex
import sys
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import docker
import docker.errors
import requests.exceptions
from docker.types import Mount

from builder import units
from builder.errors import ContainerError
from builder.runtimes import MACHINE_ALIASES

ENGINE_STEP = "docker"
IMAGE_STEP = "build-image"
BUILD_IMAGE_REPOSITORY = "layer-builder-build"
CONTAINER_LABEL = "layer-builder"
LAST_LINES = 20
BUILD_READ_TIMEOUT_SECONDS = 1800
DEFAULT_HOME = "/tmp"
# Docker reports architectures with Go's names; `uname -m` inside the container uses the kernel's.

OutputCallback = Callable[[str], None]

ENGINE_FIX = (
    "start the Docker daemon (e.g. `sudo systemctl start docker`), or for a private test engine run "
    '`tests/docker_engine.sh up && eval "$(tests/docker_engine.sh env)"`; '
    "if the engine listens elsewhere, set DOCKER_HOST (e.g. unix:///path/to/docker.sock)"
)
PERMISSION_FIX = (
    "add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again), "
    "or set DOCKER_HOST to an engine socket you may use"
)
DISK_FIX = (
    "free disk space where the engine keeps its data (`docker info` shows the Docker Root Dir): "
    "remove unused images and containers with `docker system prune`, or delete files on that disk"
)
NETWORK_FIX = (
    "pass --network host (engines started without a bridge, like tests/docker_engine.sh, "
    "only have `host` and `none`)"
)


class BindMount(NamedTuple):
    """A host folder or file made visible inside the container."""

    host_path: Path | str
    container_path: str
    read_only: bool = False


class UnsupportedPlatformError(ContainerError):
    """The engine cannot execute binaries of the requested platform (no emulation registered)."""


# --- reaching the engine -------------------------------------------------------------------------


def connect(base_url: str | None = None) -> docker.DockerClient:
    """A client for the engine at `base_url`, or where DOCKER_HOST (or the default socket) points."""
    try:
        client = docker.DockerClient(base_url=base_url) if base_url else docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise _engine_error(_engine_address(base_url), exc) from exc
    except requests.exceptions.ConnectionError as exc:
        raise _engine_error(_engine_address(base_url), exc) from exc
    return client


def _engine_address(base_url: str | None) -> str:
    if base_url:
        return base_url
    from_env = docker.utils.kwargs_from_env().get("base_url")
    return str(from_env) if from_env else "the default socket (unix:///var/run/docker.sock)"


def _engine_error(address: str, exc: BaseException) -> ContainerError:
    chain = _chain(exc)
    if any("permission denied" in str(link).lower() for link in chain):
        return ContainerError(
            ENGINE_STEP, f"permission denied on the Docker engine socket at {address}", hint=PERMISSION_FIX
        )
    return ContainerError(
        ENGINE_STEP, f"no Docker engine answering at {address}: {_reason(exc)}", hint=ENGINE_FIX
    )


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes: the SDK wraps the useful errno two or three levels down."""
    links = [exc]
    while len(links) < 10:
        following = links[-1].__cause__ or links[-1].__context__
        if following is None or following in links:
            break
        links.append(following)
    return links


def _reason(exc: BaseException) -> str:
    """The shortest useful explanation: the engine's own words, or the innermost cause."""
    if isinstance(exc, docker.errors.APIError) and exc.explanation:
        return str(exc.explanation)
    innermost = _chain(exc)[-1]
    return str(innermost) or type(innermost).__name__


@contextmanager
def _engine_calls(step: str, doing: str) -> Iterator[None]:
    """Turns the SDK's errors during one engine call into a ContainerError that names the step."""
    try:
        yield
    except docker.errors.APIError as exc:
        raise _api_error(step, doing, exc) from exc
    except requests.exceptions.ConnectionError as exc:
        raise ContainerError(step, f"lost the Docker engine while {doing}: {exc}", hint=ENGINE_FIX) from exc


def _api_error(step: str, doing: str, exc: docker.errors.APIError) -> ContainerError:
    text = _reason(exc)
    lowered = text.lower()
    if "no space left on device" in lowered:
        return ContainerError(step, f"the engine ran out of disk space while {doing}: {text}", hint=DISK_FIX)
    if "network" in lowered and "not found" in lowered:
        return ContainerError(step, f"{doing}: {text}", hint=NETWORK_FIX)
    return ContainerError(step, f"{doing}: {text}")


# --- the build image -----------------------------------------------------------------------------


def build_image_tag(base_image_id: str, dockerfile: bytes, platform: str) -> str:
    """`layer-builder-build:<hash>`: one tag per base image id, Dockerfile content and platform."""
    digest = hashlib.sha256()
    for part in (base_image_id.encode(), dockerfile, platform.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return f"{BUILD_IMAGE_REPOSITORY}:{digest.hexdigest()[:24]}"


def ensure_build_image(
    client: docker.DockerClient,
    *,
    base_image: str,
    dockerfile: Path,
    platform: str,
    network: str | None,
    on_output: OutputCallback | None = None,
) -> str:
    """The tag of the build image for `base_image` on `platform`, building it only the first time."""
    base_id = local_image_id(client, base_image, platform)
    if base_id is None:
        _pull(client, base_image, platform)
        base_id = local_image_id(client, base_image, platform)
        if base_id is None:
            raise _missing_image(base_image, platform, "the pull did not provide it for this platform")
    content = dockerfile.read_bytes()
    tag = build_image_tag(base_id, content, platform)
    if local_image_id(client, tag, platform) is None:
        _build(
            client,
            dockerfile=content,
            base_image=base_image,
            base_id=base_id,
            platform=platform,
            network=network,
            tag=tag,
            on_output=on_output,
        )
    return tag


def local_image_id(client: docker.DockerClient, name: str, platform: str) -> str | None:
    """The id of image `name` if the engine has it for `platform`, else None. Never pulls."""
    try:
        with _engine_calls(ENGINE_STEP, f"looking up image {name}"):
            image = client.images.get(name)
    except ContainerError as exc:
        if isinstance(exc.__cause__, docker.errors.ImageNotFound):
            return None
        raise
    if not _matches_platform(image.attrs, platform):
        return None
    return str(image.id)


def _matches_platform(attrs: Mapping[str, Any], platform: str) -> bool:
    wanted = platform.split("/")
    have = [str(attrs.get("Os") or "linux"), str(attrs.get("Architecture") or "")]
    return have == wanted[:2]


def _pull(client: docker.DockerClient, name: str, platform: str) -> None:
    try:
        client.images.pull(name, platform=platform)
    except (docker.errors.DockerException, requests.exceptions.ConnectionError) as exc:
        raise _missing_image(name, platform, _reason(exc)) from exc


def _missing_image(name: str, platform: str, why: str) -> ContainerError:
    return ContainerError(
        ENGINE_STEP,
        f"image {name} is not present in the engine for {platform} and cannot be pulled: {why}",
        hint=_LOAD_IMAGE_HINT.format(name=name),
    )


_LOAD_IMAGE_HINT = (
    "load it from a file with `docker load -i IMAGE.tar` (made with `docker save {name}` on a machine "
    "that has it), or pass --base-image with an image this engine has (`docker images`)"
)


def _absent_image(client: docker.DockerClient, name: str, platform: str) -> ContainerError:
    """For a container's image, which is never pulled: says so, and which platform the engine has."""
    message = f"image {name} is not present in the engine for {platform}"
    try:
        image = client.images.get(name)
    except (docker.errors.DockerException, requests.exceptions.ConnectionError):
        pass
    else:
        message += f" (it has {image.attrs.get('Os', 'linux')}/{image.attrs.get('Architecture')} only)"
    return ContainerError(ENGINE_STEP, message, hint=_LOAD_IMAGE_HINT.format(name=name))


def _build(
    client: docker.DockerClient,
    *,
    dockerfile: bytes,
    base_image: str,
    base_id: str,
    platform: str,
    network: str | None,
    tag: str,
    on_output: OutputCallback | None,
) -> None:
    tail: collections.deque[str] = collections.deque(maxlen=LAST_LINES)
    with _engine_calls(IMAGE_STEP, f"building {tag} from {base_image}"):
        chunks = client.api.build(
            # Only the Dockerfile goes to the engine: the build needs nothing from the work tree,
            # and sending it (layers/, caches) would be slow.
            fileobj=_dockerfile_context(dockerfile),
            custom_context=True,
            tag=tag,
            # The id, not the name: FROM resolves locally without a registry, and the image built
            # is the one whose id is in the tag.
            buildargs={"BASE_IMAGE": base_id},
            platform=platform,
            network_mode=network,
            pull=False,
            rm=True,
            forcerm=True,
            decode=True,
            labels={CONTAINER_LABEL: "build-image", f"{CONTAINER_LABEL}.base-image": base_image},
            # The client's 60 s default would abort a RUN step that is quiet for a minute.
            timeout=BUILD_READ_TIMEOUT_SECONDS,
        )
        for chunk in chunks:
            if "error" in chunk:
                raise _build_failed(tag, base_image, str(chunk["error"]), tail)
            for line in str(chunk.get("stream", "")).splitlines():
                if not line.strip():
                    continue
                tail.append(line)
                if on_output is not None:
                    on_output(line)


def _dockerfile_context(content: bytes) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(content)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(content))
    buffer.seek(0)
    return buffer


def _build_failed(tag: str, base_image: str, error: str, tail: Iterable[str]) -> ContainerError:
    hint = DISK_FIX if "no space left on device" in error.lower() else None
    return ContainerError(
        IMAGE_STEP,
        f"building {tag} from {base_image} failed: {error.strip()}" + _format_tail(tail),
        hint=hint,
    )


# --- the container -------------------------------------------------------------------------------


def host_user() -> str:
    """`uid:gid` of the invoking user, so files written into mounted folders belong to them."""
    return f"{os.getuid()}:{os.getgid()}"


def _is_root(user: str) -> bool:
    return user.split(":", 1)[0] in ("0", "root")


def _print_to_stderr(message: str) -> None:
    sys.stderr.write(message + "\n")


class BuildContainer:
    """A long-lived container that commands run in; removed on exit unless `keep` is set.

    Use it as a context manager (`open_container()` builds one). The container idles in
    `sleep infinity` and each `run()` is an exec, so a build's steps share one file system.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        image: str,
        platform: str,
        mounts: Sequence[BindMount | tuple[Path | str, str, bool]] = (),
        env: Mapping[str, str] | None = None,
        network: str | None = None,
        workdir: str | None = None,
        keep: bool = False,
        user: str | None = None,
        notify: Callable[[str], None] = _print_to_stderr,
    ) -> None:
        self.client = client
        self.image = image
        self.platform = platform
        self.mounts = [BindMount(*mount) for mount in mounts]
        self.env = dict(env or {})
        self.network = network
        self.workdir = workdir
        self.keep = keep
        self.user = user if user is not None else host_user()
        self.notify = notify
        # Our own name, so a container can be found and removed even when creating it was interrupted.
        self.name = f"layer-builder-{secrets.token_hex(6)}"
        self._started = False

    def __enter__(self) -> BuildContainer:
        self._check_mounts()
        try:
            self._create_and_start()
        except BaseException:
            self._remove(quiet=True)
            raise
        self._started = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._started = False
        if self.keep:
            self.notify(
                f"kept container {self.name} for debugging: `docker exec -it {self.name} sh`; "
                f"remove it with `docker rm -f {self.name}`"
            )
            return
        # While an error is on its way out, a failed removal must not replace it.
        self._remove(quiet=exc_type is not None)

    def _check_mounts(self) -> None:
        for mount in self.mounts:
            if not Path(mount.host_path).exists():
                raise ContainerError(
                    ENGINE_STEP,
                    f"cannot mount {mount.host_path} at {mount.container_path}: it does not exist on the host",
                )

    def _create_and_start(self) -> None:
        doing = f"starting a container from {self.image} ({self.platform})"
        try:
            with _engine_calls(ENGINE_STEP, doing):
                container = self.client.containers.create(
                    self.image,
                    # Our own idle process, whatever the image's entrypoint: commands come as execs.
                    entrypoint=["sleep", "infinity"],
                    name=self.name,
                    platform=self.platform,
                    mounts=[_bind(mount) for mount in self.mounts],
                    environment=self.env,
                    network_mode=self.network,
                    working_dir=self.workdir,
                    labels={CONTAINER_LABEL: "build"},
                )
                container.start()
        except ContainerError as exc:
            raise self._start_error(exc) from exc.__cause__

    def _start_error(self, exc: ContainerError) -> ContainerError:
        cause = exc.__cause__
        if isinstance(cause, docker.errors.ImageNotFound):
            return _absent_image(self.client, self.image, self.platform)
        if "exec format error" in str(exc).lower():
            return unsupported_platform(self.platform)
        return exc

    def _remove(self, *, quiet: bool) -> None:
        try:
            with _engine_calls(ENGINE_STEP, f"removing container {self.name}"):
                self.client.api.remove_container(self.name, force=True, v=True)
        except ContainerError as exc:
            if isinstance(exc.__cause__, docker.errors.NotFound):
                return
            if not quiet:
                raise ContainerError(
                    ENGINE_STEP, exc.message, hint=f"remove it by hand: `docker rm -f {self.name}`"
                ) from exc
            self.notify(f"could not remove container {self.name}: {exc.message}")

    def run(
        self,
        argv: Sequence[str],
        *,
        step: str,
        on_output: OutputCallback | None = None,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> str:
        """Runs `argv` in the container and returns its output (stdout and stderr, interleaved).

        Runs as the invoking host user unless `user` says otherwise (e.g. "0" for setup steps).
        A non-zero exit raises ContainerError naming `step` with the last lines of output.
        """
        exit_code, lines = self._exec(
            argv, step=step, on_output=on_output, user=user, env=env, workdir=workdir
        )
        if exit_code != 0:
            raise self._command_failed(step, argv, exit_code, lines)
        return lines.text()

    def run_unchecked(
        self,
        argv: Sequence[str],
        *,
        step: str,
        on_output: OutputCallback | None = None,
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """Like run(), but returns (exit code, output) instead of raising on a non-zero exit.

        For commands whose failure output is the result (a smoke test, compileall's error list).
        """
        exit_code, lines = self._exec(argv, step=step, on_output=on_output, user=None, env=env, workdir=None)
        return exit_code, lines.text()

    def _exec(
        self,
        argv: Sequence[str],
        *,
        step: str,
        on_output: OutputCallback | None,
        user: str | None,
        env: Mapping[str, str] | None,
        workdir: str | None,
    ) -> tuple[int, _LineCollector]:
        if not self._started:
            raise RuntimeError("BuildContainer.run() called outside its `with` block")
        exec_user = user if user is not None else self.user
        api = self.client.api
        with _engine_calls(step, f"running {argv[0]} in container {self.name}"):
            exec_id = api.exec_create(
                self.name,
                _with_stderr_merged(argv),
                stdout=True,
                stderr=True,
                user=exec_user,
                environment=self._exec_env(exec_user, env),
                workdir=workdir,
            )["Id"]
            lines = _LineCollector(on_output)
            for chunk in api.exec_start(exec_id, stream=True):
                lines.feed(chunk)
            lines.close()
            return _exit_code(api, exec_id), lines

    def _exec_env(self, exec_user: str, env: Mapping[str, str] | None) -> dict[str, str]:
        merged: dict[str, str] = {}
        # A uid without a passwd entry gets HOME=/ or none at all; pip and friends need to write there.
        if not _is_root(exec_user) and "HOME" not in self.env:
            merged["HOME"] = DEFAULT_HOME
        merged.update(env or {})
        return merged

    def _command_failed(
        self, step: str, argv: Sequence[str], exit_code: int, lines: _LineCollector
    ) -> ContainerError:
        tail = lines.tail()
        joined = "\n".join(tail).lower()
        if "no space left on device" in joined:
            hint = DISK_FIX
        elif self.keep:
            hint = f"the container is kept: `docker exec -it {self.name} sh`"
        else:
            hint = "re-run with --keep-container to look inside the container"
        return ContainerError(
            step,
            f"`{shlex.join(argv)}` exited with status {exit_code} in the container" + _format_tail(tail),
            hint=hint,
        )


def _with_stderr_merged(argv: Sequence[str]) -> list[str]:
    # The engine reads stdout and stderr from two pipes and interleaves them as it pleases, so an
    # error message could land before the output that led to it. One pipe keeps the order.
    return ["/bin/sh", "-c", 'exec "$@" 2>&1', "layer-builder", *argv]


def _bind(mount: BindMount) -> Mount:
    return Mount(
        target=mount.container_path, source=str(mount.host_path), type="bind", read_only=mount.read_only
    )


# Read as a verb at call sites: `with open_container(client, image=...) as box:`.
open_container = BuildContainer


def _exit_code(api: Any, exec_id: str) -> int:
    # The output stream can end a moment before the engine records the exit code.
    for _ in range(100):
        state = api.exec_inspect(exec_id)
        if not state.get("Running") and state.get("ExitCode") is not None:
            return int(state["ExitCode"])
        time.sleep(0.05)
    raise ContainerError(ENGINE_STEP, f"the engine reported no exit code for exec {exec_id}")


def _format_tail(lines: Iterable[str]) -> str:
    tail = list(lines)
    if not tail:
        return " (no output)"
    body = "\n".join(f"    {line}" for line in tail)
    return f"; last {units.count(len(tail), 'line')} of output:\n{body}"


class _LineCollector:
    """Decodes streamed output into whole lines for the callback, keeping all text and the last lines."""

    def __init__(self, on_output: OutputCallback | None) -> None:
        self._on_output = on_output
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._parts: list[str] = []
        self._tail: collections.deque[str] = collections.deque(maxlen=LAST_LINES)

    def feed(self, chunk: bytes) -> None:
        self._add(self._decoder.decode(chunk))

    def close(self) -> None:
        self._add(self._decoder.decode(b"", final=True))
        if self._pending:
            self._emit(self._pending)
            self._pending = ""

    def _add(self, text: str) -> None:
        self._parts.append(text)
        *complete, self._pending = (self._pending + text).split("\n")
        for line in complete:
            self._emit(line.rstrip("\r"))

    def _emit(self, line: str) -> None:
        self._tail.append(line)
        if self._on_output is not None:
            self._on_output(line)

    def text(self) -> str:
        return "".join(self._parts)

    def tail(self) -> list[str]:
        return list(self._tail)


# --- platforms -----------------------------------------------------------------------------------


def unsupported_platform(platform: str) -> UnsupportedPlatformError:
    return UnsupportedPlatformError(
        ENGINE_STEP,
        f"this engine cannot run {platform} containers (no emulation registered for it)",
        hint=(
            "register emulation with `docker run --privileged --rm tonistiigi/binfmt --install arm64` "
            "(or install qemu-user-static and binfmt-support on the engine's host), or use --backend local"
        ),
    )


def can_run_platform(client: docker.DockerClient, image: str, platform: str) -> bool:
    """Whether the engine really executes `image` as `platform`: runs `uname -m` in a throwaway container.

    Raises ContainerError when the image is not present for that platform (nothing to try with).
    """
    expected = MACHINE_ALIASES.get(platform.split("/")[1] if "/" in platform else "")
    try:
        with BuildContainer(client, image=image, platform=platform, network="none", user="0") as probe:
            machine = probe.run(["uname", "-m"], step=ENGINE_STEP).strip()
    except UnsupportedPlatformError:
        return False
    except ContainerError as exc:
        if "exec format error" in str(exc).lower():
            return False
        raise
    # A mislabelled image can run natively and claim the platform; the kernel's answer decides.
    return expected is None or machine == expected

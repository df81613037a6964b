"""Everything tune needs of the container engine, from one place: the neutral engine wrapper and
build image (builder/engine/), and what tune adds: Lambda's CPU share and memory limit.
"""

from __future__ import annotations

from builder.engine.build_image import emulation_env, ensure_image, image_python
from builder.engine.container import BindMount, BuildContainer, connect, open_container

__all__ = [
    "CPU_PERIOD_US",
    "BindMount",
    "BuildContainer",
    "connect",
    "emulation_env",
    "ensure_image",
    "image_python",
    "oom_kills",
    "open_container",
    "set_limits",
]


# --- what tune adds: Lambda's CPU share and memory limit on a running container -------------------

# The CFS period the CPU quota is a share of. Docker's --cpus uses 100 ms; a shorter one spreads the
# quota evenly over a short invocation instead of letting it run unthrottled for a whole first
# period (at 128 MB a 100 ms period would allow a 7 ms burst at full speed).
CPU_PERIOD_US = 20_000
MIB = 1024 * 1024


def set_limits(box: BuildContainer, *, cpus: float, memory_mb: int) -> None:
    """CPU quota = `cpus` of one CPU; memory limit = `memory_mb` with no swap beyond it."""
    import docker.errors

    from builder.errors import ContainerError

    quota = max(int(cpus * CPU_PERIOD_US), 1000)  # the kernel refuses a quota under 1 ms
    memory = memory_mb * MIB
    api = box.client.api
    try:
        try:
            api.update_container(
                box.name, cpu_period=CPU_PERIOD_US, cpu_quota=quota, mem_limit=memory, memswap_limit=memory
            )
        except docker.errors.APIError as exc:
            if "swap" not in str(exc).lower():
                raise
            # A kernel without swap accounting cannot limit swap; the engine then refuses the option.
            api.update_container(box.name, cpu_period=CPU_PERIOD_US, cpu_quota=quota, mem_limit=memory)
    except docker.errors.APIError as exc:
        raise ContainerError(
            "tune",
            f"could not limit container {box.name} to {cpus:.3f} CPUs and {memory_mb} MB: {exc.explanation or exc}",
            hint="the engine must support CPU quotas and memory limits (`docker info` warns when it does not)",
        ) from exc


OOM_KILLS = (
    "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null "
    "| sed -n 's/^oom_kill //p'"
)


def oom_kills(box: BuildContainer) -> int | None:
    """How many processes the kernel killed for memory in this container (cgroup v2 or v1), if it says."""
    code, output = box.run_unchecked(["/bin/sh", "-c", OOM_KILLS], step="tune")
    numbers = [int(word) for word in output.split() if word.isdigit()]
    return sum(numbers) if code == 0 and numbers else None

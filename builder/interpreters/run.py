"""A Python interpreter that build steps can run commands with: on this machine or in a container.

The bytecode and smoke-test steps only need "run this interpreter with these arguments and give me
the exit code and output"; where the interpreter lives is the backend's business.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from builder import proc
from builder.interpreters.locate import EMULATORS, Interpreter
from builder.manifest import RunMethod
from builder.runtimes import LAMBDA_ARM64_CPU, host_machine


class PythonRunner(Protocol):
    @property
    def version(self) -> str: ...  # "3.12"
    @property
    def machine(self) -> str: ...  # "x86_64" / "aarch64"
    @property
    def label(self) -> str: ...  # for messages and the manifest
    @property
    def method(self) -> RunMethod: ...  # how it runs the target's code: native, emulated, container
    @property
    def runs_itself(self) -> bool: ...  # its child processes can start its sys.executable

    def run(
        self, args: Sequence[str], *, step: str, env: Mapping[str, str], timeout: float | None
    ) -> proc.Result: ...


@dataclass(frozen=True)
class LocalPython:
    interpreter: Interpreter

    @property
    def version(self) -> str:
        return self.interpreter.version

    @property
    def machine(self) -> str:
        return self.interpreter.machine

    @property
    def label(self) -> str:
        return self.interpreter.label

    @property
    def method(self) -> RunMethod:
        return self.interpreter.method

    @property
    def runs_itself(self) -> bool:
        return self.interpreter.runs_itself

    def run(
        self, args: Sequence[str], *, step: str, env: Mapping[str, str], timeout: float | None
    ) -> proc.Result:
        # Exactly the command found or given: a wrapper or launcher may be the only way to run it.
        full = {**os.environ, **env}
        return proc.run(
            [*self.interpreter.command, *args],
            step=step,
            env={**full, **emulated_cpu(self.interpreter.command, self.interpreter.machine, full)},
            timeout=timeout,
            check=False,
        )


def emulated_cpu(command: Sequence[str], machine: str, env: Mapping[str, str]) -> dict[str, str]:
    """QEMU_CPU for a command qemu-user runs as aarch64, unless the user chose a CPU already.

    qemu's default "max" CPU offers SME; OpenBLAS (in NumPy and SciPy wheels) then picks SME
    kernels, which qemu 7.2 emulates wrongly: matrix products come out wrong and a correct layer
    fails its smoke test. Lambda's arm64 core (Graviton2, neoverse-n1) has no SME. The docker backend
    pins its emulated containers the same way (engine/build_image.py). qemu-user reads QEMU_CPU
    whether it is the command's first word or started by the kernel (binfmt_misc) for an aarch64
    executable; a `-cpu` on the command line wins over it, so an explicit choice is left alone.
    """
    if "QEMU_CPU" in env or any(word in ("-cpu", "--cpu") for word in command[1:]):
        return {}
    first = Path(command[0]).name if command else ""
    if first.startswith(EMULATORS):
        emulates_arm64 = first.startswith("qemu-aarch64")
    else:
        emulates_arm64 = machine == "aarch64" and host_machine() != "aarch64"
    return {"QEMU_CPU": LAMBDA_ARM64_CPU} if emulates_arm64 else {}

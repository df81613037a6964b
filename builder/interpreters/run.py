"""A Python interpreter that build steps can run commands with: on this machine or in a container.

The bytecode and smoke-test steps only need "run this interpreter with these arguments and give me
the exit code and output"; where the interpreter lives is the backend's business.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from builder import proc
from builder.interpreters.locate import Interpreter
from builder.manifest import RunMethod


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
        return proc.run(
            [*self.interpreter.command, *args],
            step=step,
            env={**os.environ, **env},
            timeout=timeout,
            check=False,
        )

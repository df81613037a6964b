"""Finding a Python interpreter of the target's version, to compile bytecode and run smoke tests.

An interpreter is a *command*: an executable, a wrapper script, or a launcher such as
`qemu-aarch64-static -L ROOT ROOT/usr/bin/python3.13`. It is always run exactly as found or given:
the `sys.executable` it reports may not run on this machine at all (a foreign architecture, or a
newer glibc reached only through its own loader).

Bytecode only needs the same Python version (it is architecture independent); the smoke test
needs the same version *and* machine. Nothing here assumes the user has pyenv or uv: each is one
more place to look, after the commands the user configured (see docs/interpreters.md).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from builder import proc, tomlload
from builder.errors import ConfigError
from builder.manifest import RunMethod
from builder.runtimes import ARCHITECTURES, MACHINE_ALIASES, host_machine

PROBE = "import sys, platform; print(sys.version_info[0], sys.version_info[1], platform.machine(), sys.executable)"
CONFIG_FILE = "interpreters.toml"
# Names of emulators that run a foreign interpreter: such a command is "emulated" even if it claims
# the host's machine.
EMULATORS = ("qemu-",)

Command = tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Interpreter:
    command: Command  # how to run it; always exactly this
    version: str  # "3.12"
    machine: str  # "x86_64" / "aarch64"
    executable: str  # the sys.executable it reports: shown, never run
    method: RunMethod  # "native" or "emulated"

    @property
    def label(self) -> str:
        return shlex.join(self.command)

    @property
    def runs_itself(self) -> bool:
        """Whether its child processes can start `sys.executable` (multiprocessing's workers do).

        True only when the command is that executable itself: a wrapper or launcher may be the
        only way to run it here.
        """
        if len(self.command) != 1:
            return False
        return Path(self.command[0]).resolve() == Path(self.executable).resolve()


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What a command said when asked which Python it is."""

    interpreter: Interpreter | None
    said: str  # its answer or error, for messages


@dataclass(frozen=True, kw_only=True)
class Search:
    found: Interpreter | None
    looked_at: tuple[str, ...]

    def describe(self) -> str:
        return ", ".join(self.looked_at) or "nowhere"


def parse_command(text: str) -> Command:
    """A `--python` value or a configured command: an existing path as is (spaces allowed), else split
    like a shell would."""
    if not text.strip():
        raise ConfigError("an interpreter command is empty", hint="name a Python executable or a command")
    if Path(text).exists():
        return (text,)
    try:
        words = tuple(shlex.split(text))
    except ValueError as exc:
        raise ConfigError(f"cannot read the interpreter command {text!r}: {exc}") from exc
    return words


@cache
def ask(command: Command) -> Answer:
    """Run PROBE with `command`. Cached: a build asks twice, and a probe under emulation takes seconds."""
    done = proc.probe([*command, "-I", "-c", PROBE], timeout=120)
    if done is None:
        return Answer(interpreter=None, said="it could not be started")
    parsed = parse_probe(done.stdout) if done.ok else None
    if parsed is None:
        tail = done.tail(3) or f"exit status {done.returncode}"
        return Answer(interpreter=None, said=f"it did not answer as a Python: {tail}")
    version, machine, executable = parsed
    machine = MACHINE_ALIASES.get(machine.lower(), machine)
    return Answer(
        interpreter=Interpreter(
            command=command,
            version=version,
            machine=machine,
            executable=executable,
            method=_method(command, machine),
        ),
        said=f"Python {version} for {machine} ({executable})",
    )


def probe(path: Path | str) -> Interpreter | None:
    """The interpreter an executable is; None if it is not a working one."""
    return ask((str(path),)).interpreter


def _method(command: Command, machine: str) -> RunMethod:
    emulator = any(Path(word).name.startswith(EMULATORS) for word in command[:1])
    return "emulated" if emulator or machine != host_machine() else "native"


def parse_probe(output: str) -> tuple[str, str, str] | None:
    """(version "3.12", machine, sys.executable) from PROBE's output; None if it is not that."""
    parts = output.split(maxsplit=3)
    if len(parts) != 4 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return f"{parts[0]}.{parts[1]}", parts[2], parts[3].strip()


# ---------------------------------------------------------------- configured commands


def env_variable(version: str, arch: str) -> str:
    """LAYER_BUILDER_PYTHON_3_13_ARM64: the command for Python 3.13 on arm64."""
    return f"LAYER_BUILDER_PYTHON_{version.replace('.', '_')}_{arch.upper()}"


def config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "layer-builder" / CONFIG_FILE


def configured(version: str, arch: str, env: Mapping[str, str]) -> tuple[str, Command] | None:
    """The command the user set up for Python `version` on Lambda architecture `arch`, and where.

    The environment variable wins over the config file, so one run can try another command.
    """
    variable = env_variable(version, arch)
    if env.get(variable, "").strip():
        return variable, parse_command(env[variable])
    path = config_path(env)
    if not path.is_file():
        return None
    try:
        table = tomlload.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomlload.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint="fix or remove the file") from exc
    # `[python3.14]` unquoted is the dotted key python3 -> 14 in TOML; accept it and the quoted form.
    major, minor = version.split(".")
    nested = table.get(f"python{major}", {})
    section = table.get(f"python{version}") or (nested.get(minor) if isinstance(nested, dict) else None)
    if not isinstance(section, dict) or arch not in section:
        return None
    value = section[arch]
    where = f"{path} [python{version}] {arch}"
    if isinstance(value, str):
        return where, parse_command(value)
    if isinstance(value, list) and value and all(isinstance(word, str) for word in value):
        return where, tuple(value)
    raise ConfigError(
        f"{where} must be a command string or a list of strings, not {value!r}",
        hint='e.g. arm64 = "qemu-aarch64-static -L /srv/trixie-arm64 /srv/trixie-arm64/usr/bin/python3.13"',
    )


# The Debian suites that ship each Python version, for every architecture Lambda has
# (docs/interpreters.md, tests/debian_pythons.sh); no suite ships 3.10 or 3.12.
DEBIAN_PYTHONS = {"3.11": "bookworm", "3.13": "trixie", "3.14": "forky"}


def not_found(version: str, machine: str, search: Search, env: Mapping[str, str] | None = None) -> str:
    """Why the smoke test cannot run, leading with what is missing (the build table shows that
    clause), then where the tool looked and the one command that makes such a Python available."""
    arch = arch_of(machine)
    variable = env_variable(version, arch)
    if machine == host_machine():
        uv = shutil.which("uv", path=(os.environ if env is None else env).get("PATH"))
        get = f"`uv python install {version}`" if uv else f"`pyenv install {version}` (or uv python install)"
        how = f"{get} makes one available, or set {variable} to a command that runs one"
    elif version in DEBIAN_PYTHONS:
        how = (
            f"nothing on this machine runs {machine} code for it: `tests/debian_pythons.sh wrapper {version} "
            f"{arch}` (in a clone of layer-builder) unpacks Debian {DEBIAN_PYTHONS[version]}'s Python "
            f"{version} to run under qemu and prints the command to set as {variable}"
        )
    else:
        how = (
            f"no Debian suite ships Python {version}: build with --backend docker to run it in an {arch} "
            f"container, or set {variable} to a command that runs one"
        )
    return f"no Python {version} for {machine} found (looked at {search.describe()}); {how} (see docs/interpreters.md)"


def arch_of(machine: str) -> str:
    """Lambda's architecture name for a uname machine: aarch64 -> arm64."""
    return {"x86_64": "x86_64", "aarch64": "arm64"}.get(machine, machine)


# ---------------------------------------------------------------- discovery


def candidates(version: str, env: Mapping[str, str]) -> list[tuple[str, Command]]:
    """Places a native Python `version` may live, in the order we trust them."""
    found: list[tuple[str, Command]] = []
    pyenv_root = Path(env.get("PYENV_ROOT") or Path(env.get("HOME", "~")).expanduser() / ".pyenv")
    on_path = shutil.which(f"python{version}", path=env.get("PATH"))
    # A pyenv shim is a shell script that costs a quarter second and fails unless that version is
    # selected; the pyenv versions themselves are looked at next.
    if on_path and Path(on_path).parent != pyenv_root / "shims":
        found.append(("PATH", (on_path,)))
    versions = pyenv_root / "versions"
    if versions.is_dir():
        for folder in sorted(versions.glob(f"{version}.*"), reverse=True):
            found.append(("pyenv", (str(folder / "bin" / f"python{version}"),)))
    # The interpreter running layer-builder, when it happens to be the target's version.
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        found.append(("this interpreter", (sys.executable,)))
    uv = shutil.which("uv", path=env.get("PATH"))
    if uv:
        done = proc.probe([uv, "python", "find", version])
        if done is not None and done.ok and done.stdout.strip():
            found.append(("uv", (done.stdout.strip(),)))
    return found


def places(version: str, machine: str | None, env: Mapping[str, str]) -> list[tuple[str, Command]]:
    """Where to look, in order. For the smoke test (`machine` given): the command configured for that
    architecture, then native interpreters. For bytecode (any machine): the host architecture's
    command, native interpreters, then the other architectures' commands (slower under emulation)."""
    host = arch_of(host_machine())
    archs = [arch_of(machine)] if machine is not None else [host, *(a for a in ARCHITECTURES if a != host)]
    first = configured(version, archs[0], env)
    rest = [configured(version, arch, env) for arch in archs[1:]]
    ordered = [first] if first else []
    ordered += candidates(version, env)
    ordered += [entry for entry in rest if entry]
    return ordered


def find(
    version: str,
    *,
    machine: str | None,
    override: Sequence[str] | None,
    env: Mapping[str, str] | None = None,
) -> Search:
    """The first interpreter of `version` (and `machine`, when given) that actually runs."""
    env = os.environ if env is None else env
    looking = [("--python", tuple(override))] if override is not None else places(version, machine, env)
    looked: list[str] = []
    for where, command in looking:
        looked.append(f"{where}: {shlex.join(command)}")
        interpreter = ask(command).interpreter
        if interpreter is None or interpreter.version != version:
            continue
        if machine is not None and interpreter.machine != machine:
            continue
        return Search(found=interpreter, looked_at=tuple(looked))
    return Search(found=None, looked_at=tuple(looked))

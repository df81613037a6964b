"""Finding an interpreter of the target version: PATH, pyenv, this interpreter, --python."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pytest

from builder.errors import ConfigError
from builder.interpreters.locate import configured, env_variable, find, parse_command
from builder.interpreters.run import LocalPython

VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_found_in_a_pyenv_root(tmp_path: Path):
    folder = tmp_path / "pyenv" / "versions" / f"{VERSION}.99" / "bin"
    folder.mkdir(parents=True)
    (folder / f"python{VERSION}").symlink_to(sys.executable)
    search = find(
        VERSION, machine=None, override=None, env={"PATH": "", "PYENV_ROOT": str(tmp_path / "pyenv")}
    )
    assert search.found is not None and search.found.version == VERSION
    assert any(place.startswith("pyenv:") for place in search.looked_at)


def test_override_of_the_wrong_version_is_not_used(tmp_path: Path):
    search = find("3.1", machine=None, override=(sys.executable,), env={"PATH": ""})
    assert search.found is None
    assert search.looked_at == (f"--python: {sys.executable}",)


def test_machine_must_match_for_the_smoke_test():
    assert find(VERSION, machine=platform.machine(), override=(sys.executable,)).found is not None
    other = "aarch64" if platform.machine() == "x86_64" else "x86_64"
    assert find(VERSION, machine=other, override=(sys.executable,)).found is None


def test_nothing_found_lists_where_it_looked(tmp_path: Path):
    search = find(
        "3.99", machine=None, override=None, env={"PATH": str(tmp_path), "PYENV_ROOT": str(tmp_path)}
    )
    assert search.found is None
    assert search.describe() == "nowhere"


# ---------------------------------------------------------------- interpreters are commands


def wrapper(tmp_path: Path, name: str = "wrapped-python") -> tuple[Path, Path]:
    """A wrapper script around this interpreter that counts its calls in a log file."""
    log = tmp_path / f"{name}.log"
    script = tmp_path / name
    script.write_text(f'#!/bin/sh\necho called >> "{log}"\nexec "{sys.executable}" "$@"\n')
    script.chmod(0o755)
    return script, log


def fake_python(tmp_path: Path, answer: str, name: str = "fake-python") -> Path:
    """Answers the probe like a Python of another version or machine would (pure-logic stand-in)."""
    script = tmp_path / name
    script.write_text(f"#!/bin/sh\necho '{answer}'\n")
    script.chmod(0o755)
    return script


def test_a_wrapper_is_run_as_given_not_the_executable_it_reports(tmp_path: Path):
    script, log = wrapper(tmp_path)
    found = find(VERSION, machine=platform.machine(), override=(str(script),)).found
    assert found is not None
    assert found.command == (str(script),)
    assert found.executable == sys.executable and not found.runs_itself
    calls_before = log.read_text().count("called")
    done = LocalPython(found).run(["-c", "print('hello from the layer')"], step="verify", env={}, timeout=60)
    assert done.ok and done.stdout.strip() == "hello from the layer"
    assert log.read_text().count("called") == calls_before + 1, "the run must go through the wrapper"


def test_a_launcher_command_with_arguments_is_run_word_for_word(tmp_path: Path):
    script, log = wrapper(tmp_path)
    command = parse_command(f"/bin/sh {script}")
    assert command == ("/bin/sh", str(script))
    found = find(VERSION, machine=None, override=command).found
    assert found is not None and found.command == command and found.method == "native"
    assert "called" in log.read_text()


def test_a_path_with_spaces_is_one_word(tmp_path: Path):
    folder = tmp_path / "my pythons"
    folder.mkdir()
    script, _ = wrapper(folder)
    assert parse_command(str(script)) == (str(script),)
    with pytest.raises(ConfigError):
        parse_command("   ")


def test_the_interpreter_itself_may_start_its_own_workers():
    found = find(VERSION, machine=None, override=(sys.executable,)).found
    assert found is not None and found.runs_itself


def test_a_foreign_machine_or_an_emulator_is_emulated(tmp_path: Path):
    other = "aarch64" if platform.machine() == "x86_64" else "x86_64"
    foreign = fake_python(tmp_path, f"3 13 {other} /root/usr/bin/python3.13")
    found = find("3.13", machine=other, override=(str(foreign),)).found
    assert found is not None and found.method == "emulated" and found.machine == other
    qemu = fake_python(tmp_path, f"3 13 {platform.machine()} /x/python3.13", name="qemu-x86_64-static")
    assert find("3.13", machine=None, override=(str(qemu),)).found.method == "emulated"  # type: ignore[union-attr]


def test_a_configured_command_comes_first_for_its_architecture(tmp_path: Path):
    other = "aarch64" if platform.machine() == "x86_64" else "x86_64"
    arch = "arm64" if other == "aarch64" else "x86_64"
    foreign = fake_python(tmp_path, f"3 13 {other} /root/usr/bin/python3.13")
    env = {"PATH": "", "HOME": str(tmp_path), env_variable("3.13", arch): str(foreign)}
    search = find("3.13", machine=other, override=None, env=env)
    assert search.found is not None and search.found.command == (str(foreign),)
    assert search.looked_at[0] == f"LAYER_BUILDER_PYTHON_3_13_{arch.upper()}: {foreign}"


def test_bytecode_prefers_a_native_interpreter_over_another_architectures_command(tmp_path: Path):
    other = "aarch64" if platform.machine() == "x86_64" else "x86_64"
    arch = "arm64" if other == "aarch64" else "x86_64"
    foreign = fake_python(tmp_path, f"{sys.version_info[0]} {sys.version_info[1]} {other} /root/python")
    env = {"PATH": "", "HOME": str(tmp_path), env_variable(VERSION, arch): str(foreign)}
    search = find(VERSION, machine=None, override=None, env=env)
    assert search.found is not None and search.found.method == "native"
    # With no native one, the other architecture's command still compiles bytecode.
    search = find("3.13" if VERSION != "3.13" else "3.12", machine=None, override=None, env={
        "PATH": "", "HOME": str(tmp_path),
        env_variable("3.13" if VERSION != "3.13" else "3.12", arch): str(fake_python(
            tmp_path, f"3 {13 if VERSION != '3.13' else 12} {other} /root/python", name="other-arch"
        )),
    })  # fmt: skip
    assert search.found is not None and search.found.method == "emulated"


def test_the_config_file_names_commands_and_the_variable_wins(tmp_path: Path):
    first = fake_python(tmp_path, "3 14 x86_64 /a/python3.14", name="first")
    second = fake_python(tmp_path, "3 14 x86_64 /b/python3.14", name="second")
    folder = tmp_path / "config" / "layer-builder"
    folder.mkdir(parents=True)
    (folder / "interpreters.toml").write_text(
        f'[python3.14]\nx86_64 = ["{first}"]\narm64 = "qemu-aarch64-static -L /r /r/usr/bin/python3.14"\n'
    )
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert configured("3.14", "x86_64", env) == (
        f"{folder / 'interpreters.toml'} [python3.14] x86_64",
        (str(first),),
    )
    assert configured("3.14", "arm64", env)[1][:2] == ("qemu-aarch64-static", "-L")  # type: ignore[index]
    assert configured("3.13", "arm64", env) is None
    env["LAYER_BUILDER_PYTHON_3_14_X86_64"] = str(second)
    assert configured("3.14", "x86_64", env) == ("LAYER_BUILDER_PYTHON_3_14_X86_64", (str(second),))


def test_a_bad_config_value_is_named(tmp_path: Path):
    folder = tmp_path / "layer-builder"
    folder.mkdir()
    (folder / "interpreters.toml").write_text("[python3.14]\narm64 = 3\n")
    with pytest.raises(ConfigError, match=r"\[python3.14\] arm64 must be a command"):
        configured("3.14", "arm64", {"XDG_CONFIG_HOME": str(tmp_path)})

"""Which emulated interpreter commands get Lambda's arm64 CPU (QEMU_CPU), and which are left alone."""

from __future__ import annotations

import pytest

from builder.interpreters.run import emulated_cpu
from builder.runtimes import host_machine

PINNED = {"QEMU_CPU": "neoverse-n1"}
LAUNCHER = ("qemu-aarch64-static", "-L", "/srv/trixie", "/srv/trixie/usr/bin/python3.13")


def test_a_qemu_aarch64_launcher_is_pinned_to_lambdas_core():
    assert emulated_cpu(LAUNCHER, "aarch64", {}) == PINNED
    assert emulated_cpu(("/usr/bin/qemu-aarch64", "/r/usr/bin/python3.13"), "aarch64", {}) == PINNED


@pytest.mark.parametrize(
    ("command", "env"),
    [
        (("qemu-aarch64-static", "-cpu", "max", "-L", "/r", "/r/usr/bin/python3.13"), {}),
        (("qemu-aarch64-static", "--cpu", "cortex-a72", "/r/usr/bin/python3.13"), {}),
        (LAUNCHER, {"QEMU_CPU": "cortex-a76"}),
    ],
)
def test_a_cpu_the_user_chose_is_left_alone(command, env):
    assert emulated_cpu(command, "aarch64", env) == {}


def test_other_emulators_and_native_interpreters_are_not_pinned():
    assert emulated_cpu(("qemu-x86_64-static", "/r/usr/bin/python3.13"), "x86_64", {}) == {}
    assert emulated_cpu(("/usr/bin/python3.13",), host_machine(), {}) == {}


def test_an_aarch64_interpreter_behind_a_wrapper_or_binfmt_is_pinned_on_another_machine():
    expected = {} if host_machine() == "aarch64" else PINNED
    assert emulated_cpu(("/home/me/bin/python3.13-arm64",), "aarch64", {}) == expected

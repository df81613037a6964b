"""An emulated interpreter given without -cpu still verifies an OpenBLAS layer: the local backend
pins Lambda's arm64 core (QEMU_CPU=neoverse-n1) for it, as the docker backend does for containers.

With qemu 7.2's default CPU, OpenBLAS picks SME kernels that qemu emulates wrongly, so a correct
layer would fail its smoke test (and the hint would blame the recipe)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.paths import REPO
from typer.testing import CliRunner

from builder.cli import app

pytestmark = [pytest.mark.network, pytest.mark.slow]

# Products of matrices big enough for OpenBLAS's optimised kernels.
RECIPE = '''
[layer]
requirements = ["numpy"]
runtimes = ["python3.13"]
architectures = ["arm64"]

[minimize]
enabled = false

[smoke]
imports = ["numpy"]
script = """
import numpy as np
m = np.random.default_rng(0).random((200, 200))
assert np.allclose(m @ np.eye(200), m), abs(m @ np.eye(200) - m).max()
assert np.allclose(np.linalg.inv(m) @ m, np.eye(200), atol=1e-6)
"""
'''


def debian_root(version: str, arch: str) -> str:
    done = subprocess.run(
        ["bash", str(REPO / "tests" / "debian_pythons.sh"), "root", version, arch],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_qemu_command_without_cpu_is_pinned_and_the_smoke_test_passes(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("QEMU_CPU", raising=False)
    root = debian_root("3.13", "arm64")
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "blas.toml").write_text(RECIPE)
    lock_dir = recipes / "locks" / "blas"
    lock_dir.mkdir(parents=True)
    runner = CliRunner()
    locked = runner.invoke(app, ["lock", "blas", "--recipes", str(recipes)])
    assert locked.exit_code == 0, locked.output
    python = f"qemu-aarch64-static -L {root} {root}/usr/bin/python3.13"
    result = runner.invoke(
        app,
        ["build", "blas", "--recipes", str(recipes), "--layers-dir", str(tmp_path / "out"),
         "--python", python, "--bytecode", "none", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"status": "passed"' in result.stdout

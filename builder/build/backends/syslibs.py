"""Bundling system libraries of the build image into a layer's lib/, with their license files.

Some wheels need a shared library that neither the wheel nor the Lambda runtime has (a threading
runtime, an XML library). Lambda puts /opt/lib on LD_LIBRARY_PATH, so a copy in the layer's lib/
is found; the copy comes from the runtime's build image, which is the same OS as Lambda's. The
license files of the package that owns the library ship beside it (lib/licenses/<package>/), as
the library's license requires.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from builder.build import steps
from builder.errors import ContainerError

MARKER = "@@layer-builder-syslibs@@"

# Runs with the image's Python: find each library by the loader's cache, then by the usual folders;
# the owning package by rpm (Amazon Linux) or dpkg (Debian); its licenses where each puts them.
SCRIPT = r"""
import glob, json, os, shutil, subprocess, sys
lib_dir, names = sys.argv[1], sys.argv[2:]
FOLDERS = ["/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib64", "/usr/local/lib",
           "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu"]

def output(argv):
    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout if done.returncode == 0 else ""

def locate(name):
    for line in output(["ldconfig", "-p"]).splitlines():
        left, _, path = line.partition("=>")
        if left.split() and left.split()[0] == name and os.path.isfile(path.strip()):
            return path.strip()
    for folder in FOLDERS:
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None

def owner(path):
    real = os.path.realpath(path)
    for candidate in dict.fromkeys([path, real, "/usr" + real, real.removeprefix("/usr")]):
        name = output(["rpm", "-qf", "--queryformat", "%{NAME}", candidate]).strip()
        if name:
            return name
        found = output(["dpkg", "-S", candidate]).strip()
        if found:
            return found.split(":")[0].split(",")[0].strip()
    return None

def licenses(package):
    patterns = [f"/usr/share/licenses/{package}/*", f"/usr/share/doc/{package}/copyright",
                f"/usr/share/doc/{package}/LICENSE*", f"/usr/share/doc/{package}/COPYING*"]
    return sorted({p for pattern in patterns for p in glob.glob(pattern) if os.path.isfile(p)})

report = []
os.makedirs(lib_dir, exist_ok=True)
for name in names:
    path = locate(name)
    if path is None:
        report.append({"name": name, "found": False})
        continue
    shutil.copyfile(os.path.realpath(path), os.path.join(lib_dir, name))
    package = owner(path)
    copied = []
    for source in licenses(package) if package else []:
        target = os.path.join(lib_dir, "licenses", package, os.path.basename(source))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
        copied.append(os.path.relpath(target, lib_dir))
    report.append({"name": name, "found": True, "source": path, "package": package, "licenses": copied})
print(MARKER + json.dumps(report))
""".replace("MARKER", repr(MARKER))


class Runner(Protocol):
    """What of the build container this needs: run a command, get its exit code and output."""

    def run_unchecked(self, argv: Sequence[str], *, step: str) -> tuple[int, str]: ...


def bundle(box: Runner, python: str, names: Sequence[str], lib_dir: Path) -> list[dict[str, object]]:
    """Copy `names` from the image into lib_dir (visible at the same path inside the container)."""
    code, output = box.run_unchecked([python, "-c", SCRIPT, str(lib_dir), *names], step=steps.INSTALL)
    lines = [line for line in output.splitlines() if line.startswith(MARKER)]
    if code != 0 or not lines:
        raise ContainerError(
            steps.INSTALL, f"could not copy system libraries from the build image:\n{output}"
        )
    report: list[dict[str, object]] = json.loads(lines[-1][len(MARKER) :])
    missing = [str(row["name"]) for row in report if not row["found"]]
    if missing:
        raise ContainerError(
            steps.INSTALL,
            f"the build image has no {', '.join(missing)} (looked in the loader cache and the usual lib folders)",
            hint="check the names in [layer] system_libraries, or use a --base-image that has their packages",
        )
    return report

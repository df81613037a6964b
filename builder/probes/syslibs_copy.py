"""Copy system libraries of the build image into a layer's lib/, with their packages' license files.

Run with the build image's Python as `python syslibs_copy.py LIB_DIR NAME...` (see
build/backends/syslibs.py): each library is found by the loader's cache, then in the usual folders;
the package that owns it by rpm (Amazon Linux) or dpkg (Debian), its licenses where each puts them.
Prints one line, MARKER + a JSON list with what was found, copied and from where.

A probe: standard library only, valid on Python 3.10 (see builder/probes/__init__.py).
"""

import glob
import json
import os
import shutil
import subprocess
import sys

MARKER = "@@layer-builder-syslibs@@"
FOLDERS = [
    "/usr/lib64",
    "/lib64",
    "/usr/lib",
    "/lib",
    "/usr/local/lib64",
    "/usr/local/lib",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib/aarch64-linux-gnu",
]


def output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout if done.returncode == 0 else ""


def locate(name: str) -> str | None:
    for line in output(["ldconfig", "-p"]).splitlines():
        left, _, path = line.partition("=>")
        if left.split() and left.split()[0] == name and os.path.isfile(path.strip()):
            return path.strip()
    for folder in FOLDERS:
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None


def owner(path: str) -> str | None:
    real = os.path.realpath(path)
    for candidate in dict.fromkeys([path, real, "/usr" + real, real.removeprefix("/usr")]):
        name = output(["rpm", "-qf", "--queryformat", "%{NAME}", candidate]).strip()
        if name:
            return name
        found = output(["dpkg", "-S", candidate]).strip()
        if found:
            return found.split(":")[0].split(",")[0].strip()
    return None


def licenses(package: str) -> list[str]:
    patterns = [
        f"/usr/share/licenses/{package}/*",
        f"/usr/share/doc/{package}/copyright",
        f"/usr/share/doc/{package}/LICENSE*",
        f"/usr/share/doc/{package}/COPYING*",
    ]
    return sorted({p for pattern in patterns for p in glob.glob(pattern) if os.path.isfile(p)})


def main(lib_dir: str, names: list[str]) -> None:
    report: list[dict[str, object]] = []
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
            target = os.path.join(lib_dir, "licenses", str(package), os.path.basename(source))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
            copied.append(os.path.relpath(target, lib_dir))
        report.append({"name": name, "found": True, "source": path, "package": package, "licenses": copied})
    print(MARKER + json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

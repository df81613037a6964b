"""Programs that run in a target's interpreter, not in layer-builder's own.

Each module here is a script run by path (`python -I -S path args`) in the Python a layer is for:
3.10 to 3.14, perhaps under qemu or inside a container, often with only the layer on sys.path. So a
probe imports nothing but the standard library (never `builder`), is valid Python 3.10, and takes
what it needs as arguments. Not even `from __future__ import annotations`: that is a real import
in the target, and two probes time or record what gets imported. The host may import a probe for its constants (the marker that starts
its report line): the work is behind `if __name__ == "__main__"`.

An interpreter inside a container sees only the folders mounted into it, not the installed package:
`copy_to()` puts a probe into such a folder first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FOLDER = "layer-builder-probes"


def path(name: str) -> Path:
    """The installed probe `name` (e.g. "import_sweep.py"), for an interpreter that sees this machine's files."""
    found = Path(__file__).with_name(name)
    if not found.is_file():
        raise FileNotFoundError(f"no probe {name} in {found.parent}")
    return found


def copy_to(name: str, folder: Path) -> Path:
    """A copy of probe `name` under `folder`, in a subfolder of probes only (it becomes sys.path[0]
    when a probe runs without -I)."""
    target = folder / FOLDER / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path(name), target)
    return target

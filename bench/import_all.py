"""Import every module of a layer, in an isolated target interpreter, and list the ones that fail.

Usage: python bench/import_all.py PYTHON LAYER_PYTHON_DIR [--compare FULL_PYTHON_DIR] [--skip-tests]

With --compare, a module counts as broken only if it imports from the full (unminimized) tree
and not from the layer: that is what the minimizer must never cause.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from builder.build.importcheck import broken_by_minimizing, import_all


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("python")
    parser.add_argument("layer", type=Path, help="the layer's python/ folder")
    parser.add_argument("--compare", type=Path, help="the unminimized python/ folder")
    parser.add_argument("--skip-tests", action="store_true", help="do not try test modules")
    args = parser.parse_args()
    if args.compare:
        broken = broken_by_minimizing(args.python, args.layer, args.compare, skip_tests=args.skip_tests)
        print(
            f"{len(broken)} modules import from the full tree but not from the layer (broken by minimizing)"
        )
        for name, error in sorted(broken.items()):
            print(f"  BROKEN {name}: {error}")
        return 1 if broken else 0
    layer = import_all(args.python, args.layer, skip_tests=args.skip_tests)
    failed = {name: error for name, error in layer.items() if error}
    print(f"{len(layer)} modules tried, {len(failed)} failed")
    for name, error in sorted(failed.items()):
        print(f"  {name}: {error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Import a layer's smoke imports one after another, under `-X importtime`, marking where each starts.

Run as `python -I -S -B -X importtime import_timer.py SITES NAME...` (see inspect/importtime.py):
SITES is the layer's sys.path entries joined by newlines. Before each import it writes MARK + name
to stderr, and FAILED + name + the error when it fails, so the importtime lines between two marks
belong to one import.

A probe: standard library only, valid on Python 3.10 (see builder/probes/__init__.py). It imports
nothing but `sys` (built in, already loaded): anything else would show up in the timings.
"""

import sys

MARK = "@@layer-builder-import "
FAILED = "@@layer-builder-failed "


def main(sites: str, names: list[str]) -> None:
    sys.path[:0] = sites.split("\n")
    for name in names:
        sys.stderr.write(MARK + name + "\n")
        sys.stderr.flush()
        try:
            # __import__, not importlib.import_module: only imports that go through the import
            # statement's C path are timed by -X importtime; importlib's own _gcd_import would
            # leave the outermost module out.
            __import__(name)
        except BaseException as exc:
            error = type(exc).__name__ + ": " + str(exc).replace("\n", " ")
            sys.stderr.write(FAILED + name + " " + error + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

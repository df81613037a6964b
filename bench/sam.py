"""`sam build` of scipy-stack: the makefile method (layer-builder) against SAM's own python builder.

Usage: .venv/bin/python bench/sam.py [--sam PATH] [--no-write]

Two SAM projects with one layer resource each, python3.12 x86_64, the same pins (the committed
lock recipes/locks/scipy-stack/python3.12-x86_64.txt):
  (a) `Metadata: BuildMethod: makefile`, the target running `layer-builder build scipy-stack
      --unpack-to "$(ARTIFACTS_DIR)"` (examples/sam's Makefile): cold (no layers/, no .aws-sam),
      then unchanged (the same command again);
  (b) `Metadata: BuildMethod: python3.12`, the lock as requirements.txt: cold, then again (SAM
      rebuilds a layer on every `sam build` unless --cached is given).
Each row reads the built folder in .aws-sam/build/: bytes, files, and its size zipped (deflate 9),
against Lambda's 262,144,000-byte unzipped limit. Both download from the configured index (pip's
HTTP cache as it is). Prints a table and writes the `sam` section of BENCHMARKS.md (unless --no-write).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import _report
from _report import REPO, format_table, grouped

sys.path.insert(0, str(REPO))

from builder.interpreters.locate import find
from builder.runtimes import limits

SECTION = "sam"
LOCK = REPO / "recipes" / "locks" / "scipy-stack" / "python3.12-x86_64.txt"
HEADERS = ("method", "run", "wall s", "unzipped bytes", "zipped bytes", "files", "under the limit")
RIGHT = (False, False, True, True, True, True, False)

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  ScipyLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
      CompatibleRuntimes: [python3.12]
      CompatibleArchitectures: [x86_64]
    Metadata:
      BuildMethod: {method}
      BuildArchitecture: x86_64
"""
MAKEFILE = """PROJECT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
LAYER_BUILDER ?= layer-builder

build-ScipyLayer:
\t$(LAYER_BUILDER) build scipy-stack --runtime python3.12 --arch x86_64 \\
\t\t--recipes "{recipes}" --output "$(PROJECT)/layers" --unpack-to "$(ARTIFACTS_DIR)"
"""


def project(root: Path, method: str) -> Path:
    (root / "layer").mkdir(parents=True)
    (root / "template.yaml").write_text(TEMPLATE.format(method=method))
    if method == "makefile":
        (root / "layer" / "Makefile").write_text(MAKEFILE.format(recipes=REPO / "recipes"))
    else:
        shutil.copy(LOCK, root / "layer" / "requirements.txt")
    return root


def sam_build(sam: str, root: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sam, "build"], cwd=root, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"sam build failed in {root}:\n{done.stdout}\n{done.stderr}")
    return seconds


def folder_stats(folder: Path, scratch: Path) -> tuple[int, int, int]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    unzipped = sum(p.stat().st_size for p in files)
    zip_path = scratch / "layer.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder).as_posix())
    zipped = zip_path.stat().st_size
    zip_path.unlink()
    return unzipped, zipped, len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sam", default=os.environ.get("LAYER_BUILDER_SAM", str(REPO / ".venv-sam" / "bin" / "sam"))
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    python = find("3.12", machine="x86_64", override=None).found
    if python is None:
        raise SystemExit("a Python 3.12 is needed: SAM's python builder and the smoke test run it")
    env = dict(os.environ, SAM_CLI_TELEMETRY="0", LAYER_BUILDER=f"{sys.executable} -m builder")
    env["PATH"] = os.pathsep.join([str(Path(python.executable).parent), env.get("PATH", "")])
    limit = limits().unzipped_bytes
    facts, load_start, share = _report.machine_facts(), _report.load_average(), _report.CpuShare()
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sam-") as work:
        for method, label in (
            ("makefile", "(a) makefile: layer-builder"),
            ("python3.12", "(b) SAM python builder"),
        ):
            root = project(Path(work) / method, method)
            for run in ("cold", "unchanged" if method == "makefile" else "again"):
                print(f"{label}: sam build ({run}) ...", file=sys.stderr, flush=True)
                seconds = sam_build(args.sam, root, env)
                unzipped, zipped, files = folder_stats(root / ".aws-sam" / "build" / "ScipyLayer", Path(work))
                fits = "yes" if unzipped <= limit else f"no: {grouped(unzipped - limit)} bytes over"
                rows.append(
                    [label, run, f"{seconds:.1f}", grouped(unzipped), grouped(zipped), grouped(files), fits]
                )
    table = format_table(HEADERS, rows, RIGHT)
    print(table)
    if not args.no_write:
        sam_version = subprocess.run([args.sam, "--version"], capture_output=True, text=True, check=False)
        lines = [
            "## `sam build` of scipy-stack: makefile method with layer-builder vs SAM's python builder (bench/sam.py)",
            "",
            *_report.facts_lines(facts, load_start, _report.load_average(), share.others_cores()),
            f"- {sam_version.stdout.strip()}; python3.12 x86_64; pins: `{LOCK.relative_to(REPO)}` "
            "(layer-builder's recipe; the same file as SAM's requirements.txt).",
            "- Network included for both (pip's HTTP cache as it was). (a) cold: no layers/ and no "
            ".aws-sam/; unchanged: the same `sam build` again, answered from layer-builder's cache and "
            "unpacked. (b) SAM rebuilds a layer on every `sam build` (without --cached).",
            f"- Sizes are of the built folder in .aws-sam/build/ (what `sam deploy` zips); zipped with "
            f"deflate 9 here. Lambda's unzipped limit: {grouped(limit)} bytes for the function and all its layers.",
            "",
            table,
        ]
        _report.update_section(SECTION, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

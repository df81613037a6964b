"""`layer-builder inspect` on real zips and built layers, with import times from a real interpreter."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

# The interpreter running the tests stands in for the target's: its runtime is the one the layers claim.
RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"
PYTHON = sys.executable

DEMO = {
    "demo/__init__.py": b"import json\nfrom demo import sub\nVALUE = sub.VALUE\n",
    "demo/sub.py": b"import decimal\nVALUE = 1\n",
    "demo/data.bin": 6000,
}


def demo_parts(zips: ModuleType) -> list[dict[str, bytes]]:
    return [
        zips.dist("demo", "1.0", DEMO),
        zips.dist("python-dateutil", "2.9.0", {"dateutil/__init__.py": 900}),
    ]


def sizes(path: Path, prefix: str) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(i.file_size for i in archive.infolist() if i.filename.startswith(prefix))


def test_a_built_layer_shows_its_packages_minimization_and_import_times(
    cli: Any, zips: ModuleType, chdir: Any
):
    root = chdir()
    folder = zips.built_layer(
        root / "layers",
        "demo",
        RUNTIME,
        "x86_64",
        *demo_parts(zips),
        imports=("demo", "demo.sub"),
        by_package={"demo": (7000, 3000, 12)},
    )
    report = cli.json("inspect", "demo", "--python", PYTHON, "--runs", "1")
    layer = folder / "layer.zip"
    assert report["source"]["kind"] == "built" and report["source"]["runtimes"] == [RUNTIME]
    assert [(p["name"], p["version"]) for p in report["packages"]] == [
        ("demo", "1.0"),
        ("python-dateutil", "2.9.0"),
    ]
    demo = report["packages"][0]
    assert demo["unzipped_bytes"] == sizes(layer, "python/demo")  # demo/ and demo-1.0.dist-info/
    assert report["unzipped_bytes"] == sizes(layer, "")
    assert report["headroom_bytes"] == 262_144_000 - sizes(layer, "")
    assert report["minimize"]["by_package"]["demo"] == {
        "kept_bytes": 7000,
        "removed_bytes": 3000,
        "removed_files": 12,
    }
    times = report["import_time"]
    assert times["status"] == "measured", times["reason"]
    assert [s["name"] for s in times["steps"]] == ["demo", "demo.sub"]
    modules = {m["name"]: m for m in times["modules"]}
    assert modules["demo"]["in_layer"] is True
    assert modules["json"]["in_layer"] is False and modules["decimal"]["in_layer"] is False
    # everything demo pulled in happened during the first smoke import; demo.sub was loaded by then
    assert times["steps"][1]["us"] == 0
    assert modules["demo"]["cumulative_us"] >= modules["json"]["cumulative_us"]


def test_the_terminal_report_has_bars_and_the_import_breakdown(cli: Any, zips: ModuleType, chdir: Any):
    root = chdir()
    zips.built_layer(root / "layers", "demo", RUNTIME, "x86_64", *demo_parts(zips), imports=("demo",))
    result = cli("inspect", "demo", "--python", PYTHON, "--runs", "1")
    assert result.exit_code == 0, result.stderr
    assert "packages by unzipped size" in result.stdout
    assert "█" in result.stdout
    assert "import time of the smoke imports" in result.stdout
    assert "standard library" in result.stdout


def test_a_failing_import_is_reported_not_hidden(cli: Any, zips: ModuleType, tmp_path: Path):
    layer = zips.write_zip(tmp_path / "layer.zip", *demo_parts(zips))
    report = cli.json(
        "inspect",
        layer,
        "--runtime",
        RUNTIME,
        "--python",
        PYTHON,
        "--import",
        "demo",
        "--import",
        "nosuchmodule",
        "--runs",
        "1",
    )
    steps = report["import_time"]["steps"]
    assert steps[0]["error"] is None
    assert steps[1]["name"] == "nosuchmodule"
    assert steps[1]["error"].startswith("ModuleNotFoundError")


def test_a_bare_zip_says_why_import_time_is_not_measured(cli: Any, zips: ModuleType, tmp_path: Path):
    layer = zips.write_zip(tmp_path / "layer.zip", *demo_parts(zips))
    report = cli.json("inspect", layer, "--import", "demo")
    assert report["source"]["kind"] == "zip"
    assert report["import_time"]["status"] == "not measured"
    assert "pass --runtime" in report["import_time"]["reason"]
    report = cli.json("inspect", layer)
    assert "pass --import NAME" in report["import_time"]["reason"]
    text = cli("inspect", layer).stdout
    assert "not measured" in text and "no manifest" in text


def test_without_an_interpreter_of_the_target_version_it_says_so(cli: Any, zips: ModuleType, tmp_path: Path):
    layer = zips.write_zip(tmp_path / "layer.zip", *demo_parts(zips))
    missing = tmp_path / "nowhere" / "python3"
    report = cli.json("inspect", layer, "--runtime", RUNTIME, "--import", "demo", "--python", missing)
    reason = report["import_time"]["reason"]
    assert report["import_time"]["status"] == "not measured"
    assert f"no Python {RUNTIME.removeprefix('python')}" in reason and str(missing) in reason
    assert "pass --python" in reason


def test_a_recipe_that_was_not_built_is_a_clear_error(cli: Any, chdir: Any):
    chdir()
    result = cli("inspect", "scipy-stack", "--runtime", "python3.12", "--arch", "x86_64")
    assert result.exit_code == 2
    assert "not a file, a layer ARN, or a recipe built under layers" in result.stderr
    assert "layer-builder build scipy-stack --runtime python3.12 --arch x86_64" in result.stderr


def test_a_recipe_built_for_several_targets_asks_which(cli: Any, zips: ModuleType, chdir: Any):
    root = chdir()
    zips.built_layer(root / "layers", "demo", "python3.12", "x86_64", *demo_parts(zips))
    zips.built_layer(root / "layers", "demo", "python3.12", "arm64", *demo_parts(zips))
    result = cli("inspect", "demo", "--no-import-time")
    assert result.exit_code == 2
    assert "demo is built for python3.12-arm64, python3.12-x86_64; which one?" in result.stderr
    assert "--runtime and --arch" in result.stderr
    report = cli.json("inspect", "demo", "--arch", "arm64", "--no-import-time")
    assert report["source"]["label"] == "demo python3.12-arm64"
    result = cli("inspect", "demo", "--runtime", "python3.13", "--no-import-time")
    assert result.exit_code == 2 and "has no build for python3.13" in result.stderr


def test_a_zip_that_does_not_match_its_manifest_is_refused(cli: Any, zips: ModuleType, chdir: Any):
    root = chdir()
    folder = zips.built_layer(root / "layers", "demo", "python3.12", "x86_64", *demo_parts(zips))
    zips.write_zip(folder / "layer.zip", {"python/other.py": 10})
    result = cli("inspect", "demo", "--no-import-time")
    assert result.exit_code == 10
    assert "is not the zip" in result.stderr and "rebuild it: layer-builder build demo" in result.stderr
    # named as a zip, the stale manifest beside it is ignored instead
    report = cli.json("inspect", folder / "layer.zip", "--no-import-time")
    assert report["source"]["kind"] == "zip"
    assert "describes another zip, ignored" in report["source"]["note"]
    assert [p["name"] for p in report["packages"]] == ["other"]


def test_a_path_that_is_not_a_layer_is_a_clear_error(cli: Any, tmp_path: Path):
    result = cli("inspect", tmp_path, "--no-import-time")
    assert result.exit_code == 2
    assert "is not a layer zip, a manifest.json or a folder with layer.zip" in result.stderr


def test_the_html_report_of_a_bare_zip_says_what_it_cannot_know(cli: Any, zips: ModuleType, tmp_path: Path):
    layer = zips.write_zip(tmp_path / "layer.zip", *demo_parts(zips))
    page = tmp_path / "report.html"
    result = cli("inspect", layer, "--html", page, "--no-import-time")
    assert result.exit_code == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    assert "No manifest: no record of what the build removed." in text
    assert "Not measured: --no-import-time was given" in text
    assert "<td>demo</td><td>1.0</td>" in text
    assert f"wrote {page}" in result.stderr


def test_an_html_file_that_cannot_be_written_is_a_clear_error(cli: Any, zips: ModuleType, tmp_path: Path):
    layer = zips.write_zip(tmp_path / "layer.zip", *demo_parts(zips))
    result = cli("inspect", layer, "--html", tmp_path / "no" / "such" / "report.html", "--no-import-time")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "report.html" in result.stderr


def test_the_interpreter_is_shown_as_a_command_a_shell_would_run(cli: Any, zips: ModuleType, chdir: Any):
    root = chdir()
    zips.built_layer(root / "layers", "demo", RUNTIME, "x86_64", *demo_parts(zips), imports=("demo",))
    command = f"{PYTHON} -E"  # a launcher command, as --python takes it
    report = cli.json("inspect", "demo", "--python", command, "--runs", "1")
    assert report["import_time"]["interpreter"] == command
    text = " ".join(cli("inspect", "demo", "--python", command, "--runs", "1").stdout.split())
    assert f"{command}, one run" in text and "('" not in text


def test_a_recipe_built_elsewhere_is_found_with_layers_dir_or_its_older_spelling(
    cli: Any, zips: ModuleType, tmp_path: Path
):
    zips.built_layer(tmp_path / "built", "demo", RUNTIME, "x86_64", *demo_parts(zips))
    for flag in ("--layers-dir", "--layers"):
        report = cli.json("inspect", "demo", flag, tmp_path / "built", "--no-import-time")
        assert report["source"]["kind"] == "built", flag
    missing = cli("inspect", "demo", "--layers-dir", tmp_path / "nowhere", "--no-import-time")
    assert missing.exit_code == 2 and "pass --layers-dir to the folder" in " ".join(missing.output.split())


def test_the_packages_table_is_readable_in_an_80_column_terminal(zips: ModuleType, tmp_path: Path):
    from support import terminal

    names = ["opentelemetry-exporter-otlp-proto-grpc", "scikit-learn-intelex", "a"]
    parts = [zips.dist(name, "10.20.30rc1", {f"{name.replace('-', '_')}/__init__.py": 900}) for name in names]
    layer = zips.write_zip(tmp_path / "wide.zip", *parts)
    code, text = terminal.run(["inspect", str(layer), "--no-import-time"], columns=80)
    assert code == 0, text
    assert max(len(line) for line in text.splitlines() if "│" in line) <= 80, text
    cells = dict(zip(terminal.headers_of(text), terminal.columns_of(text), strict=True))
    for name in names:
        assert name in cells["package"], text
    assert cells["version"].count("10.20.30rc1") == len(names), text

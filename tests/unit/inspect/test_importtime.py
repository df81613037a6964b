"""Reading `python -X importtime` output: nesting, top-level totals, and the smoke import each module came with."""

from __future__ import annotations

from builder.inspect import importtime
from builder.probes import import_timer

MARK, FAILED = import_timer.MARK, import_timer.FAILED

# What CPython 3.12 prints (stderr), with the runner's markers between the smoke imports.
OUTPUT = f"""import time: self [us] | cumulative | imported package
import time:       100 |        100 |   _io
import time:        50 |        150 | io
{MARK}numpy
import time:        30 |         30 |   numpy._utils
import time:        20 |         20 |     json.decoder
import time:        10 |         30 |   json
import time:       400 |        460 | numpy
{MARK}scipy.stats
import time:        70 |         70 |       numpy.linalg
import time:       200 |        270 |     scipy._lib
import time:        80 |        350 |   scipy
import time:       300 |        300 |   scipy.stats._distn
import time:       900 |       1550 | scipy.stats
{MARK}missing
{FAILED}missing ModuleNotFoundError: No module named 'missing'
"""


def test_lines_are_parsed_with_depth_and_the_import_they_belong_to():
    lines, errors = importtime.parse(OUTPUT)
    assert [(line.module, line.depth, line.during) for line in lines[:3]] == [
        ("_io", 1, None),
        ("io", 0, None),
        ("numpy._utils", 1, "numpy"),
    ]
    assert errors == {"missing": "ModuleNotFoundError: No module named 'missing'"}


def test_a_line_adopts_the_deeper_lines_printed_before_it():
    lines, _ = importtime.parse(OUTPUT)
    parents = {
        line.module: parent.module if parent else None
        for line, parent in zip(lines, importtime.parents(lines), strict=True)
    }
    assert parents["json.decoder"] == "json"
    assert parents["json"] == "numpy"
    assert parents["numpy._utils"] == "numpy"
    assert parents["numpy.linalg"] == "scipy._lib"
    assert parents["scipy._lib"] == "scipy"
    assert parents["scipy"] == parents["scipy.stats._distn"] == "scipy.stats"
    assert parents["numpy"] is None and parents["scipy.stats"] is None


def test_top_level_totals_self_and_cumulative():
    lines, errors = importtime.parse(OUTPUT)
    startup, modules, steps = importtime.summarize(
        lines, errors, ["numpy", "scipy.stats", "missing"], frozenset({"numpy", "scipy"})
    )
    assert startup == 150
    by_name = {m.name: m for m in modules}
    # cumulative: the outermost imports of each (numpy, and numpy.linalg made from scipy._lib; scipy.stats)
    assert (by_name["numpy"].self_us, by_name["numpy"].cumulative_us) == (30 + 400 + 70, 460 + 70)
    assert (by_name["scipy"].self_us, by_name["scipy"].cumulative_us) == (200 + 80 + 300 + 900, 1550)
    assert (by_name["json"].self_us, by_name["json"].cumulative_us, by_name["json"].in_layer) == (
        30,
        30,
        False,
    )
    assert [m.name for m in modules] == ["scipy", "numpy", "json"]  # slowest first
    assert [(s.name, s.us, s.error) for s in steps] == [
        ("numpy", 460, None),
        ("scipy.stats", 1550, None),
        ("missing", 0, "ModuleNotFoundError: No module named 'missing'"),
    ]


def test_modules_outside_the_layer_are_summed_for_the_tables():
    lines, errors = importtime.parse(OUTPUT)
    _, modules, steps = importtime.summarize(
        lines, errors, ["numpy", "scipy.stats"], frozenset({"numpy", "scipy"})
    )
    times = importtime.ImportTimes(status="measured", reason="one run", modules=modules, steps=steps)
    assert times.outside_layer == (1, 30)
    assert [s.name for s in times.failures] == []

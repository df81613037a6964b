"""Packages by size from real zips: the numbers add up to what the zip holds, files go to the right package."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from builder.errors import ConfigError
from builder.inspect import zipscan


def layer(zips: ModuleType, path: Path) -> Path:
    return zips.write_zip(
        path,
        zips.dist(
            "numpy",
            "2.5.5",
            {"numpy/__init__.py": 1200, "numpy/_core/umath.so": 5000, "numpy.libs/libopenblas.so": 9000},
        ),
        # the wheel is python-dateutil, the import name dateutil
        zips.dist("python-dateutil", "4.0.0", {"dateutil/__init__.py": 300, "dateutil/tz/tz.py": 700}),
        # a single-module wheel whose source the build compiled away (six.py -> six.pyc)
        {"python/six.pyc": 400, **zips.dist("six", "1.17.0", {}, site="python/")},
        # a package installed without a RECORD, and a library folder outside python/
        {"python/loose/__init__.py": 50, "lib/libextra.so.1": 2000},
        # the other folder Lambda imports from
        zips.dist("attrs", "25.1.0", {"attr/__init__.py": 80}, site="python/lib/python3.12/site-packages/"),
    )


def test_each_file_counts_once_and_the_totals_are_the_zips_contents(zips: ModuleType, tmp_path: Path):
    path = layer(zips, tmp_path / "layer.zip")
    listing = zipscan.scan(path)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "out")
        infos = archive.infolist()
    extracted = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert listing.unzipped_bytes == extracted == sum(p.unzipped_bytes for p in listing.packages)
    assert (
        listing.zipped_bytes
        == sum(i.compress_size for i in infos)
        == sum(p.zipped_bytes for p in listing.packages)
    )
    assert listing.file_count == len(infos) == sum(p.files for p in listing.packages)
    assert listing.archive_bytes == path.stat().st_size


def test_files_belong_to_the_distribution_whose_record_lists_them(zips: ModuleType, tmp_path: Path):
    listing = zipscan.scan(layer(zips, tmp_path / "layer.zip"))
    numpy = listing.package("numpy")
    assert numpy is not None
    assert (numpy.version, numpy.files, numpy.tops) == (
        "2.5.5",
        5,
        ("numpy", "numpy-2.5.5.dist-info", "numpy.libs"),
    )
    # three files plus METADATA and RECORD, whose sizes depend on their text
    metadata = len(b"Metadata-Version: 2.1\nName: numpy\nVersion: 2.5.5\n")
    record = len(
        b"numpy/__init__.py,,\nnumpy/_core/umath.so,,\nnumpy.libs/libopenblas.so,,\n"
        b"numpy-2.5.5.dist-info/METADATA,,\nnumpy-2.5.5.dist-info/RECORD,,\n"
    )
    assert numpy.unzipped_bytes == 1200 + 5000 + 9000 + metadata + record
    dateutil = listing.package("python-dateutil")
    assert dateutil is not None and dateutil.version == "4.0.0" and "dateutil" in dateutil.tops
    assert listing.module_owner("dateutil") == "python-dateutil"
    six = listing.package("six")
    assert six is not None and "six.pyc" in six.tops  # the compiled module stays with its distribution
    attrs = listing.package("attrs")
    assert attrs is not None and attrs.site == "python/lib/python3.12/site-packages/"


def test_files_no_record_claims_are_grouped_by_their_top_level_name(zips: ModuleType, tmp_path: Path):
    listing = zipscan.scan(layer(zips, tmp_path / "layer.zip"))
    loose, lib = listing.package("loose"), listing.package("lib/")
    assert loose is not None and (loose.version, loose.unzipped_bytes, loose.files) == (None, 50, 1)
    assert lib is not None and (lib.unzipped_bytes, lib.site) == (2000, "")


def test_packages_come_largest_first(zips: ModuleType, tmp_path: Path):
    listing = zipscan.scan(layer(zips, tmp_path / "layer.zip"))
    sizes = [p.unzipped_bytes for p in listing.packages]
    assert sizes == sorted(sizes, reverse=True)
    assert listing.packages[0].name == "numpy"


def test_function_code_is_grouped_from_the_zip_root(zips: ModuleType, tmp_path: Path):
    path = zips.write_zip(
        tmp_path / "function.zip",
        {"handler.py": 100},
        zips.dist("requests", "2.32.0", {"requests/api.py": 900}, site=""),
    )
    listing = zipscan.scan(path, "function")
    assert [p.name for p in listing.packages] == ["requests", "handler"]
    assert listing.package("requests").version == "2.32.0"  # type: ignore[union-attr]


def test_not_a_zip_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "layer.zip"
    bad.write_text("not a zip")
    with pytest.raises(ConfigError, match=r"cannot read .*layer\.zip as a zip"):
        zipscan.scan(bad)

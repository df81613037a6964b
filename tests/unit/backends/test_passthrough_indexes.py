"""The recipe's package indexes as a build container sees them: local folders copied into the
scratch folder (mounted at the same path), remote URLs unchanged."""

from __future__ import annotations

from pathlib import Path

from builder.build.backends.passthrough import recipe_indexes
from builder.manifest import PackageIndexes


def test_local_find_links_and_a_local_simple_index_are_copied_into_the_scratch_folder(tmp_path: Path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "demo-1.0-py3-none-any.whl").write_bytes(b"wheel")
    repo = tmp_path / "repo"
    (repo / "simple" / "demo").mkdir(parents=True)
    (repo / "files").mkdir()
    (repo / "files" / "demo-1.0-py3-none-any.whl").write_bytes(b"wheel")
    work = tmp_path / "work"
    seen = recipe_indexes(
        PackageIndexes(
            index_url=(repo / "simple").as_uri(),
            extra_index_urls=("https://download.pytorch.org/whl/cpu",),
            find_links=(str(wheels),),
        ),
        work,
    )
    assert seen.extra_index_urls == ("https://download.pytorch.org/whl/cpu",)
    assert seen.index_url is not None and seen.index_url.startswith(work.as_uri())
    index = Path(seen.index_url.removeprefix("file://"))
    assert index.name == "simple" and (index.parent / "files" / "demo-1.0-py3-none-any.whl").is_file()
    (link,) = seen.find_links
    assert Path(link).is_relative_to(work) and (Path(link) / "demo-1.0-py3-none-any.whl").is_file()

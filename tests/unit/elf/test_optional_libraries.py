"""Libraries a plain install lacks too are warnings; what minimizing lost is an error. Real .so files."""

from __future__ import annotations

from builder.build import evidence
from builder.layer import elfcheck
from builder.layer.elfcheck import ElfProblem

from .conftest import Built, LayerMaker


def check(root, built: Built):
    return elfcheck.check_tree(root, machine=built.machine, glibc=(2, 34), os_id="al2023")


def test_optional_module_missing_in_the_full_install_warns_and_lost_library_fails(
    built: Built, make_layer: LayerMaker
):
    # pkg/_threading.so needs libX11.so.6, which neither the wheel nor Lambda has (an optional
    # threading layer); pkg/_core.so needs the wheel's own pkg.libs/libdep.so.
    full = make_layer(
        {
            "python/pkg/_threading.so": built.x11_user,
            "python/pkg/_core.so": built.user_rpath,
            "python/pkg.libs/libdep.so": built.dep,
        }
    )
    baseline = evidence.missing_libraries(check(full, built))
    assert baseline == {("python/pkg/_threading.so", "libX11.so.6")}

    (full / "python/pkg.libs/libdep.so").unlink()  # what a bad removal rule would do
    split = evidence.split_by_baseline(check(full, built), baseline, "Amazon Linux 2023")
    errors, warnings = split.errors, split.warnings
    assert [w.path for w in warnings] == ["python/pkg/_threading.so"]
    assert "libX11.so.6" in warnings[0].detail and "the same in a plain install" in warnings[0].detail
    assert [(e.path, e.library) for e in errors] == [("python/pkg/_core.so", "libdep.so")]


def test_a_library_bundled_into_lib_is_found(built: Built, make_layer: LayerMaker):
    without = make_layer({"python/pkg/_ext.so": built.x11_user})
    assert [p.library for p in check(without, built)] == ["libX11.so.6"]
    # Lambda puts /opt/lib on LD_LIBRARY_PATH: a copy there satisfies the loader.
    (without / "lib").mkdir()
    (without / "lib/libX11.so.6").write_bytes((built.dep.parent / "libX11.so.6").read_bytes())
    assert check(without, built) == []


def test_gpu_libraries_a_plain_install_lacks_are_one_summary_not_a_note_each():
    def missing(path: str, library: str) -> ElfProblem:
        return ElfProblem(path=path, kind=evidence.MISSING, detail=f"needs {library}", library=library)

    problems = [
        missing("python/torch/lib/libtorch_cuda.so", "libcudart.so.12"),
        missing("python/torch/lib/libtorch_cuda.so", "libnvrtc.so.12"),
        missing("python/pkg/_threading.so", "libgomp.so.1"),
        missing("python/pkg/_core.so", "libdep.so"),  # not missing in the full install: minimizing broke it
    ]
    baseline = frozenset((p.path, p.library) for p in problems[:3])
    split = evidence.split_by_baseline(problems, baseline, "Amazon Linux 2023")
    assert split.gpu == {"python/torch/lib/libtorch_cuda.so": ["libcudart.so.12", "libnvrtc.so.12"]}
    assert [w.path for w in split.notes] == ["python/pkg/_threading.so"]
    assert len(split.warnings) == 3  # every one is still recorded in the manifest
    assert [(e.path, e.library) for e in split.errors] == [("python/pkg/_core.so", "libdep.so")]

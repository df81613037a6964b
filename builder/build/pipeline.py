"""The build pipeline's step order: lock → install → plan → minimize → bytecode → verify → size → package.

Only the order lives here; each step is a module with a typed result (minimizing, bytecode, verify,
size, package, describe; cache and context are what they share). Each step has a name (steps.py); a
failure is a BuildError that starts with it. The work happens in a scratch folder under the output
root; the output folder is replaced only when every step passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from builder import manifest
from builder.build import bytecode, lock, minimize, package, steps
from builder.build.backends import base
from builder.build.backends import local as local_backend
from builder.build.cache import build_key, from_cache
from builder.build.context import (
    BuildContext,
    BuildOptions,
    BuildResult,
    Progress,
    check_request,
    output_dir,
    step,
    workspace,
)
from builder.build.describe import manifest_for
from builder.build.minimizing import apply_plan, make_plan, observe
from builder.build.size import check_size
from builder.build.verify import verify_layer
from builder.layer import distinfo, elfcheck
from builder.recipe import Recipe
from builder.runtimes import Target, limits


def build(
    recipe: Recipe,
    target: Target,
    options: BuildOptions,
    progress: Progress,
    backend: base.Backend | None = None,
) -> BuildResult:
    """Build one target. `backend` defaults to the one options name (tests pass their own)."""
    check_request(recipe, target, options, progress)
    with step(progress, steps.LOCK, "checking the lock"):
        locked, lock_path = lock.load_fresh(recipe, target)
    mode = options.bytecode or recipe.bytecode
    backend = backend or _backend(target, options)
    key = build_key(recipe, target, lock_path, mode, backend)
    final = output_dir(options, recipe, target)
    package.clear_leftovers(final.parent, final.name)
    if options.use_cache and not options.dry_run:
        cached = from_cache(final, key)
        if cached is not None:
            return BuildResult(
                recipe=recipe.name,
                target=target.key,
                zip_path=final / manifest.LAYER_ZIP,
                manifest=cached,
                cached=True,
            )
    with _tidy(options), workspace(options) as work, _session(backend, work, progress) as session:
        ctx = BuildContext(
            locked=locked, lock_path=lock_path, mode=mode, key=key, final=final, work=work, session=session
        )
        return _build_fresh(recipe, target, options, progress, ctx)


@contextmanager
def _tidy(options: BuildOptions) -> Iterator[None]:
    """Leave no empty scratch root (.work) in the output folder once the build is done."""
    try:
        yield
    finally:
        package.remove_if_empty(options.output_root / ".work")


def _backend(target: Target, options: BuildOptions) -> base.Backend:
    if options.backend == "docker":
        from builder.build.backends import docker  # only now: the local path never loads the docker SDK

        return docker.DockerBackend(target=target, settings=options.docker)
    # The local backend is interpreter discovery: done once, it also feeds the cache key.
    return local_backend.local_backend(target, options.python, options.env)


@contextmanager
def _session(backend: base.Backend, work: Path, progress: Progress) -> Iterator[base.Session]:
    if backend.starting is None:
        with backend.open(work, progress.note, progress.output) as session:
            yield session
        return
    with ExitStack() as stack:
        # The step covers starting (a container); the session lives until the build is done.
        with step(progress, steps.CONTAINER, backend.starting):
            session = stack.enter_context(backend.open(work, progress.note, progress.output))
        yield session


def _build_fresh(
    recipe: Recipe, target: Target, options: BuildOptions, progress: Progress, ctx: BuildContext
) -> BuildResult:
    with step(
        progress, steps.INSTALL, f"installing {len(ctx.locked.packages)} locked packages for {target.key}"
    ):
        ctx.session.install(ctx.locked, ctx.lock_path, ctx.site)
        distinfo.drop_entries_outside(ctx.site)
        if recipe.system_libraries:
            ctx.session.bundle_system_libraries(recipe.system_libraries, ctx.layer / elfcheck.LAYER_LIB)
    with step(
        progress, steps.PLAN, "running the smoke test on the full install, planning the minimize rules"
    ):
        full = observe(recipe, target, ctx, progress)
        plan = make_plan(recipe, target, ctx, full)
    if options.dry_run:
        return BuildResult(
            recipe=recipe.name,
            target=target.key,
            zip_path=None,
            manifest=None,
            cached=False,
            plan=plan,
            dry_run=True,
        )
    with step(progress, steps.MINIMIZE, "removing and stripping what the plan says"):
        applied, remaining = apply_plan(recipe, target, ctx, plan)
        duplicates = minimize.identical_libraries(ctx.site, remaining)
    with step(
        progress, steps.BYTECODE, f"compiling bytecode ({ctx.mode}) for Python {target.runtime.python}"
    ):
        compiled = bytecode.compile_tree(
            ctx.site,
            mode=ctx.mode,
            python=ctx.session.bytecode_python,
            why_missing=ctx.session.why_no_bytecode,
        )
    if compiled.status == "skipped" and ctx.mode != "none":
        progress.note(f"bytecode not compiled: {compiled.reason}")
    with step(progress, steps.VERIFY, "checking ELF files and running the smoke test"):
        # Bytecode adds no ELF files: the listing after minimizing still counts them.
        elf_files = sum(1 for entry in remaining if entry.is_elf)
        verification = verify_layer(recipe, target, ctx, plan, full, progress, elf_files)
    with step(progress, steps.SIZE, "checking the size limits"):
        unzipped = check_size(recipe, ctx.site)
    with (
        step(progress, steps.PACKAGE, "writing the deterministic zip"),
        package.atomic_dir(ctx.final) as out,
    ):
        facts = package.write_zip(ctx.layer, out / manifest.LAYER_ZIP)
        assert facts.unzipped_bytes == unzipped
        document = manifest_for(
            recipe, target, options, ctx, facts, plan, applied, duplicates, compiled, verification
        )
        manifest.write(out / manifest.MANIFEST, document)
    if facts.zipped_bytes > limits().direct_upload_zipped_bytes:
        progress.note(
            f"{target.key}: the zip is {facts.zipped_bytes / 1e6:.1f} MB, over the 50 MB direct-upload limit; "
            "publishing uploads it through S3"
        )
    return BuildResult(
        recipe=recipe.name,
        target=target.key,
        zip_path=ctx.final / manifest.LAYER_ZIP,
        manifest=document,
        cached=False,
        plan=plan,
    )

"""The build pipeline's step order: lock → install → fit → plan → fit → minimize → bytecode → verify → size
→ package.

Only the order lives here; each step is a module with a typed result (planning, bytecode, verify,
size, package, describe; cache and context are what they share). Each step has a name (steps.py); a
failure is a BuildError that starts with it (reporting.step). The work happens in a scratch folder
under the output root; the output folder is replaced only when every step passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from builder import manifest, units
from builder.build import bytecode, elfstrip, lock, minimizer, package, sourcefit, steps
from builder.build.backends import base
from builder.build.backends.choice import backend_for
from builder.build.cache import build_key, from_cache
from builder.build.context import BuildContext
from builder.build.describe import manifest_for
from builder.build.options import BuildOptions, BuildResult
from builder.build.planning import apply_plan, check_fits, make_plan, observe, plan_every_rule
from builder.build.reporting import Progress, step
from builder.build.request import check_request
from builder.build.size import check_size
from builder.build.verify import verify_layer
from builder.build.workspace import output_dir, workspace
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
    check_request(recipe, target, options, backend.name if backend else options.backend, progress)
    with step(progress, steps.LOCK, "checking the lock"):
        locked, lock_path = lock.load_fresh(recipe, target)
    mode = options.bytecode or recipe.bytecode
    backend = backend or backend_for(
        options.backend, target, python=options.python, env=options.env, docker=options.docker
    )
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
            recipe=recipe,
            target=target,
            backend=backend,
            session=session,
            progress=progress,
            locked=locked,
            lock_path=lock_path,
            mode=mode,
            key=key,
            final=final,
            work=work,
            strip_tool=elfstrip.find_strip_tool(target.arch.machine) if recipe.minimize.strip else None,
        )
        return _build_fresh(ctx, dry_run=options.dry_run, on_plan=options.on_plan or _ignore)


def _ignore(plan: minimizer.Plan) -> None:
    return None


@contextmanager
def _tidy(options: BuildOptions) -> Iterator[None]:
    """Leave no empty scratch root (.work) in the output folder once the build is done."""
    try:
        yield
    finally:
        package.remove_if_empty(options.output_root / ".work")


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
    ctx: BuildContext, *, dry_run: bool, on_plan: Callable[[minimizer.Plan], None]
) -> BuildResult:
    recipe, target, progress = ctx.recipe, ctx.target, ctx.progress
    gpu = lock.gpu_warning(ctx.locked, lock.cpu_variants())
    if gpu:
        progress.note(gpu)  # what `new` and `lock` said, once more where the size is paid
    with step(
        progress, steps.INSTALL, f"installing {len(ctx.locked.packages)} locked packages for {target.key}"
    ):
        ctx.session.install(ctx.locked, ctx.lock_path, ctx.site, recipe.indexes)
        distinfo.drop_entries_outside(ctx.site)
        if recipe.system_libraries:
            ctx.session.bundle_system_libraries(recipe.system_libraries, ctx.layer / elfcheck.LAYER_LIB)
    with step(progress, steps.FIT, "the smallest layer every rule can make, against the limit"):
        files = minimizer.scan(ctx.site)
        first = plan_every_rule(ctx, files)
        on_plan(first)
        check_fits(ctx, first, stage="the install")
    with step(
        progress,
        steps.PLAN,
        "running the smoke test and importing every module on the full install, planning the minimize rules",
    ):
        full = observe(ctx, files)
        plan = make_plan(ctx, full, files)
        on_plan(plan)
    with step(progress, steps.FIT, "the planned layer against the limit"):
        check_fits(ctx, plan, stage="the plan")
    if dry_run:
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
        minimized = apply_plan(ctx, plan)
    with step(
        progress, steps.BYTECODE, f"compiling bytecode ({ctx.mode}) for Python {target.runtime.python}"
    ):
        compiled = bytecode.compile_tree(
            ctx.site,
            mode=ctx.mode,
            python=ctx.session.bytecode_python,
            why_missing=ctx.session.why_no_bytecode,
        )
        if ctx.mode == "auto":
            compiled = sourcefit.fit_sources(ctx, compiled, minimized.remaining)
    if compiled.status == "skipped" and ctx.mode != "none":
        progress.note(f"bytecode not compiled: {compiled.reason}")
    with step(progress, steps.VERIFY, "checking ELF files and running the smoke test"):
        verification = verify_layer(ctx, full, minimized)
    with step(progress, steps.SIZE, "checking the size limits"):
        layer = check_size(ctx)
    with (
        step(progress, steps.PACKAGE, "writing the deterministic zip"),
        package.atomic_dir(ctx.final) as out,
    ):
        facts = package.write_zip(ctx.layer, out / manifest.LAYER_ZIP, layer.files)
        document = manifest_for(ctx, minimized, compiled, verification, facts)
        manifest.write(out / manifest.MANIFEST, document)
    direct = limits().direct_upload_zipped_bytes
    if facts.zipped_bytes > direct:
        progress.note(
            f"{target.key}: the zip is {units.size(facts.zipped_bytes)}, over Lambda's direct-upload limit "
            f"({units.size(direct)}); publishing uploads it through S3"
        )
    return BuildResult(
        recipe=recipe.name,
        target=target.key,
        zip_path=ctx.final / manifest.LAYER_ZIP,
        manifest=document,
        cached=False,
        plan=plan,
    )

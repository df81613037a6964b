"""The build pipeline: lock → install → minimize → bytecode → verify → size → package.

Each step has a name; a failure is a BuildError that starts with it. The work happens in a
scratch folder under the output root; the output folder is replaced only when every step passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from builder import __version__, manifest, zips
from builder.build import bytecode, elfcheck, elfstrip, evidence, lock, minimize, package, smoke, steps
from builder.build.backends import base
from builder.build.backends import local as local_backend
from builder.errors import BuildError, ConfigError, SizeLimitError, VerificationError
from builder.recipe import BYTECODE_MODES, Recipe
from builder.runtimes import Target, limits, table_version
from builder.suggest import did_you_mean


class Progress(Protocol):
    def step(self, name: str, description: str) -> AbstractContextManager[None]: ...
    def output(self, line: str) -> None: ...
    def note(self, message: str) -> None: ...


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    output_root: Path
    backend: manifest.Backend = "local"
    python: tuple[str, ...] | None = None  # interpreter command for bytecode and the smoke test
    env: Mapping[str, str] | None = None  # where to discover interpreters; None: this process's
    bytecode: manifest.BytecodeMode | None = None  # override of the recipe's bytecode mode
    use_cache: bool = True
    keep_work: bool = False
    dry_run: bool = False  # install and plan, print, write nothing
    docker: base.DockerSettings = field(default_factory=base.DockerSettings)
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    recipe: str
    target: str
    zip_path: Path | None  # None for a dry run
    manifest: manifest.Manifest | None  # None for a dry run
    cached: bool
    plan: minimize.Plan | None = None
    dry_run: bool = False


@contextmanager
def _step(progress: Progress, name: steps.StepName, description: str) -> Iterator[None]:
    """A named step: shown by the progress display; a file-system failure becomes that step's error."""
    with progress.step(name, description):
        try:
            yield
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise BuildError(
                name,
                f"{exc.strerror or exc}{where}",
                hint="check free disk space and permissions of the output folder (--output)",
            ) from exc


def output_dir(options: BuildOptions, recipe: Recipe, target: Target) -> Path:
    return options.output_root / recipe.name / target.key


def build(
    recipe: Recipe,
    target: Target,
    options: BuildOptions,
    progress: Progress,
    backend: base.Backend | None = None,
) -> BuildResult:
    """Build one target. `backend` defaults to the one options name (tests pass their own)."""
    _check_request(recipe, target, options, progress)
    with _step(progress, steps.LOCK, "checking the lock"):
        locked, lock_path = lock.load_fresh(recipe, target)
    mode = options.bytecode or recipe.bytecode
    backend = backend or _backend(target, options)
    key = _build_key(recipe, target, lock_path, mode, backend)
    final = output_dir(options, recipe, target)
    package.clear_leftovers(final.parent, final.name)
    if options.use_cache and not options.dry_run:
        cached = _from_cache(final, key)
        if cached is not None:
            return BuildResult(
                recipe=recipe.name,
                target=target.key,
                zip_path=final / manifest.LAYER_ZIP,
                manifest=cached,
                cached=True,
            )
    with _workspace(options) as work, _session(backend, work, progress) as session:
        ctx = _Context(
            locked=locked, lock_path=lock_path, mode=mode, key=key, final=final, work=work, session=session
        )
        return _build_fresh(recipe, target, options, progress, ctx)


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
        with _step(progress, steps.CONTAINER, backend.starting):
            session = stack.enter_context(backend.open(work, progress.note, progress.output))
        yield session


@dataclass(frozen=True, kw_only=True)
class _Context:
    locked: lock.Lock
    lock_path: Path
    mode: manifest.BytecodeMode
    key: str
    final: Path
    work: Path
    session: base.Session

    @property
    def layer(self) -> Path:
        return self.work / "layer"

    @property
    def site(self) -> Path:
        return self.layer / "python"

    @property
    def aside(self) -> Path:
        """Where removed files wait until the build succeeds (see minimize.move_aside)."""
        return self.work / "removed"


def _build_fresh(
    recipe: Recipe, target: Target, options: BuildOptions, progress: Progress, ctx: _Context
) -> BuildResult:
    with _step(
        progress, steps.INSTALL, f"installing {len(ctx.locked.packages)} locked packages for {target.key}"
    ):
        ctx.session.install(ctx.locked, ctx.lock_path, ctx.site)
        if recipe.system_libraries:
            ctx.session.bundle_system_libraries(recipe.system_libraries, ctx.layer / elfcheck.LAYER_LIB)
    with _step(
        progress, steps.PLAN, "running the smoke test on the full install, planning the minimize rules"
    ):
        full = _observe(recipe, target, ctx, progress)
        plan = _plan(recipe, target, ctx, full)
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
    with _step(progress, steps.MINIMIZE, "removing and stripping what the plan says"):
        applied, remaining = _minimize(recipe, target, ctx, plan)
        duplicates = minimize.identical_libraries(ctx.site, remaining)
    with _step(
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
    with _step(progress, steps.VERIFY, "checking ELF files and running the smoke test"):
        # Bytecode adds no ELF files: the listing after minimizing still counts them.
        elf_files = sum(1 for entry in remaining if entry.is_elf)
        verification = _verify(recipe, target, ctx, plan, full, progress, elf_files)
    with _step(progress, steps.SIZE, "checking the size limits"):
        unzipped = _check_size(recipe, ctx.site)
    with (
        _step(progress, steps.PACKAGE, "writing the deterministic zip"),
        package.atomic_dir(ctx.final) as out,
    ):
        facts = package.write_zip(ctx.layer, out / manifest.LAYER_ZIP)
        assert facts.unzipped_bytes == unzipped
        document = _manifest(
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


def _check_request(recipe: Recipe, target: Target, options: BuildOptions, progress: Progress) -> None:
    if options.bytecode is not None and options.bytecode not in BYTECODE_MODES:
        raise ConfigError(
            f"unknown bytecode mode {options.bytecode!r}{did_you_mean(options.bytecode, BYTECODE_MODES)}",
            hint=f"use one of {', '.join(BYTECODE_MODES)}",
        )
    try:
        options.output_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use {options.output_root} as the output folder: {exc.strerror}") from exc
    if options.backend not in recipe.backends:
        raise ConfigError(
            f"recipe {recipe.name} does not allow the {options.backend} backend (allowed: {', '.join(recipe.backends)})"
        )
    # A runtime the recipe no longer lists by default (say, one Lambda deprecated) is still built on
    # request while its committed lock exists.
    listed = target.runtime.name in recipe.runtimes
    if target.arch.name not in recipe.architectures or not (listed or recipe.lock_path(target.key).is_file()):
        raise ConfigError(
            f"recipe {recipe.name} does not support {target.key}",
            hint=f"it lists runtimes {', '.join(recipe.runtimes)} and architectures {', '.join(recipe.architectures)}",
        )
    if not listed:
        progress.note(
            f"{target.runtime.name} is not among {recipe.name}'s default runtimes "
            f"({', '.join(recipe.runtimes)}); building it from its lock as asked"
        )
    if target.runtime.is_deprecated(options.today):
        progress.note(
            f"{target.runtime.name} is deprecated since {target.runtime.deprecated}; Lambda blocks creating "
            f"functions on {target.runtime.block_create} and updating them on {target.runtime.block_update}"
        )


def _build_key(
    recipe: Recipe,
    target: Target,
    lock_path: Path,
    mode: manifest.BytecodeMode,
    backend: base.Backend,
) -> str:
    """Everything that changes the output. Equal keys mean the existing layer can be reused."""
    payload = {
        "tool": __version__,
        "tables": table_version(),
        "rules": minimize.default_rules().version,
        "recipe": recipe.content_hash(),
        "lock": hashlib.sha256(lock_path.read_bytes()).hexdigest(),
        "target": target.key,
        "bytecode": mode,
        **backend.fingerprint(),
    }
    return "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _from_cache(final: Path, key: str) -> manifest.Manifest | None:
    existing = manifest.read(final / manifest.MANIFEST)
    zip_path = final / manifest.LAYER_ZIP
    if existing is None or existing.build_key != key or not zip_path.is_file():
        return None
    # Trust the zip only if it is still the one the manifest describes.
    if zips.file_sha256(zip_path).hex() != existing.zip.sha256:
        return None
    return existing


@contextmanager
def _workspace(options: BuildOptions) -> Iterator[Path]:
    root = options.output_root / ".work"
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=f"{os.getpid()}-"))
    try:
        yield work
    finally:
        if not options.keep_work:
            shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- minimize


@dataclass(frozen=True, kw_only=True)
class _FullInstall:
    """What the full install showed before minimizing: the files the smoke test touched, the ELF
    files whose libraries were already missing."""

    touched: frozenset[str]
    missing: frozenset[tuple[str, str]]


def _observe(recipe: Recipe, target: Target, ctx: _Context, progress: Progress) -> _FullInstall:
    # Without minimizing nothing is removed, so what the smoke test reads needs no protecting.
    if not recipe.minimize.enabled:
        report = smoke.SmokeRun(smoke=manifest.Smoke(status="not run", reason="nothing is minimized"))
    else:
        report = _smoke(recipe, ctx)
    if report.status == "failed":
        failure = "\n".join(report.smoke.failures) or report.smoke.reason
        raise VerificationError(
            steps.PLAN,
            f"the smoke test failed for {target.key} on the full install, before minimizing:\n{failure}",
            hint="no minimize rule is to blame: check the recipe's smoke test and its requirements",
        )
    if report.status == "not run" and recipe.minimize.enabled:
        progress.note(
            f"{target.key}: minimizing without knowing what the smoke test reads ({report.smoke.reason})"
        )
    problems = elfcheck.check_tree(
        ctx.layer, machine=target.arch.machine, glibc=target.runtime.glibc, os_id=target.runtime.os_id
    )
    return _FullInstall(touched=report.touched, missing=evidence.missing_libraries(problems))


def _plan(recipe: Recipe, target: Target, ctx: _Context, full: _FullInstall) -> minimize.Plan:
    """Plan once to learn what heuristic rules would remove, look for those names in code, plan again."""
    tool = elfstrip.find_strip_tool(target.arch.machine) if recipe.minimize.strip else None
    files = minimize.scan(ctx.site)
    rules = minimize.default_rules()

    def planned(known: minimize.Evidence) -> minimize.Plan:
        return minimize.plan(
            files,
            rules=rules,
            config=recipe.minimize,
            requested=recipe.requirement_names,
            strip_available=tool is not None,
            evidence=known,
        )

    first = planned(minimize.Evidence(used=full.touched))
    removed = [d.path for d in first.by_action(minimize.REMOVE)]
    named = evidence.named_in_code(ctx.site, files, first.heuristic_candidates(rules), removed)
    return planned(minimize.Evidence(used=full.touched, named=named)) if named else first


def _minimize(
    recipe: Recipe, target: Target, ctx: _Context, plan: minimize.Plan
) -> tuple[minimize.Applied, list[minimize.FileEntry]]:
    """Apply the plan; return what was done and the listing of what remains."""
    tool = elfstrip.find_strip_tool(target.arch.machine) if plan.strip_available else None
    applied = minimize.move_aside(ctx.site, plan.decisions, ctx.aside)
    to_strip = [ctx.site / d.path for d in plan.by_action(minimize.STRIP)]
    if to_strip and tool is not None:
        result = elfstrip.strip_files(to_strip, tool=tool, machine=target.arch.machine)
        applied.stripped_files = sum(1 for f in result.files if f.status == "stripped")
        applied.strip_saved_bytes = result.bytes_saved
        applied.strip_restored = [
            f"{f.path.relative_to(ctx.site).as_posix()}: {f.reason}" for f in result.restored
        ]
    return applied, minimize.scan(ctx.site)


# ---------------------------------------------------------------- verify


def _verify(
    recipe: Recipe,
    target: Target,
    ctx: _Context,
    plan: minimize.Plan,
    full: _FullInstall,
    progress: Progress,
    elf_files: int,
) -> manifest.Verification:
    found = elfcheck.check_tree(
        ctx.layer, machine=target.arch.machine, glibc=target.runtime.glibc, os_id=target.runtime.os_id
    )
    problems, warnings = evidence.split_by_baseline(found, full.missing, target.runtime.os_name)
    for warning in warnings:
        progress.note(f"{target.key}: {warning.path} {warning.detail}")
    if problems:
        listed = "\n".join(f"  {p.path}: {p.detail}" for p in problems[:15])
        raise VerificationError(steps.VERIFY, f"{len(problems)} ELF problem(s) for {target.key}:\n{listed}")
    report = _smoke(recipe, ctx)
    if report.status == "not run":
        progress.note(f"smoke test not run for {target.key}: {report.smoke.reason}")
    if report.status == "failed" or _touched_gone(ctx, plan, report):
        raise _smoke_failure(recipe, target, ctx, plan, report)
    elf = manifest.ElfCheck(
        status="passed",
        elf_files=elf_files,
        machine=target.arch.machine,
        glibc=target.runtime.glibc_text,
        warnings=tuple(warnings),
    )
    return manifest.Verification(elf=elf, smoke=report.smoke)


def _smoke(recipe: Recipe, ctx: _Context) -> smoke.SmokeRun:
    return smoke.run_smoke(
        ctx.site, recipe.smoke, ctx.session.smoke_python, ctx.session.why_no_smoke, scratch=ctx.work / "smoke"
    )


def _smoke_failure(
    recipe: Recipe, target: Target, ctx: _Context, plan: minimize.Plan, report: smoke.SmokeRun
) -> BuildError:
    """Blame the minimize rule that broke the smoke test, when one did; else report the failure."""
    failure = "\n".join(report.smoke.failures) or report.smoke.reason
    if report.status == "passed":
        failure = "it passed, but read files that are no longer there"
    culprit = _culprit_from_touched(ctx, plan, report) or find_culprit_rule(recipe, ctx, plan)
    if culprit is None:
        return VerificationError(steps.VERIFY, f"the smoke test failed for {target.key}:\n{failure}")
    rule, paths = culprit
    named = [p for p in paths if _mentioned(p, failure)] or paths[:5]
    owner = plan_owner(plan, named[0])
    return VerificationError(
        steps.MINIMIZE,
        f"rule '{rule}' removed {', '.join(named)}, which the smoke test needs:\n{failure}",
        hint=f'keep it in the recipe: [minimize.packages.{owner}] keep = ["{named[0]}"]',
    )


def _touched_gone(ctx: _Context, plan: minimize.Plan, report: smoke.SmokeRun) -> list[minimize.Decision]:
    """Removals the smoke test still tried to read (a caught FileNotFoundError hides them otherwise)."""
    return [
        d
        for d in plan.by_action(minimize.REMOVE)
        if d.path in report.touched and not (ctx.site / d.path).exists()
    ]


def _culprit_from_touched(
    ctx: _Context, plan: minimize.Plan, report: smoke.SmokeRun
) -> tuple[str, list[str]] | None:
    gone = _touched_gone(ctx, plan, report)
    if not gone:
        return None
    rule = gone[0].rule
    return rule, [d.path for d in gone if d.rule == rule]


def find_culprit_rule(recipe: Recipe, ctx: _Context, plan: minimize.Plan) -> tuple[str, list[str]] | None:
    """Put removed files back rule by rule until the smoke test passes; the last rule restored broke it."""
    by_rule: dict[str, list[str]] = {}
    for decision in plan.by_action(minimize.REMOVE):
        by_rule.setdefault(decision.rule, []).append(decision.path)
    for rule, paths in by_rule.items():
        minimize.restore(ctx.site, ctx.aside, paths)
        if _smoke(recipe, ctx).status == "passed":
            return rule, paths
    return None


def _mentioned(path: str, text: str) -> bool:
    module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return path in text or f"'{module}'" in text


def plan_owner(plan: minimize.Plan, path: str) -> str:
    return next((d.distribution for d in plan.decisions if d.path == path), path.split("/", 1)[0])


# ---------------------------------------------------------------- size


def _check_size(recipe: Recipe, site: Path) -> int:
    layer_root = site.parent
    unzipped = sum(p.stat().st_size for p in layer_root.rglob("*") if p.is_file())
    allowed = limits().unzipped_bytes - recipe.headroom_bytes
    if unzipped > allowed:
        biggest = ", ".join(f"{e.name} {e.bytes / 1e6:.1f} MB" for e in manifest.largest_entries(site, 5))
        raise SizeLimitError(
            steps.SIZE,
            f"the layer is {unzipped:,} bytes unzipped; Lambda allows {limits().unzipped_bytes:,} for a function "
            f"and its layers, minus this recipe's headroom of {recipe.headroom_bytes:,} = {allowed:,}. "
            f"Biggest: {biggest}",
            hint="split the recipe into several layers, add minimize rules, or lower headroom_mb",
        )
    return unzipped


# ---------------------------------------------------------------- manifest


def _manifest(
    recipe: Recipe,
    target: Target,
    options: BuildOptions,
    ctx: _Context,
    facts: zips.ZipFacts,
    plan: minimize.Plan,
    applied: minimize.Applied,
    duplicates: list[list[str]],
    compiled: bytecode.BytecodeReport,
    verification: manifest.Verification,
) -> manifest.Manifest:
    runtime = target.runtime
    return manifest.Manifest(
        recipe=recipe.name,
        recipe_hash=recipe.content_hash(),
        description=recipe.description,
        license=recipe.license,
        runtime=runtime.name,
        arch=target.arch.name,
        os=runtime.os_name,
        glibc=runtime.glibc_text,
        backend=options.backend,
        build_image=(options.docker.base_image or runtime.build_image)
        if options.backend == "docker"
        else None,
        tool_version=__version__,
        build_key=ctx.key,
        lock=manifest.LockInfo(
            path=ctx.lock_path.name, sha256=hashlib.sha256(ctx.lock_path.read_bytes()).hexdigest()
        ),
        packages={p.name: p.version for p in sorted(ctx.locked.packages, key=lambda p: p.name)},
        requested=tuple(sorted(recipe.requirement_names)),
        size=manifest.Size(
            unzipped_bytes=facts.unzipped_bytes,
            zipped_bytes=facts.zipped_bytes,
            file_count=facts.file_count,
            unzipped_limit_bytes=limits().unzipped_bytes,
            headroom_bytes=recipe.headroom_bytes,
            direct_upload=facts.zipped_bytes <= limits().direct_upload_zipped_bytes,
        ),
        zip=manifest.ZipDigest(sha256=facts.sha256, code_sha256=facts.code_sha256),
        largest=manifest.largest_entries(ctx.site),
        minimize=manifest.Minimize(
            removed_files=applied.removed_files,
            removed_bytes=applied.removed_bytes,
            stripped_files=applied.stripped_files,
            strip_saved_bytes=applied.strip_saved_bytes,
            strip="applied"
            if plan.strip_available
            else f"not stripped: no strip tool for {target.arch.machine}",
            strip_restored=tuple(applied.strip_restored),
            by_rule=plan.summary_by_rule(),
            by_package=plan.summary_by_package(),
            identical_libraries=tuple(tuple(group) for group in duplicates),
            kept=plan.kept_by_evidence(),
        ),
        bytecode=manifest.Bytecode(
            mode=compiled.mode,
            status=compiled.status,
            reason=compiled.reason,
            interpreter=compiled.interpreter,
            invalidation="unchecked-hash" if compiled.status == "compiled" else None,
            failed=compiled.failed,
        ),
        verification=verification,
    )

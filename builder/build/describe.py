"""The manifest a build writes: every step's result gathered into one `manifest.Manifest`."""

from __future__ import annotations

import hashlib

from builder import __version__, manifest, zips
from builder.build import bytecode
from builder.build.context import BuildContext
from builder.build.planning import Minimized
from builder.runtimes import limits


def manifest_for(
    ctx: BuildContext,
    minimized: Minimized,
    compiled: bytecode.BytecodeReport,
    verification: manifest.Verification,
    facts: zips.ZipFacts,
) -> manifest.Manifest:
    recipe, target = ctx.recipe, ctx.target
    runtime = target.runtime
    plan, applied = minimized.plan, minimized.applied
    return manifest.Manifest(
        recipe=recipe.name,
        recipe_hash=recipe.content_hash(),
        description=recipe.description,
        license=recipe.license,
        runtime=runtime.name,
        arch=target.arch.name,
        os=runtime.os_name,
        glibc=runtime.glibc_text,
        backend=ctx.backend.name,
        build_image=ctx.backend.build_image,
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
            identical_libraries=tuple(tuple(group) for group in minimized.identical_libraries),
            kept=plan.kept_by_evidence(),
        ),
        bytecode=manifest.Bytecode(
            mode=compiled.mode,
            status=compiled.status,
            reason=compiled.reason,
            interpreter=compiled.interpreter,
            invalidation="unchecked-hash" if compiled.status == "compiled" else None,
            failed=compiled.failed,
            sourceless=compiled.sourceless,
        ),
        verification=verification,
        indexes=recipe.indexes,
    )

"""What a publish leaves behind: `published.json` beside each layer, and the `--json` report.

published.json maps account -> region -> ARN for the zip in its folder, so deployment tools read
one file instead of calling Lambda. Entries from earlier runs in other accounts or regions stay;
an entry for other content (an older zip) is dropped, because its ARN is not this zip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from builder import files
from builder.errors import FileSystemError, os_error
from builder.manifest import PUBLISHED
from builder.publish.apply import Outcome
from builder.publish.local import LocalLayer
from builder.publish.runner import Run, outcomes

FORMAT = 1


def write_published(layers: Sequence[LocalLayer], runs: Sequence[Run]) -> list[Path]:
    """Write every layer's published.json; an OSError (disk full, read-only) becomes a
    FileSystemError naming the file, raised after the others are written."""
    written = []
    failed: FileSystemError | None = None
    for layer in layers:
        entries = [
            (run, outcome)
            for run in runs
            for outcome in outcomes(run)
            # A version whose later step (a permission) failed was still published: record it.
            if outcome.plan.layer.target == layer.target and outcome.arn
        ]
        if entries:
            try:
                written.append(_merge(layer, entries))
            except OSError as exc:
                failed = failed or os_error(
                    exc, "could not record the published ARNs in", layer.folder / PUBLISHED
                )
    if failed is not None:
        raise failed
    return written


def _merge(layer: LocalLayer, entries: Sequence[tuple[Run, Outcome]]) -> Path:
    path = layer.folder / PUBLISHED
    accounts: dict[str, dict[str, Any]] = {}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("code_sha256") == layer.code_sha256:
            accounts = old.get("accounts", {})
    except (OSError, ValueError, AttributeError):
        pass  # no file yet, or one we cannot read: rewrite it from this run
    for run, outcome in entries:
        accounts.setdefault(run.account, {})[run.region] = {
            "arn": outcome.arn,
            "version": outcome.version,
            "layer_name": layer.name,
        }
    data = {
        "format": FORMAT,
        "recipe": layer.manifest.recipe,
        "runtime": layer.manifest.runtime,
        "arch": layer.manifest.arch,
        "layer_name": layer.name,
        "code_sha256": layer.code_sha256,
        "accounts": {account: dict(sorted(regions.items())) for account, regions in sorted(accounts.items())},
    }
    files.write_text_atomic(path, json.dumps(data, indent=2) + "\n")
    return path


def report_json(
    layers: Sequence[LocalLayer], runs: Sequence[Run], warnings: dict[str, list[str]], dry_run: bool
) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "layers": [
            {
                "recipe": layer.manifest.recipe,
                "target": layer.target,
                "layer_name": layer.name,
                "description": layer.description,
                "code_sha256": layer.code_sha256,
                "zipped_bytes": layer.size,
                "warnings": warnings.get(layer.target, []),
            }
            for layer in layers
        ],
        "regions": [
            {
                "account": run.account,
                "region": run.region,
                "error": run.error.message if run.error else None,
                "layers": [_outcome(outcome) for outcome in outcomes(run)],
            }
            for run in runs
        ],
    }


def _outcome(outcome: Outcome) -> dict[str, Any]:
    plan = outcome.plan
    return {
        "layer_name": plan.layer.name,
        "target": plan.layer.target,
        "status": outcome.status,
        "version": outcome.version,
        "arn": outcome.arn,
        "upload": None if plan.upload is None else {"bucket": plan.upload.bucket, "key": plan.upload.key},
        "steps": [{"action": step.action, "reason": step.reason} for step in plan.steps],
        "permissions_added": [grant.to_json() for grant in outcome.added],
        "permissions_present": [grant.to_json() for grant in plan.granted],
        "permissions_not_asked": [grant.to_json() for grant in plan.extra],
        "error": outcome.error,
        "notes": list(outcome.notes),
    }

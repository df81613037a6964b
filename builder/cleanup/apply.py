"""Carry out a prune plan: delete exactly the versions it lists, nothing else.

Function versions go first, then layer versions, and a layer version that function versions of
this plan still used is deleted only once all of them are gone. A version that is already gone
counts as deleted, so an interrupted run can simply be repeated. A Lambda@Edge version that
CloudFront still replicates cannot be deleted until CloudFront removes the replicas (hours after
the association goes); that is reported as "not deletable yet", not as a failure. A delete the
client's brake refuses (Ctrl-C, or throttling that outlasted the retries) is "not started": the
version is still there and a later run deletes it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from builder.aws import describe, error_code, error_message
from builder.cleanup.brake import Halted
from builder.cleanup.inventory import DEFAULT_WORKERS
from builder.cleanup.plan import WHOLE, Item, RegionPlan

DELETED = "deleted"
ALREADY_GONE = "already-gone"
NOT_DELETABLE = "not-deletable"
FAILED = "failed"
SKIPPED = "skipped"
NOT_STARTED = "not-started"
DONE = frozenset({DELETED, ALREADY_GONE})

# Lambda's answer when a version still has Lambda@Edge replicas (InvalidParameterValueException):
# "Lambda was unable to delete arn:...:function:NAME:7 because it is a replicated function. ..."
EDGE_REPLICA_TEXT = "replicated function"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    item: Item
    status: str
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.item.kind,
            "name": self.item.name,
            "version": self.item.version,
            "arn": self.item.arn,
            "status": self.status,
            "detail": self.detail,
        }


def apply_plan(
    lam: Any,
    plan: RegionPlan,
    workers: int = DEFAULT_WORKERS,
    progress: Callable[[Outcome], None] | None = None,
) -> tuple[Outcome, ...]:
    def run(work: Callable[[Item], Outcome], items: list[Item]) -> list[Outcome]:
        # The versions of one function (or layer) are deleted one after the other, oldest first:
        # Lambda serialises changes to a function and answers concurrent ones with a conflict.
        # Different functions go in parallel.
        groups: dict[str, list[Item]] = {}
        for item in items:
            groups.setdefault(item.name, []).append(item)

        def one_group(group: list[Item]) -> list[Outcome]:
            done = []
            for item in group:
                done.append(work(item))
                if progress is not None:
                    progress(done[-1])
            return done

        if not groups:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(groups)))) as pool:
            return [outcome for done in pool.map(one_group, groups.values()) for outcome in done]

    functions = [item for item in plan.delete if item.kind == "function"]
    layers = [item for item in plan.delete if item.kind == "layer"]
    outcomes = run(lambda item: _delete_function_version(lam, item), functions)
    status = {outcome.item.arn: outcome.status for outcome in outcomes}

    for outcome in list(outcomes):  # a version of a function deleted whole is as gone as the function
        for arn in plan.whole.get(outcome.item.arn, ()):
            status[arn] = outcome.status

    def layer_step(item: Item) -> Outcome:
        waiting = [arn for arn in plan.layer_users.get(item.arn, ()) if status.get(arn) not in DONE]
        if any(status.get(arn) == NOT_STARTED for arn in waiting):
            return Outcome(item=item, status=NOT_STARTED, detail="its users' deletes were not started")
        if waiting:
            names = ", ".join(arn.split(":function:")[-1] for arn in waiting[:3])
            return Outcome(
                item=item, status=SKIPPED, detail=f"still used by {names}, whose delete did not succeed"
            )
        return _delete_layer_version(lam, item)

    outcomes += run(layer_step, layers)
    return tuple(outcomes)


def _delete_function_version(lam: Any, item: Item) -> Outcome:
    # The qualifier is always a number here: the plan never lists $LATEST or an alias. Deleting
    # without a qualifier deletes the whole function, every version and alias: only for an item
    # that stands for the whole function (--unused-functions).
    if item.version == WHOLE:
        return _delete(item, lambda: lam.delete_function(FunctionName=item.name))
    if not item.version.isdigit():
        return Outcome(item=item, status=SKIPPED, detail="not a numbered version")
    return _delete(item, lambda: lam.delete_function(FunctionName=item.name, Qualifier=item.version))


def _delete_layer_version(lam: Any, item: Item) -> Outcome:
    return _delete(
        item, lambda: lam.delete_layer_version(LayerName=item.name, VersionNumber=int(item.version))
    )


def _delete(item: Item, call: Callable[[], object]) -> Outcome:
    """Make one delete call and say how it went; a halted client (Ctrl-C, throttling) sent nothing."""
    try:
        call()
    except ClientError as exc:
        return _failed(item, exc)
    except Halted as exc:
        return Outcome(item=item, status=NOT_STARTED, detail=str(exc))
    except BotoCoreError as exc:
        return Outcome(item=item, status=FAILED, detail=describe(exc))
    return Outcome(item=item, status=DELETED)


def _failed(item: Item, exc: ClientError) -> Outcome:
    code = error_code(exc)
    if code == "ResourceNotFoundException":
        return Outcome(item=item, status=ALREADY_GONE)
    if code == "InvalidParameterValueException" and EDGE_REPLICA_TEXT in error_message(exc):
        return Outcome(
            item=item,
            status=NOT_DELETABLE,
            detail="Lambda@Edge replicas still exist; CloudFront removes them hours after the "
            "association is removed, run again later",
        )
    return Outcome(item=item, status=FAILED, detail=describe(exc))

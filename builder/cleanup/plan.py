"""Prune planning: which versions to delete and, for every version kept, why. Pure: no I/O.

Planning runs in two steps because the second depends on the first: function versions are judged
first (from the listing and the references read for the functions that have anything to delete),
then layer versions, which stay in use while any function version that is not being deleted runs
with them. `functions_to_read` and `layers_to_read` tell the inventory which per-function and
per-layer-version reads the plan needs, so nothing else is read.

Fail safe: a function version is deleted only when its function's references were read completely
and none points at it; anything unknown keeps it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

from builder.cleanup.model import LATEST, FunctionRefs, FunctionVersion, LayerDetails, LayerVersion, Listing
from builder.cleanup.policy import KEEP_MARK, KEEP_TAG, Policy, has_keep_mark, keep_tag
from builder.cleanup.quota import Usage

# Every rule that keeps a version, and how a report words it ({detail} is the reason's detail).
RULES: dict[str, str] = {
    "latest": "$LATEST is never deleted",
    "unnumbered": "not a numbered version ({detail})",
    "edge-replica": "Lambda@Edge replica of {detail}, not deletable yet",
    "not-selected": "not selected by --functions/--layer-names",
    "unreadable": "could not be read completely: {detail}",
    "keep-tag": "tagged {detail}",
    "alias": "alias {detail}",
    "alias-routing": "routing weight of alias {detail}",
    "provisioned-concurrency": "has a provisioned concurrency config",
    "event-source-mapping": "an event source mapping invokes it",
    "in-use": "used by {detail}",
    "keep-mark": f"description contains {KEEP_MARK}",
    "shared": "shared by a layer permission with {detail}",
    "newest": "one of the newest {detail}",
    "too-new": "newer than --older-than ({detail})",
    "target-reached": "usage gets under --target-usage {detail} without it",
    # Whole functions (--unused-functions / --unused-days): why one not invoked in the window stays.
    "too-young": "created inside the unused window ({detail}): no metric history yet",
    "changed-recently": "modified inside the unused window ({detail})",
    "function-url": "has a function URL ({detail})",
    "invoke-permission": "its resource-based policy lets {detail} invoke it",
    "cloudformation": "belongs to CloudFormation stack {detail}: delete the stack instead",
    "report-only": "not invoked in the window; reported only (deleting needs --unused-functions)",
    # Only when the plan is checked again just before deleting:
    "changed": "changed since the plan ({detail})",
    "gone": "no longer listed",
    "invoked": "invoked since the plan ({detail} invocations in the window)",
}
WHOLE = "*"  # the version of an Item that stands for a whole function (every version and alias)


@dataclass(frozen=True)
class Reason:
    rule: str
    detail: str = ""

    @property
    def text(self) -> str:
        return RULES[self.rule].format(detail=self.detail)


@dataclass(frozen=True, kw_only=True)
class Item:
    """A function version or layer version."""

    kind: str  # "function" or "layer"
    name: str
    version: str
    arn: str
    size: int | None  # None: a layer version whose size was not needed and not read
    created: dt.datetime
    code_sha256: str = ""  # function versions only; layer listings do not carry it

    def same_as(self, other: Item) -> bool:
        """The same version, not one deleted and recreated under the same ARN since (function
        version numbers restart when a function is recreated)."""
        return (self.arn, self.created, self.code_sha256) == (other.arn, other.created, other.code_sha256)

    @property
    def label(self) -> str:
        if self.version == WHOLE:
            return f"{self.name} (whole function)"
        return f"{self.name}:{self.version}"


@dataclass(frozen=True, kw_only=True)
class UnusedFunction:
    """A function with no invocation in the unused window, whether it may be deleted or not."""

    name: str
    arn: str  # unqualified
    size: int  # every version's code
    versions: int  # $LATEST included
    modified: dt.datetime  # the newest LastModified of any version
    runtime: str
    reasons: tuple[Reason, ...]  # why it stays; empty: deletable

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "arn": self.arn,
            "bytes": self.size,
            "versions": self.versions,
            "last_modified": self.modified.isoformat(),
            "runtime": self.runtime,
            "deletable": not self.reasons,
            "references": [{"rule": r.rule, "detail": r.detail, "text": r.text} for r in self.reasons],
        }


@dataclass(frozen=True, kw_only=True)
class Kept:
    item: Item
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, kw_only=True)
class Problem:
    """Something that could not be read; what it covers was kept."""

    kind: str
    name: str
    error: str


@dataclass(frozen=True, kw_only=True)
class FunctionPlan:
    candidates: tuple[Item, ...]  # deletable before --target-usage picks among them
    kept: tuple[Kept, ...]
    problems: tuple[Problem, ...]
    # With an unused window (see unused.py): the functions not invoked in it, the invocations of the
    # others (function ARN -> count, for the re-check) and, per whole-function candidate, the ARNs
    # of the versions that go with it.
    unused: tuple[UnusedFunction, ...] = ()
    invoked: Mapping[str, float] = field(default_factory=dict)
    whole: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def going(self) -> set[str]:
        """The ARNs of every function version the candidates remove."""
        arns = {item.arn for item in self.candidates}
        for item in self.candidates:
            arns.update(self.whole.get(item.arn, ()))
        return arns


@dataclass(frozen=True, kw_only=True)
class RegionPlan:
    account: str
    region: str
    usage: Usage
    delete: tuple[Item, ...]  # in the order apply deletes: function versions, then layer versions
    keep: tuple[Kept, ...]
    problems: tuple[Problem, ...]
    # For each layer version to delete, the function versions in this plan that still use it: apply
    # deletes the layer version only after all of them are gone.
    layer_users: Mapping[str, tuple[str, ...]]
    # (kind, pattern) for each --functions/--layer-names pattern that matched nothing in this region.
    unmatched: tuple[tuple[str, str], ...] = ()
    unused: tuple[UnusedFunction, ...] = ()  # as in FunctionPlan
    invoked: Mapping[str, float] = field(default_factory=dict)
    whole: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def freed(self) -> int:
        return sum(item.size or 0 for item in self.delete)

    @property
    def usage_after(self) -> int:
        return max(self.usage.used - self.freed, 0)


# ---- functions ---------------------------------------------------------------------------------


def functions_to_read(listing: Listing, policy: Policy, now: dt.datetime) -> list[str]:
    """Functions with at least one version that only its references could still protect."""
    cutoff = policy.cutoff(now)
    return sorted(
        name
        for name, versions in listing.functions.items()
        if any(not reasons for reasons in _function_static(name, versions, policy, cutoff).values())
    )


def plan_functions(
    listing: Listing,
    refs: Mapping[str, FunctionRefs],
    ref_errors: Mapping[str, str],
    policy: Policy,
    now: dt.datetime,
) -> FunctionPlan:
    cutoff = policy.cutoff(now)
    mapped = _mapped_qualifiers(listing.mappings or ())
    candidates: list[Item] = []
    kept: list[Kept] = []
    problems = [
        Problem(kind="function", name=name, error=error) for name, error in sorted(ref_errors.items())
    ]
    if listing.mappings is None:
        problems.append(
            Problem(kind="event-source-mappings", name="*", error=listing.mappings_error or "not read")
        )
    for name in sorted(listing.functions):
        versions = listing.functions[name]
        static = _function_static(name, versions, policy, cutoff)
        for version in versions:
            reasons = static[version.version]
            if name in ref_errors:
                reasons.append(Reason("unreadable", ref_errors[name]))
            elif name in refs:
                reasons += _ref_reasons(version.version, refs[name])
                if listing.mappings is None:
                    reasons.append(Reason("unreadable", f"event source mappings: {listing.mappings_error}"))
                elif version.version in mapped.get(name, ()):
                    reasons.append(Reason("event-source-mapping"))
            elif not reasons:
                reasons.append(Reason("unreadable", "references were not read"))
            item = _function_item(version)
            if reasons:
                kept.append(Kept(item=item, reasons=tuple(reasons)))
            else:
                candidates.append(item)
    return FunctionPlan(candidates=tuple(candidates), kept=tuple(kept), problems=tuple(problems))


def _function_static(
    name: str, versions: Iterable[FunctionVersion], policy: Policy, cutoff: dt.datetime | None
) -> dict[str, list[Reason]]:
    """Reasons to keep each version that need no reads beyond the listing."""
    versions = list(versions)
    numbered = sorted((v for v in versions if v.number is not None), key=lambda v: -(v.number or 0))
    newest = {v.version for v in numbered[: policy.keep]}
    selected = policy.selects_function(name)
    reasons: dict[str, list[Reason]] = {}
    for version in versions:
        found: list[Reason] = []
        if version.version == LATEST:
            found.append(Reason("latest"))
        elif version.number is None:
            found.append(Reason("unnumbered", version.version))
        if version.master_arn:
            found.append(Reason("edge-replica", version.master_arn))
        if not selected:
            found.append(Reason("not-selected"))
        if version.version in newest:
            found.append(Reason("newest", str(policy.keep)))
        if cutoff is not None and version.modified > cutoff:
            found.append(Reason("too-new", f"modified {version.modified:%Y-%m-%d}"))
        reasons[version.version] = found
    return reasons


def _ref_reasons(version: str, refs: FunctionRefs) -> list[Reason]:
    found: list[Reason] = []
    mark = keep_tag(refs.tags)
    if mark is not None and (mark.all_versions or version in mark.versions):
        found.append(Reason("keep-tag", f"{KEEP_TAG}={mark.value}"))
    for alias in refs.aliases:
        if alias.version == version:
            found.append(Reason("alias", alias.name))
        if version in alias.weights:
            found.append(Reason("alias-routing", f"{alias.name} ({alias.weights[version]:.0%})"))
    if version in refs.provisioned:
        found.append(Reason("provisioned-concurrency"))
    return found


def _mapped_qualifiers(function_arns: Iterable[str]) -> dict[str, set[str]]:
    """Function name -> qualifiers that event source mappings invoke by qualified ARN."""
    mapped: dict[str, set[str]] = {}
    for arn in function_arns:
        parts = arn.split(":")
        # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        if len(parts) >= 8 and parts[5] == "function":
            mapped.setdefault(parts[6], set()).add(parts[7])
    return mapped


def _function_item(version: FunctionVersion) -> Item:
    return Item(
        kind="function",
        name=version.function,
        version=version.version,
        arn=version.arn,
        size=version.code_size,
        created=version.modified,
        code_sha256=version.code_sha256,
    )


# ---- layers ------------------------------------------------------------------------------------


def layers_to_read(
    listing: Listing, functions: FunctionPlan, policy: Policy, now: dt.datetime
) -> list[LayerVersion]:
    """Layer versions the plan could delete: their size and layer permission must be read."""
    cutoff = policy.cutoff(now)
    going = functions.going()
    users = _layer_users(listing)
    wanted: list[LayerVersion] = []
    for name in sorted(listing.layers):
        static = _layer_static(name, listing.layers[name], policy, cutoff)
        for layer_version in listing.layers[name]:
            if not static[layer_version.version] and all(
                u.arn in going for u in users.get(layer_version.arn, ())
            ):
                wanted.append(layer_version)
    return wanted


def plan_region(
    listing: Listing,
    functions: FunctionPlan,
    details: LayerDetails,
    policy: Policy,
    now: dt.datetime,
    usage: Usage,
) -> RegionPlan:
    cutoff = policy.cutoff(now)
    going = functions.going()
    users = _layer_users(listing)
    sizes = {**listing.layer_sizes_seen(), **details.sizes}
    kept = list(functions.kept)
    problems = list(functions.problems)
    problems += [
        Problem(kind="layer", name=name, error=error) for name, error in sorted(listing.layer_errors.items())
    ]
    candidates: list[Item] = []
    deps: dict[str, tuple[str, ...]] = {}
    for name in sorted(listing.layers):
        static = _layer_static(name, listing.layers[name], policy, cutoff)
        for layer_version in listing.layers[name]:
            reasons = static[layer_version.version]
            staying = [u for u in users.get(layer_version.arn, ()) if u.arn not in going]
            if staying:
                reasons.append(Reason("in-use", _some_labels(staying)))
            item = _layer_item(layer_version, sizes.get(layer_version.arn))
            if not reasons:
                reasons += _layer_detail_reasons(item, details)
                if layer_version.arn in details.errors:
                    problems.append(Problem(kind="layer", name=item.label, error=details.errors[item.arn]))
            if reasons:
                kept.append(Kept(item=item, reasons=tuple(reasons)))
            else:
                candidates.append(item)
                deps[item.arn] = tuple(sorted(u.arn for u in users.get(layer_version.arn, ())))
    delete, held = _select(functions.candidates, tuple(candidates), deps, usage, policy, functions.whole)
    kept += held
    chosen = {item.arn for item in delete}
    return RegionPlan(
        account=listing.account,
        region=listing.region,
        usage=usage,
        delete=tuple(sorted(delete, key=_order)),
        keep=tuple(sorted(kept, key=lambda k: _order(k.item))),
        problems=tuple(problems),
        layer_users={arn: users_ for arn, users_ in deps.items() if arn in chosen and users_},
        unmatched=unmatched_patterns(listing, policy),
        unused=functions.unused,
        invoked=functions.invoked,
        whole={arn: arns for arn, arns in functions.whole.items() if arn in chosen},
    )


def unmatched_patterns(listing: Listing, policy: Policy) -> tuple[tuple[str, str], ...]:
    """The patterns that select nothing here, so a typo is reported rather than silently pruning
    nothing. Layers are not judged when the layer listing itself failed."""
    layers = (set(listing.layers) | set(listing.layer_errors)) - {"*"}
    found: list[tuple[str, str]] = []
    for kind, patterns, names, complete in (
        ("function", policy.functions, set(listing.functions), True),
        ("layer", policy.layers, layers, "*" not in listing.layer_errors),
    ):
        found += [(kind, p) for p in patterns if complete and not any(fnmatchcase(n, p) for n in names)]
    return tuple(found)


def _layer_static(
    name: str, versions: Iterable[LayerVersion], policy: Policy, cutoff: dt.datetime | None
) -> dict[int, list[Reason]]:
    versions = list(versions)
    newest = {v.version for v in sorted(versions, key=lambda v: -v.version)[: policy.keep]}
    selected = policy.selects_layer(name)
    reasons: dict[int, list[Reason]] = {}
    for layer_version in versions:
        found: list[Reason] = []
        if not selected:
            found.append(Reason("not-selected"))
        if has_keep_mark(layer_version.description):
            found.append(Reason("keep-mark"))
        if layer_version.version in newest:
            found.append(Reason("newest", str(policy.keep)))
        if cutoff is not None and layer_version.created > cutoff:
            found.append(Reason("too-new", f"created {layer_version.created:%Y-%m-%d}"))
        reasons[layer_version.version] = found
    return reasons


def _layer_detail_reasons(item: Item, details: LayerDetails) -> list[Reason]:
    if item.arn in details.errors:
        return [Reason("unreadable", details.errors[item.arn])]
    if item.arn in details.shared:
        # Functions in other accounts may run with it; we cannot see them, so it stays.
        return [Reason("shared", details.shared[item.arn])]
    if item.size is None:
        return [Reason("unreadable", "size was not read")]
    return []


def _layer_users(listing: Listing) -> dict[str, list[FunctionVersion]]:
    users: dict[str, list[FunctionVersion]] = {}
    for versions in listing.functions.values():
        for version in versions:
            for ref in version.layers:
                users.setdefault(ref.arn, []).append(version)
    return users


def _some_labels(versions: list[FunctionVersion]) -> str:
    labels = sorted(f"{v.function}:{v.version}" for v in versions)
    more = f" and {len(labels) - 3} more" if len(labels) > 3 else ""
    return ", ".join(labels[:3]) + more


def _layer_item(layer_version: LayerVersion, size: int | None) -> Item:
    return Item(
        kind="layer",
        name=layer_version.layer,
        version=str(layer_version.version),
        arn=layer_version.arn,
        size=size,
        created=layer_version.created,
    )


# ---- --target-usage ----------------------------------------------------------------------------


def _select(
    functions: tuple[Item, ...],
    layers: tuple[Item, ...],
    deps: Mapping[str, tuple[str, ...]],
    usage: Usage,
    policy: Policy,
    whole: Mapping[str, tuple[str, ...]],
) -> tuple[list[Item], list[Kept]]:
    """Everything deletable, or with --target-usage the oldest first until usage is under it.

    A layer version whose users are being deleted can go only after all of them were chosen.
    """
    if policy.target_usage is None:
        return [*functions, *layers], []
    goal = usage.limit * policy.target_usage / 100
    used = usage.used
    chosen: list[Item] = []
    chosen_arns: set[str] = set()
    waiting: list[Item] = []

    def choose(item: Item) -> None:
        nonlocal used
        chosen.append(item)
        chosen_arns.add(item.arn)
        chosen_arns.update(whole.get(item.arn, ()))
        used -= item.size or 0

    for item in sorted([*functions, *layers], key=_age):
        if used <= goal:
            break
        if not set(deps.get(item.arn, ())) <= chosen_arns:
            waiting.append(item)
            continue
        choose(item)
        for layer in list(waiting):
            if used > goal and set(deps.get(layer.arn, ())) <= chosen_arns:
                waiting.remove(layer)
                choose(layer)
    held = []
    for item in [*functions, *layers]:
        if item.arn in chosen_arns:
            continue
        missing = [arn for arn in deps.get(item.arn, ()) if arn not in chosen_arns]
        reason = (
            Reason("in-use", ", ".join(arn.split(":function:")[-1] for arn in missing[:3]))
            if missing
            else Reason("target-reached", f"{policy.target_usage:g}%")
        )
        held.append(Kept(item=item, reasons=(reason,)))
    return chosen, held


def _age(item: Item) -> tuple[dt.datetime, int, str, int]:
    return (item.created, 0 if item.kind == "function" else 1, item.name, _number(item.version))


def _order(item: Item) -> tuple[int, str, int, str]:
    return (0 if item.kind == "function" else 1, item.name, _number(item.version), item.version)


def _number(version: str) -> int:
    # $LATEST sorts after every numbered version.
    return int(version) if version.isdigit() else 1 << 62


# ---- the check just before deleting -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Rechecked:
    plan: RegionPlan  # the fresh plan, deleting only what was planned and is still deletable
    dropped: tuple[Kept, ...]  # planned deletes the fresh read protects, with the reasons


def recheck(planned: RegionPlan, fresh: RegionPlan) -> Rechecked:
    """Narrow a plan to what a fresh plan of the same region still deletes, unchanged.

    Never widens: a version only the fresh plan would delete is not deleted. A planned version is
    dropped when the fresh plan keeps it (a new alias, event source mapping, ...), when it is not
    the version that was planned on any more (deleted and recreated under the same number), when
    it is gone, and a layer version when one of its users is not deleted with it.
    """
    deleting = {item.arn: item for item in fresh.delete}
    keeping = {kept.item.arn: kept for kept in fresh.keep}
    chosen: list[Item] = []
    going: set[str] = set()
    dropped: list[Kept] = []
    for item in planned.delete:  # function versions first, so a layer's users are decided
        reasons = _recheck_reasons(item, deleting.get(item.arn), keeping.get(item.arn))
        if item.arn in fresh.invoked:
            reasons = (Reason("invoked", f"{fresh.invoked[item.arn]:g}"),)
        staying = [arn for arn in fresh.layer_users.get(item.arn, ()) if arn not in going]
        if not reasons and staying:
            reasons = (Reason("in-use", ", ".join(arn.split(":function:")[-1] for arn in staying[:3])),)
        if reasons:
            dropped.append(Kept(item=item, reasons=reasons))
        else:
            chosen.append(item)
            going.add(item.arn)
            going.update(fresh.whole.get(item.arn, ()))
    plan = replace(
        fresh,
        delete=tuple(chosen),
        layer_users={arn: users for arn, users in fresh.layer_users.items() if arn in going},
        whole={arn: arns for arn, arns in fresh.whole.items() if arn in going},
    )
    return Rechecked(plan=plan, dropped=tuple(dropped))


def _recheck_reasons(item: Item, deleting: Item | None, kept: Kept | None) -> tuple[Reason, ...]:
    now = deleting or (kept.item if kept else None)
    if now is None:
        return (Reason("gone"),)
    if not item.same_as(now):
        return (Reason("changed", _difference(item, now)),)
    return kept.reasons if kept is not None and deleting is None else ()


def _difference(before: Item, now: Item) -> str:
    if before.created != now.created:
        return f"modified {before.created:%Y-%m-%d %H:%M:%S} then, {now.created:%Y-%m-%d %H:%M:%S} now"
    return "its code is different"

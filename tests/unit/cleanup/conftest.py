"""An in-memory account region for the pure planner: build a Listing, references and layer details
by hand, then plan it exactly as the runner does, without any AWS call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from builder.cleanup import plan, quota
from builder.cleanup.model import (
    AccountSettings,
    FunctionRefs,
    FunctionVersion,
    LayerDetails,
    LayerRef,
    LayerVersion,
    Listing,
)
from builder.cleanup.policy import Policy

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
ACCOUNT = "123456789012"
REGION = "eu-west-1"


def function_arn(name: str, version: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:{version}"


def layer_arn(name: str, version: int) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:{version}"


# The name `plan` is taken by World.plan inside the class.
RegionPlan = plan.RegionPlan


@dataclass
class World:
    functions: dict[str, list[FunctionVersion]] = field(default_factory=dict)
    layers: dict[str, list[LayerVersion]] = field(default_factory=dict)
    refs: dict[str, FunctionRefs] = field(default_factory=dict)
    ref_errors: dict[str, str] = field(default_factory=dict)
    mappings: list[str] | None = field(default_factory=list)
    layer_sizes: dict[str, int] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)
    layer_errors: dict[str, str] = field(default_factory=dict)
    settings: AccountSettings | None = field(default_factory=lambda: AccountSettings(limit=10**9, usage=0))
    reads: dict[str, list[str]] = field(default_factory=dict)

    def function(
        self,
        name: str,
        count: int,
        *,
        size: int = 100,
        age_days: int | None = None,
        layers: dict[int, list[str]] | None = None,
        latest_layers: list[str] | None = None,
        **refs: object,
    ) -> None:
        """`count` published versions (1 = oldest, `age_days` old or count+1-i days) and $LATEST."""
        versions = []
        for i in range(1, count + 1):
            days = age_days if age_days is not None else count + 1 - i
            uses = (layers or {}).get(i, [])
            versions.append(
                FunctionVersion(
                    function=name,
                    version=str(i),
                    arn=function_arn(name, str(i)),
                    code_size=size,
                    modified=NOW - dt.timedelta(days=days),
                    layers=tuple(LayerRef(arn, self.layer_sizes.get(arn, 0)) for arn in uses),
                )
            )
        versions.append(
            FunctionVersion(
                function=name,
                version="$LATEST",
                arn=function_arn(name, "$LATEST"),
                code_size=size,
                modified=NOW,
                layers=tuple(LayerRef(arn, self.layer_sizes.get(arn, 0)) for arn in latest_layers or []),
            )
        )
        self.functions[name] = versions
        self.refs[name] = FunctionRefs(**refs)  # type: ignore[arg-type]

    def layer(
        self,
        name: str,
        count: int,
        *,
        size: int = 1000,
        age_days: int | None = None,
        marks: tuple[int, ...] = (),
    ) -> list[str]:
        versions = []
        for i in range(1, count + 1):
            days = age_days if age_days is not None else count + 1 - i
            arn = layer_arn(name, i)
            self.layer_sizes[arn] = size
            description = f"{name} {i} [layer-builder:keep]" if i in marks else f"{name} {i}"
            versions.append(
                LayerVersion(
                    layer=name,
                    version=i,
                    arn=arn,
                    created=NOW - dt.timedelta(days=days),
                    description=description,
                )
            )
        self.layers[name] = versions
        return [v.arn for v in versions]

    def listing(self) -> Listing:
        return Listing(
            account=ACCOUNT,
            region=REGION,
            functions={name: tuple(versions) for name, versions in self.functions.items()},
            layers={name: tuple(versions) for name, versions in self.layers.items()},
            layer_errors=self.layer_errors,
            mappings=None if self.mappings is None else tuple(self.mappings),
            mappings_error=None
            if self.mappings is not None
            else "ListEventSourceMappings: AccessDeniedException",
            settings=self.settings,
            settings_error=None if self.settings else "GetAccountSettings: 404",
        )

    def plan(self, policy: Policy | None = None) -> plan.RegionPlan:
        """Plan like runner.plan_region: read references and layer details only where asked."""
        policy = policy or Policy()
        listing = self.listing()
        names = plan.functions_to_read(listing, policy, NOW)
        self.reads["functions"] = names
        refs = {n: self.refs[n] for n in names if n in self.refs and n not in self.ref_errors}
        errors = {n: e for n, e in self.ref_errors.items() if n in names}
        functions = plan.plan_functions(listing, refs, errors, policy, NOW)
        wanted = plan.layers_to_read(listing, functions, policy, NOW)
        self.reads["layers"] = [lv.arn for lv in wanted]
        details = LayerDetails(
            sizes={lv.arn: self.layer_sizes[lv.arn] for lv in wanted},
            shared={lv.arn: self.shared[lv.arn] for lv in wanted if lv.arn in self.shared},
        )
        sizes = {**listing.layer_sizes_seen(), **self.layer_sizes}
        return plan.plan_region(listing, functions, details, policy, NOW, quota.usage(listing, sizes))

    @staticmethod
    def deleted(region_plan: RegionPlan) -> set[str]:
        return {item.label for item in region_plan.delete}

    @staticmethod
    def kept(region_plan: RegionPlan, label: str) -> set[str]:
        """The rules that keep `name:version`; empty when it is deleted."""
        for entry in region_plan.keep:
            if entry.item.label == label:
                return {reason.rule for reason in entry.reasons}
        return set()


@pytest.fixture
def world() -> World:
    return World()

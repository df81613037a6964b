"""What one account region holds, as plain data: what the inventory reads and the planner judges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

LATEST = "$LATEST"


@dataclass(frozen=True)
class LayerRef:
    """A layer version as a function configuration lists it (ARN and size)."""

    arn: str
    code_size: int


@dataclass(frozen=True, kw_only=True)
class FunctionVersion:
    function: str
    version: str  # "$LATEST" or a number, as Lambda writes it
    arn: str  # qualified with the version
    code_size: int
    modified: dt.datetime  # LastModified: when this version's code or configuration last changed
    layers: tuple[LayerRef, ...] = ()  # the layer versions it runs with
    master_arn: str | None = None  # set on Lambda@Edge replicas
    code_sha256: str = ""  # with `modified`, tells a version from one recreated under the same number
    runtime: str = ""  # "" for container images

    @property
    def number(self) -> int | None:
        return int(self.version) if self.version.isdigit() else None


@dataclass(frozen=True, kw_only=True)
class LayerVersion:
    layer: str
    version: int
    arn: str
    created: dt.datetime
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Alias:
    name: str
    version: str
    weights: Mapping[str, float] = field(default_factory=dict)  # RoutingConfig.AdditionalVersionWeights


@dataclass(frozen=True, kw_only=True)
class FunctionRefs:
    """What points at a function's versions, read per function: aliases, provisioned concurrency
    configs (by qualifier) and the function's tags."""

    aliases: tuple[Alias, ...] = ()
    provisioned: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    # Read only for functions that may be deleted whole (--unused-functions): who else can start
    # them. None: not read.
    urls: tuple[str, ...] | None = None  # function URLs (by qualifier)
    invokers: tuple[str, ...] | None = None  # services and other accounts a resource policy allows


@dataclass(frozen=True, kw_only=True)
class Invocations:
    """CloudWatch's AWS/Lambda Invocations summed per function over the window, and the functions
    whose metrics could not be read (never judged unused)."""

    days: int
    counts: Mapping[str, float] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AccountSettings:
    limit: int  # AccountLimit.TotalCodeSize
    usage: int  # AccountUsage.TotalCodeSize


@dataclass(frozen=True, kw_only=True)
class Listing:
    """One pass over the region's listings. `mappings` holds the function ARNs that event source
    mappings invoke; None means the listing failed and no function version may be deleted."""

    account: str
    region: str
    functions: Mapping[str, tuple[FunctionVersion, ...]]
    layers: Mapping[str, tuple[LayerVersion, ...]]
    layer_errors: Mapping[str, str] = field(default_factory=dict)
    mappings: tuple[str, ...] | None = ()
    mappings_error: str | None = None
    settings: AccountSettings | None = None
    settings_error: str | None = None

    def layer_sizes_seen(self) -> dict[str, int]:
        """Layer version sizes that function configurations already report (no call needed)."""
        return {
            ref.arn: ref.code_size
            for versions in self.functions.values()
            for version in versions
            for ref in version.layers
        }


@dataclass(frozen=True, kw_only=True)
class LayerDetails:
    """Reads made per layer version, only for those the plan needs."""

    sizes: Mapping[str, int] = field(default_factory=dict)  # layer version ARN -> bytes
    shared: Mapping[str, str] = field(default_factory=dict)  # ARN -> who the layer permission allows
    errors: Mapping[str, str] = field(default_factory=dict)  # ARN -> why it could not be read


def unqualified_arn(arn: str) -> str:
    """A function's ARN without its version or alias: arn:aws:lambda:REGION:ACCOUNT:function:NAME."""
    return ":".join(arn.split(":")[:7])

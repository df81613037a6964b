"""Read one account region with a Lambda client that is passed in.

Every listing goes through botocore's paginators, and each piece of data is read once:

- ``ListFunctions(FunctionVersion=ALL)`` gives every version of every function, with its size, date
  and the layer versions it runs with (so layer references need no further call, and the sizes of
  layer versions in use are known without ``GetLayerVersion``);
- ``ListEventSourceMappings`` once for the whole region;
- ``ListLayers`` and ``ListLayerVersions`` per layer;
- per function, and only for functions that have a version the plan could delete:
  ``ListAliases``, ``ListProvisionedConcurrencyConfigs`` and ``ListTags``;
- per layer version, only for those the plan could delete: ``GetLayerVersion`` when its size is not
  known yet and ``GetLayerVersionPolicy``.

Function URLs are not read: a URL's qualifier can only be an alias or $LATEST, both already kept.

A failed read never raises out of here except for ``ListFunctions`` (without it nothing can be
planned); it is recorded, and the planner keeps everything it covers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from builder.aws import describe, error_code
from builder.cleanup.model import (
    AccountSettings,
    Alias,
    FunctionRefs,
    FunctionVersion,
    LayerDetails,
    LayerRef,
    LayerVersion,
    Listing,
    unqualified_arn,
)
from builder.errors import AwsError

# Threads per account region. With one shared client the adaptive retry mode's rate limiter sees
# every call; a handful of threads keeps well-behaved latency without bursting past the control
# plane's rate (about 15 requests per second).
DEFAULT_WORKERS = 4

AWS_ERRORS = (ClientError, BotoCoreError)
T = TypeVar("T")
R = TypeVar("R")


def read_listing(lam: Any, account: str, region: str, workers: int = DEFAULT_WORKERS) -> Listing:
    settings, settings_error = _account_settings(lam)
    try:
        functions = _functions(lam)
    except AWS_ERRORS as exc:
        raise AwsError(
            f"{account} {region}: could not list the functions: {describe(exc)}",
            hint="nothing was planned for this region; check lambda:ListFunctions and retry",
        ) from exc
    layers, layer_errors = _layers(lam, workers)
    try:
        mappings: tuple[str, ...] | None = tuple(
            str(mapping["FunctionArn"])
            for page in lam.get_paginator("list_event_source_mappings").paginate()
            for mapping in page.get("EventSourceMappings", [])
            if mapping.get("FunctionArn")
        )
        mappings_error = None
    except AWS_ERRORS as exc:
        mappings, mappings_error = None, describe(exc)
    return Listing(
        account=account,
        region=region,
        functions=functions,
        layers=layers,
        layer_errors=layer_errors,
        mappings=mappings,
        mappings_error=mappings_error,
        settings=settings,
        settings_error=settings_error,
    )


def read_refs(
    lam: Any,
    listing: Listing,
    names: Iterable[str],
    workers: int = DEFAULT_WORKERS,
    whole: Iterable[str] = (),
) -> tuple[dict[str, FunctionRefs], dict[str, str]]:
    """Aliases, provisioned concurrency and tags of each named function; errors by function. For
    the functions in `whole` (candidates to delete whole), also their function URLs and who their
    resource-based policies (the function's and each alias's) let invoke them."""
    arns = {name: unqualified_arn(versions[0].arn) for name, versions in listing.functions.items()}
    entire = set(whole)
    results = _parallel(
        lambda name: _function_refs(lam, name, arns[name], name in entire),
        sorted(set(names) | entire),
        workers,
    )
    refs: dict[str, FunctionRefs] = {}
    errors: dict[str, str] = {}
    for name, (value, error) in results.items():
        if error is None and value is not None:
            refs[name] = value
        else:
            errors[name] = error or "not read"
    return refs, errors


def read_layer_details(
    lam: Any,
    size_wanted: Iterable[LayerVersion],
    policy_wanted: Iterable[LayerVersion],
    workers: int = DEFAULT_WORKERS,
) -> LayerDetails:
    """Sizes (GetLayerVersion) and layer permissions (GetLayerVersionPolicy) of the given versions."""
    sizes_in = {lv.arn: lv for lv in size_wanted}
    policies_in = {lv.arn: lv for lv in policy_wanted}
    size_results = _parallel(lambda arn: _layer_size(lam, sizes_in[arn]), list(sizes_in), workers)
    policy_results = _parallel(lambda arn: _layer_shared(lam, policies_in[arn]), list(policies_in), workers)
    sizes = {
        arn: value for arn, (value, error) in size_results.items() if error is None and value is not None
    }
    shared = {arn: value for arn, (value, error) in policy_results.items() if error is None and value}
    errors = {arn: error for arn, (_, error) in size_results.items() if error is not None}
    for arn, (_, error) in policy_results.items():
        if error is not None:
            errors.setdefault(arn, error)
    return LayerDetails(sizes=sizes, shared=shared, errors=errors)


# ---- the listings -------------------------------------------------------------------------------


def _account_settings(lam: Any) -> tuple[AccountSettings | None, str | None]:
    try:
        answer = lam.get_account_settings()
        return (
            AccountSettings(
                limit=int(answer["AccountLimit"]["TotalCodeSize"]),
                usage=int(answer["AccountUsage"]["TotalCodeSize"]),
            ),
            None,
        )
    except AWS_ERRORS as exc:
        return None, describe(exc)
    except (KeyError, TypeError, ValueError) as exc:
        return None, f"GetAccountSettings: unexpected answer ({exc!r})"


def _functions(lam: Any) -> dict[str, tuple[FunctionVersion, ...]]:
    found: dict[str, dict[str, FunctionVersion]] = {}
    for page in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL"):
        for config in page.get("Functions", []):
            version = _function_version(config)
            # setdefault: a version listed twice (a listing that changed between pages) counts once.
            found.setdefault(version.function, {}).setdefault(version.version, version)
    return {name: tuple(versions.values()) for name, versions in found.items()}


def _function_version(config: dict[str, Any]) -> FunctionVersion:
    name = str(config["FunctionName"])
    version = str(config.get("Version", "$LATEST"))
    arn = unqualified_arn(str(config["FunctionArn"])) + f":{version}"
    return FunctionVersion(
        function=name,
        version=version,
        arn=arn,
        code_size=int(config.get("CodeSize") or 0),
        # An unreadable date counts as "just now": too new for --older-than, never too old.
        modified=parse_time(config.get("LastModified")) or dt.datetime.now(dt.timezone.utc),
        layers=tuple(
            LayerRef(str(layer["Arn"]), int(layer.get("CodeSize") or 0))
            for layer in config.get("Layers") or []
        ),
        master_arn=config.get("MasterArn") or None,
        code_sha256=str(config.get("CodeSha256") or ""),
        runtime=str(config.get("Runtime") or ""),
    )


def _layers(lam: Any, workers: int) -> tuple[dict[str, tuple[LayerVersion, ...]], dict[str, str]]:
    try:
        names = [
            str(layer["LayerName"])
            for page in lam.get_paginator("list_layers").paginate()
            for layer in page.get("Layers", [])
        ]
    except AWS_ERRORS as exc:
        return {}, {"*": describe(exc)}
    results = _parallel(lambda name: _layer_versions(lam, name), names, workers)
    layers = {name: value for name, (value, error) in results.items() if error is None and value is not None}
    errors = {name: error for name, (_, error) in results.items() if error is not None}
    return layers, errors


def _layer_versions(lam: Any, name: str) -> tuple[LayerVersion, ...]:
    versions = []
    for page in lam.get_paginator("list_layer_versions").paginate(LayerName=name):
        for item in page.get("LayerVersions", []):
            versions.append(
                LayerVersion(
                    layer=name,
                    version=int(item["Version"]),
                    arn=str(item["LayerVersionArn"]),
                    created=parse_time(item.get("CreatedDate")) or dt.datetime.now(dt.timezone.utc),
                    description=str(item.get("Description") or ""),
                )
            )
    return tuple(versions)


# ---- per function and per layer version --------------------------------------------------------


def _function_refs(lam: Any, name: str, arn: str, whole: bool = False) -> FunctionRefs:
    aliases = tuple(
        Alias(
            name=str(alias["Name"]),
            version=str(alias["FunctionVersion"]),
            weights={
                str(version): float(weight)
                for version, weight in (
                    (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
                ).items()
            },
        )
        for page in lam.get_paginator("list_aliases").paginate(FunctionName=name)
        for alias in page.get("Aliases", [])
    )
    provisioned = tuple(
        str(config["FunctionArn"]).rsplit(":", 1)[-1]
        for page in lam.get_paginator("list_provisioned_concurrency_configs").paginate(FunctionName=name)
        for config in page.get("ProvisionedConcurrencyConfigs", [])
    )
    tags = lam.list_tags(Resource=arn).get("Tags") or {}
    urls: tuple[str, ...] | None = None
    invokers: tuple[str, ...] | None = None
    if whole:
        urls = tuple(
            _qualifier(str(config.get("FunctionArn", "")))
            for page in lam.get_paginator("list_function_url_configs").paginate(FunctionName=name)
            for config in page.get("FunctionUrlConfigs", [])
        )
        account = arn.split(":")[4]
        found: set[str] = set()
        for qualifier in (None, *(alias.name for alias in aliases)):
            found |= _invokers(lam, name, qualifier, account)
        invokers = tuple(sorted(found))
    return FunctionRefs(
        aliases=aliases,
        provisioned=provisioned,
        tags={str(k): str(v) for k, v in tags.items()},
        urls=urls,
        invokers=invokers,
    )


def _invokers(lam: Any, name: str, qualifier: str | None, account: str) -> set[str]:
    """Services and other accounts that the function's (or an alias's) resource-based policy lets
    invoke it. Statements for this account's own principals are not counted: their calls would
    show in the metrics like any other."""
    try:
        answer = lam.get_policy(FunctionName=name, **({"Qualifier": qualifier} if qualifier else {}))
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return set()  # no resource-based policy
        raise
    where = f" (alias {qualifier})" if qualifier else ""
    try:
        statements = json.loads(answer.get("Policy") or "{}").get("Statement") or []
    except ValueError:
        return {f"a policy that could not be parsed{where}"}
    if isinstance(statements, dict):
        statements = [statements]
    found: set[str] = set()
    for statement in statements:
        if str(statement.get("Effect", "Allow")) != "Allow":
            continue
        for who in _statement_principals(statement.get("Principal")):
            if who.startswith("service:") or account not in who:
                found.add(who.removeprefix("service:") + where)
    return found


def _statement_principals(principal: Any) -> list[str]:
    """Principals of a statement: "service:NAME" for a service, else the account or ARN given."""
    if isinstance(principal, str):
        return ["anyone" if principal == "*" else principal]
    if not isinstance(principal, dict):
        return [str(principal)]
    found: list[str] = []
    for kind, values in principal.items():
        for value in values if isinstance(values, list) else [values]:
            if kind == "Service":
                found.append(f"service:{value}")
            else:
                found.append("anyone" if value == "*" else str(value))
    return found


def _layer_size(lam: Any, layer_version: LayerVersion) -> int:
    answer = lam.get_layer_version(LayerName=layer_version.layer, VersionNumber=layer_version.version)
    return int(answer["Content"]["CodeSize"])


def _layer_shared(lam: Any, layer_version: LayerVersion) -> str:
    """Who a layer version's permission policy lets use it; "" when it has no policy."""
    try:
        answer = lam.get_layer_version_policy(
            LayerName=layer_version.layer, VersionNumber=layer_version.version
        )
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return ""  # no policy: only this account can use the version
        raise
    try:
        statements = json.loads(answer.get("Policy") or "{}").get("Statement") or []
    except ValueError:
        return "a policy that could not be parsed"
    if isinstance(statements, dict):
        statements = [statements]
    principals = sorted({_principal(statement.get("Principal")) for statement in statements})
    return ", ".join(principals) if principals else ""


def _principal(principal: Any) -> str:
    if isinstance(principal, dict):
        values = principal.get("AWS", principal)
        if isinstance(values, list):
            return " ".join(sorted(str(v) for v in values))
        return str(values)
    return str(principal)


# ---- helpers -----------------------------------------------------------------------------------


def _parallel(work: Callable[[T], R], items: list[T], workers: int) -> dict[T, tuple[R | None, str | None]]:
    """Run work(item) on a few threads; collect each result or the description of its AWS error."""

    def guarded(item: T) -> tuple[R | None, str | None]:
        try:
            return work(item), None
        except AWS_ERRORS as exc:
            return None, describe(exc)

    if not items:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return dict(zip(items, pool.map(guarded, items), strict=True))


def _qualifier(arn: str) -> str:
    parts = arn.split(":")
    return parts[7] if len(parts) > 7 else "$LATEST"


_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$")


def parse_time(value: object) -> dt.datetime | None:
    """Lambda's dates: "2024-05-01T10:00:00.123+0000" (AWS), with nanoseconds and "Z" (moto), or
    already a datetime. Naive times are taken as UTC."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if zone in (None, "Z") else zone[:3] + ":" + zone[-2:]
    try:
        return dt.datetime.fromisoformat(f"{day}T{clock}.{micro}{offset}")
    except ValueError:
        return None

"""`publish --ssm-parameter TEMPLATE`: each published ARN in SSM Parameter Store, in its region, so
SAM, CloudFormation (`{{resolve:ssm:NAME}}`), CDK and Terraform read the current version by name.

The names are checked against Parameter Store's rules before anything is published
(https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html):
letters, digits and `_.-`, with `/` between the levels of a hierarchy (then the name starts with
`/`); not starting with `aws` or `ssm` in any case; at most 15 levels; and at most 1011 characters
counting the ARN in front of it (`arn:aws:ssm:REGION:ACCOUNT:parameter`). A parameter is written
only when its value is not already the ARN, so an unchanged layer does not add a parameter version.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from builder.aws import describe, error_code
from builder.errors import ConfigError
from builder.manifest import Manifest
from builder.publish.runner import Run, outcomes

PLACEHOLDERS = ("recipe", "runtime", "arch", "py", "layer")
NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9_./-]+$")
MAX_LEVELS = 15
# Parameter Store reports 2048 characters but reserves 1037 of them; the 1011 left include the ARN's
# prefix (see the PutParameter API reference, Name).
MAX_ARN_LENGTH = 1011
ACCOUNT_ID_LENGTH = 12

Status = Literal["written", "unchanged", "planned", "failed"]


@dataclass(frozen=True, kw_only=True)
class Write:
    """One parameter to hold one ARN in one account region."""

    account: str
    region: str
    name: str
    target: str
    arn: str | None  # None: a dry run's new version, whose ARN is not known yet


@dataclass(frozen=True, kw_only=True)
class Written:
    write: Write
    status: Status
    previous: str | None = None  # the value before, when there was one
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.write.account,
            "region": self.write.region,
            "name": self.write.name,
            "target": self.write.target,
            "value": self.write.arn,
            "status": self.status,
            "previous": self.previous,
            "error": self.error,
        }


def parameter_name(template: str, built: Manifest, layer_name: str) -> str:
    values = {
        "recipe": built.recipe,
        "runtime": built.runtime,
        "arch": built.arch,
        "py": "py" + built.runtime.removeprefix("python").replace(".", ""),
        "layer": layer_name,
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"--ssm-parameter {template!r} has an unknown placeholder: {exc}",
            hint=f"placeholders: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
        ) from exc


def refusal(name: str, region: str) -> str | None:
    """Why Parameter Store would refuse `name` in `region`, or None when it takes it."""
    bad = sorted(set(re.sub(r"[A-Za-z0-9_./-]", "", name)))
    if not name or bad:
        return f"characters {' '.join(repr(c) for c in bad)} are not allowed" if bad else "it is empty"
    if "/" in name and not name.startswith("/"):
        return "a name with levels must start with '/' (a fully qualified name)"
    levels = name.strip("/").split("/")
    if "" in levels or name.endswith("/"):
        return "a level between two '/' is empty"
    if levels[0].lower().startswith(("aws", "ssm")):
        return "names starting with 'aws' or 'ssm' (any case) are reserved"
    if len(levels) > MAX_LEVELS:
        return f"it has {len(levels)} levels; Parameter Store allows {MAX_LEVELS}"
    arn = f"{_arn_prefix(region)}{'' if name.startswith('/') else '/'}{name}"
    if len(arn) > MAX_ARN_LENGTH:
        return f"its ARN would be {len(arn)} characters; Parameter Store allows {MAX_ARN_LENGTH}"
    return None


def names(
    template: str, layers: Sequence[tuple[str, Manifest, str]], regions: Sequence[str]
) -> dict[str, str]:
    """target -> parameter name for (target, manifest, layer name) triples; raises ConfigError for a
    name Parameter Store refuses in any region, or one name for two targets."""
    found: dict[str, str] = {}
    owner: dict[str, str] = {}
    for target, built, layer_name in layers:
        name = parameter_name(template, built, layer_name)
        for region in regions:
            why = refusal(name, region)
            if why is not None:
                raise ConfigError(
                    f"SSM parameter name {name!r} (from --ssm-parameter {template!r}) is refused by "
                    f"Parameter Store: {why}; nothing was published",
                    hint="use letters, digits and _.- with '/' between levels, starting with '/', e.g. "
                    "--ssm-parameter '/layers/{recipe}/{runtime}-{arch}'",
                )
        if name in owner:
            raise ConfigError(
                f"--ssm-parameter {template!r} gives {owner[name]} and {target} the same name {name!r}; "
                "nothing was published",
                hint="put {runtime} and {arch} (or {layer}) in the name",
            )
        owner[name] = target
        found[target] = name
    return found


def _arn_prefix(region: str) -> str:
    partition = botocore.session.get_session().get_partition_for_region(region)
    return f"arn:{partition}:ssm:{region}:{'0' * ACCOUNT_ID_LENGTH}:parameter"


# ---------------------------------------------------------------- the calls


def current_value(ssm: Any, name: str) -> str | None:
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            return None
        raise


def apply(ssm: Any, write: Write, *, dry_run: bool, description: str) -> Written:
    """Write the ARN unless the parameter already holds it; a dry run only reads."""
    try:
        previous = current_value(ssm, write.name)
        if write.arn is not None and previous == write.arn:
            return Written(write=write, status="unchanged", previous=previous)
        if dry_run or write.arn is None:
            return Written(write=write, status="planned", previous=previous)
        ssm.put_parameter(
            Name=write.name,
            Value=write.arn,
            Type="String",
            Overwrite=True,
            Description=description[:1024],
        )
    except (ClientError, BotoCoreError) as exc:
        return Written(write=write, status="failed", error=describe(exc))
    return Written(write=write, status="written", previous=previous)


# ---------------------------------------------------------------- after publishing


def planned_writes(runs: Sequence[Run], names: dict[str, str]) -> list[Write]:
    """One write per layer that has an ARN (published or unchanged; in a dry run, the newest
    version when it stays) in each account region that opened."""
    writes: list[Write] = []
    for run in runs:
        if run.error is not None or run.target is None:
            continue
        for outcome in outcomes(run):
            target = outcome.plan.layer.target
            if target not in names or outcome.status == "failed":
                continue
            arn = outcome.arn
            if outcome.status == "planned":
                existing = outcome.plan.existing
                arn = existing.arn if existing is not None and not outcome.plan.publish else None
            writes.append(
                Write(account=run.account, region=run.region, name=names[target], target=target, arn=arn)
            )
    return writes


def write_all(runs: Sequence[Run], names: dict[str, str], *, dry_run: bool) -> list[Written]:
    """Every write, each account region's in a thread of its own; a failure is recorded, not raised."""
    writes = planned_writes(runs, names)
    clients: dict[tuple[str, str], Any] = {}
    for run in runs:  # clients made one at a time: a boto3 session is not safe to share for that
        if run.target is not None and any(
            w.account == run.account and w.region == run.region for w in writes
        ):
            clients[run.account, run.region] = run.target.client("ssm")

    def one(write: Write) -> Written:
        return apply(
            clients[write.account, write.region],
            write,
            dry_run=dry_run,
            description=f"layer-builder: the newest {write.target} layer version",
        )

    with ThreadPoolExecutor(max_workers=max(1, min(16, len(clients)))) as pool:
        return list(pool.map(one, writes))

"""Who may use a layer version: the grants `--share-with` and `--public` ask for, and the ones a
layer version's policy already holds.

A layer version's resource policy is read back in AWS's shape (GetLayerVersionPolicy): an account
is ``{"AWS": "arn:aws:iam::123456789012:root"}``, an organization is ``"*"`` with the condition
``aws:PrincipalOrgID``, everyone is ``"*"`` alone
(https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from builder.errors import ConfigError

ACTION = "lambda:GetLayerVersion"
ACCOUNT_ID = re.compile(r"^\d{12}$")
# AddLayerVersionPermission's pattern for OrganizationId.
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
SID_PREFIX = "layer-builder"

Kind = Literal["account", "organization", "public", "other"]


@dataclass(frozen=True, kw_only=True, order=True)
class Grant:
    kind: Kind
    value: str  # account id, organization id, "*" for public, the statement id for "other"

    @property
    def statement_id(self) -> str:
        return SID_PREFIX + ("-public" if self.kind == "public" else f"-{self.kind}-{self.value}")

    def describe(self) -> str:
        return {
            "account": f"account {self.value}",
            "organization": f"organization {self.value}",
            "public": "everyone (public)",
            "other": f"statement {self.value}",
        }[self.kind]

    def api_args(self) -> dict[str, str]:
        """AddLayerVersionPermission's arguments for this grant."""
        args = {"StatementId": self.statement_id, "Action": ACTION}
        if self.kind == "account":
            return {**args, "Principal": self.value}
        if self.kind == "organization":
            return {**args, "Principal": "*", "OrganizationId": self.value}
        if self.kind == "public":
            return {**args, "Principal": "*"}
        raise ValueError(f"cannot add a grant of kind {self.kind}")

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


PUBLIC = Grant(kind="public", value="*")


def requested(share_with: Iterable[str], public: bool) -> tuple[Grant, ...]:
    """The grants the command line asks for, checked, without duplicates, in a stable order."""
    grants: set[Grant] = set()
    for raw in share_with:
        value = raw.strip()
        if ACCOUNT_ID.match(value):
            grants.add(Grant(kind="account", value=value))
        elif ORGANIZATION_ID.match(value):
            grants.add(Grant(kind="organization", value=value))
        else:
            raise ConfigError(
                f"--share-with {value!r} is neither an account id nor an organization id",
                hint="an account id is 12 digits (123456789012); an organization id looks like "
                "o-a1b2c3d4e5 (aws organizations describe-organization); use --public to share with everyone",
            )
    if public:
        grants.add(PUBLIC)
    return tuple(sorted(grants))


def from_policy(policy: str | None) -> tuple[Grant, ...]:
    """The grants in a layer version policy (GetLayerVersionPolicy's `Policy` string)."""
    if not policy:
        return ()
    statements = json.loads(policy).get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return tuple(sorted({_grant(statement) for statement in statements}))


def _grant(statement: dict[str, Any]) -> Grant:
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("AWS")
    if isinstance(principal, list) and len(principal) == 1:
        principal = principal[0]
    org = _org_condition(statement.get("Condition") or {})
    other = Grant(kind="other", value=str(statement.get("Sid") or "(no id)"))
    if statement.get("Effect", "Allow") != "Allow" or not isinstance(principal, str):
        return other
    if principal == "*":
        if org is not None:
            return Grant(kind="organization", value=org)
        return PUBLIC if not statement.get("Condition") else other
    account = re.fullmatch(r"(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::root)?", principal)
    if account and not statement.get("Condition"):
        return Grant(kind="account", value=account[1])
    return other


def _org_condition(condition: dict[str, Any]) -> str | None:
    if len(condition) != 1 or len(next(iter(condition.values()))) != 1:
        return None
    operator, tests = next(iter(condition.items()))
    key, value = next(iter(tests.items()))
    if operator == "StringEquals" and key.lower() == "aws:principalorgid" and isinstance(value, str):
        return value
    return None

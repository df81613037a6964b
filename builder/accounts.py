"""Do something in every account and region, concurrently, and report every outcome.

Every account-wide command (publish, storage, prune, the scheduled job) hands `run` a `Scope` (which
accounts, which regions, how many at once) and a function for one account region. The runner

- opens the accounts a few at a time (`Scope.open_workers`): a role, proved by assuming it through
  STS (one sts:AssumeRole), or the default credentials, proved with one sts:GetCallerIdentity;
- runs the function in every region of every account that opened, up to `Scope.workers` at once,
  starting as soon as its account is open;
- returns one `Outcome` per account region, in the order the scope lists them: the function's
  result, or why there is none (the account could not be opened, the function raised a
  LayerBuilderError or a botocore error, or the stop event was set before it started).

An account that cannot be opened fails its own regions, never the others. The runner never raises
for failures, not even when every account fails: the command reports each outcome and its exit
code counts them. `then` runs a second step (apply after plan) over the outcomes that have a result.

Where accounts come from is an `AccountSource` and which regions a `RegionSource`: `Role` (one
account) and `Regions` (the same everywhere), or `Organization` (the ACTIVE accounts of an AWS
Organization, or of some of its OUs, each reached through a role of the same name) and
`EnabledRegions` (those each account has enabled). When every region of an account has an outcome,
the progress callback is told ACCOUNT with a one-line summary, so a command over hundreds of
accounts can print one line per account.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from builder import aws
from builder.errors import AwsError, ConfigError, LayerBuilderError

T = TypeVar("T")

DEFAULT_WORKERS = 16  # account regions at once
DEFAULT_OPEN_WORKERS = 8  # accounts opened at once (one STS call each, more for an assumed role)
EVERY_REGION = "*"  # the region of an outcome for an account whose regions could not be known

# What a Progress callback is told, with the account region's label (or, while an account opens,
# the label of how it is reached) and, for FAILED, the error's message.
OPENING, STARTED, DONE, FAILED, STOPPED = "opening", "started", "done", "failed", "stopped"
SKIPPED = "skipped"  # an account (label: how it is reached) or source that could not be opened, once
ACCOUNT = "account"  # every region of the account (label: its id) has an outcome; detail sums up
Progress = Callable[[str, str, str | None], None]


def quiet(label: str, state: str, detail: str | None) -> None:
    """A Progress that shows nothing."""


@dataclass(frozen=True, kw_only=True)
class Context:
    """What reaching an account needs: client options, the credentials to start from (None: a
    session of `profile`, or of the default chain, made at first use) and the region STS (or
    Organizations) is called in. One per run: every account of the run shares its session and its
    STS client, since making a session or a client costs milliseconds of CPU each, and over an
    organization that CPU, not the network, set the pace (bench/prune_organization.py)."""

    options: aws.AwsOptions
    base_session: Any
    region: str
    profile: str | None = None
    _made: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def base(self) -> Any:
        """The credentials every account is reached from: the given session, else one of
        `profile` (or of the default chain)."""
        if self.base_session is not None:
            return self.base_session
        with self._lock:
            if "base" not in self._made:
                self._made["base"] = aws.base_session(self.profile)
            return self._made["base"]

    def sts(self) -> Any:
        """The STS client every role of the run is assumed through."""
        base = self.base()
        with self._lock:
            if "sts" not in self._made:
                self._made["sts"] = aws.sts_client(base, self.region, self.options)
            return self._made["sts"]

    def open(self, role_arn: str | None) -> aws.Account:
        """The account reached by assuming `role_arn`, or with the base credentials (None)."""
        sts = self.sts() if role_arn else None
        return aws.open_account(role_arn, self.region, self.options, self.base(), sts)


class AccountAccess(Protocol):
    """How to get into one account."""

    @property
    def label(self) -> str:
        """Names the account in reports when it could not be opened."""
        ...

    def open(self, context: Context) -> aws.Account: ...


class AccountSource(Protocol):
    """Where accounts come from: one role, or (say) every account of an organization."""

    @property
    def label(self) -> str:
        """Names the source in reports when its accounts could not be listed."""
        ...

    def accounts(self, context: Context) -> Sequence[AccountAccess]:
        """The accounts, not yet opened; raises LayerBuilderError when they cannot be listed."""
        ...


class RegionSource(Protocol):
    """Which regions to run in: the same everywhere, or (say) those enabled in each account."""

    @property
    def home(self) -> str:
        """The region accounts are opened in (STS's regional endpoint)."""
        ...

    def known(self) -> Sequence[str] | None:
        """The regions when they do not depend on the account (to report an account that could
        not be opened region by region), else None."""
        ...

    def of(self, account: aws.Account, context: Context) -> Sequence[str]:
        """The account's regions; may call AWS and raise LayerBuilderError."""
        ...


@dataclass(frozen=True)
class Role:
    """One account: `role_arn` assumed through STS from the base credentials, or (None) the base
    credentials themselves. Both an AccountSource (of itself) and its AccountAccess."""

    role_arn: str | None = None

    @property
    def label(self) -> str:
        return self.role_arn or "default credentials"

    def accounts(self, context: Context) -> Sequence[AccountAccess]:
        return (self,)

    def open(self, context: Context) -> aws.Account:
        return context.open(self.role_arn)


@dataclass(frozen=True)
class Regions:
    """The same regions in every account, in this order (accounts are opened in the first)."""

    names: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.names:
            raise ConfigError("no region given", hint=aws.NO_REGION_HINT)

    @property
    def home(self) -> str:
        return self.names[0]

    def known(self) -> Sequence[str]:
        return self.names

    def of(self, account: aws.Account, context: Context) -> Sequence[str]:
        return self.names


# The role AWS Organizations creates in every account it creates (and the one it invites asks for).
DEFAULT_ORGANIZATION_ROLE = "OrganizationAccountAccessRole"
# Organizations' own patterns for OU and root ids (API reference, OrganizationalUnit.Id and Root.Id).
OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")


def validate_ou(ou: str) -> str:
    if not OU_ID.fullmatch(ou):
        raise ConfigError(
            f"not an organizational unit or root id: {ou!r}",
            hint="OU ids look like ou-ab12-cdef3456 and roots like r-ab12 "
            "(aws organizations list-roots / list-organizational-units-for-parent)",
        )
    return ou


@dataclass(frozen=True)
class Member:
    """One account of an organization, reached by assuming a role in it."""

    account_id: str
    name: str
    role_arn: str

    @property
    def label(self) -> str:
        return _member_label(self.account_id, self.name)

    def open(self, context: Context) -> aws.Account:
        return context.open(self.role_arn)


@dataclass(frozen=True)
class Caller:
    """The organization's account the command runs in (the management or delegated administrator
    account): already opened, with its own credentials, to list the organization."""

    account: aws.Account
    name: str

    @property
    def label(self) -> str:
        return _member_label(self.account.account_id, self.name)

    def open(self, context: Context) -> aws.Account:
        return self.account


def _member_label(account_id: str, name: str) -> str:
    return f"{account_id} ({name})" if name else account_id


@dataclass(frozen=True)
class Organization:
    """The ACTIVE accounts of the caller's organization (of `ous` and every OU below them, when
    given), each reached by assuming `role_name`; the caller's own account without assuming.

    Listing needs the management account or a delegated administrator for Organizations; any other
    member gets AccessDenied, and is told so."""

    role_name: str = DEFAULT_ORGANIZATION_ROLE
    partition: str | None = None  # None: the partition of the home region
    ous: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for ou in self.ous:
            validate_ou(ou)
        if not ROLE_NAME.fullmatch(self.role_name):
            raise ConfigError(
                f"not an IAM role name: {self.role_name!r}",
                hint=f"give the name only, e.g. --role-name {DEFAULT_ORGANIZATION_ROLE}",
            )

    @property
    def label(self) -> str:
        return "organization" + (f" ({', '.join(self.ous)})" if self.ous else "")

    def accounts(self, context: Context) -> Sequence[AccountAccess]:
        caller = context.open(None)
        org = aws.client(caller, "organizations", context.region, context.options)
        partition = self.partition or caller.session.get_partition_for_region(context.region)
        try:
            org.describe_organization()  # outside an organization this says so, before any listing
            found = self._list(org)
        except ClientError as exc:
            raise _organization_error(exc, caller.account_id) from exc
        members: list[AccountAccess] = []
        for account in sorted(found, key=lambda a: str(a["Id"])):
            if not _active(account):
                continue
            account_id, name = str(account["Id"]), str(account.get("Name") or "")
            if account_id == caller.account_id:
                members.append(Caller(caller, name))
            else:
                members.append(
                    Member(account_id, name, f"arn:{partition}:iam::{account_id}:role/{self.role_name}")
                )
        return members

    def _list(self, org: Any) -> list[dict[str, Any]]:
        if not self.ous:
            return [a for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
        seen: dict[str, dict[str, Any]] = {}
        pending = list(self.ous)
        while pending:  # each OU's accounts, then its child OUs
            parent = pending.pop()
            for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
                for account in page["Accounts"]:
                    seen.setdefault(str(account["Id"]), account)
            for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
                pending += [str(ou["Id"]) for ou in page["OrganizationalUnits"]]
        return list(seen.values())


def _active(account: dict[str, Any]) -> bool:
    # Status (ACTIVE, SUSPENDED, PENDING_CLOSURE) is being replaced by State (also PENDING_ACTIVATION,
    # CLOSED); either must say ACTIVE.
    return str(account.get("State") or account.get("Status") or "") == "ACTIVE"


def _organization_error(exc: ClientError, caller: str) -> AwsError:
    code = aws.error_code(exc)
    if code == "AWSOrganizationsNotInUseException":
        return AwsError(
            f"account {caller} is not in an AWS Organization",
            hint="run --organization from the organization's management account, or pass --role-arn per account",
        )
    if code in ("AccessDeniedException", "AccessDenied"):
        return AwsError(
            f"account {caller} may not list the organization's accounts: --organization runs from the "
            "management account or a delegated administrator account",
            hint="run it there (with `layer-builder iam-policy prune --organization`), or register this "
            "account: aws organizations register-delegated-administrator",
        )
    return AwsError(
        f"could not list the organization's accounts: {aws.describe(exc)}",
        hint="check organizations:ListAccounts (and ListAccountsForParent with --ou)",
    )


@dataclass(frozen=True)
class EnabledRegions:
    """In each account, the regions it has enabled (EC2 DescribeRegions without AllRegions lists
    exactly those: the default regions and the opt-in ones the account opted into), limited to the
    regions this botocore knows Lambda in. Accounts are opened in `home_region`."""

    home_region: str

    @property
    def home(self) -> str:
        return self.home_region

    def known(self) -> None:
        return None

    def of(self, account: aws.Account, context: Context) -> Sequence[str]:
        ec2 = aws.client(account, "ec2", self.home_region, context.options)
        try:
            names = [str(r["RegionName"]) for r in ec2.describe_regions()["Regions"]]
        except (ClientError, BotoCoreError) as exc:
            raise AwsError(
                f"{account.account_id}: could not list its enabled regions: {aws.describe(exc)}",
                hint="allow ec2:DescribeRegions, or pass --region",
            ) from exc
        known = aws.known_regions()
        return sorted(name for name in names if name in known)


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Where an account-wide command runs, and how many accounts and regions at once."""

    accounts: tuple[AccountSource, ...]
    regions: RegionSource
    options: aws.AwsOptions = field(default_factory=aws.AwsOptions)
    # The credentials chain to start from; None: a session of `profile` (the AWS config's named
    # profile, --profile) or of the default chain, made once per run.
    base_session: Any = None
    profile: str | None = None
    workers: int = DEFAULT_WORKERS
    open_workers: int = DEFAULT_OPEN_WORKERS

    @classmethod
    def of(cls, role_arns: Sequence[str | None], regions: Sequence[str], **settings: Any) -> Scope:
        """Roles to assume (None: the default credentials; none given: the default credentials)
        in the same regions everywhere; regions are checked against botocore's list."""
        roles = tuple(Role(arn) for arn in role_arns) or (Role(),)
        return cls(accounts=roles, regions=Regions(tuple(aws.validate_regions(regions))), **settings)

    def context(self) -> Context:
        return Context(
            options=self.options,
            base_session=self.base_session,
            region=self.regions.home,
            profile=self.profile,
        )


@dataclass(frozen=True, kw_only=True)
class AccountRegion:
    """An open account in one region: what the caller's function is handed."""

    account: aws.Account
    region: str
    options: aws.AwsOptions

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def label(self) -> str:
        return f"{self.account.account_id} {self.region}"

    def client(self, service: str) -> Any:
        """A client for this account and region. Made in the caller's thread, so that making one
        (CPU) overlaps with the other regions' calls (network); share it within the region."""
        return aws.client(self.account, service, self.region, self.options)


@dataclass(frozen=True, kw_only=True)
class Failure:
    """Why an account region has no result (or, after `then`, no further result)."""

    message: str
    hint: str | None = None
    exit_code: int = AwsError.exit_code
    opening: bool = False  # the account could not be opened (or listed): nothing ran in its regions
    stopped: bool = False  # not started: the stop event was set

    @classmethod
    def of(cls, exc: BaseException, *, opening: bool = False) -> Failure:
        if isinstance(exc, LayerBuilderError):
            return cls(message=exc.message, hint=exc.hint, exit_code=exc.exit_code, opening=opening)
        return cls(message=aws.describe(exc), opening=opening)


STOPPED_FAILURE = Failure(message="not started: stopped", stopped=True)


@dataclass(frozen=True, kw_only=True)
class Outcome(Generic[T]):
    """One account region: the caller's result, or the failure that left it without one."""

    account: str  # the account id; when it could not be opened, the label of how it is reached
    region: str
    target: AccountRegion | None = field(default=None, repr=False)  # None: the account did not open
    result: T | None = None
    error: Failure | None = None

    @property
    def label(self) -> str:
        return f"{self.account} {self.region}"


# Errors that end one account or region and not the run; anything else is a bug and is raised.
EXPECTED = (LayerBuilderError, ClientError, BotoCoreError)


def run(
    scope: Scope,
    work: Callable[[AccountRegion], T],
    *,
    progress: Progress = quiet,
    stop: threading.Event | None = None,
) -> list[Outcome[T]]:
    """`work` in every region of every account of `scope`; one outcome per account region."""
    fan = _Fan(scope, work, progress, stop or threading.Event())
    with (
        ThreadPoolExecutor(max(1, scope.open_workers), thread_name_prefix="account") as fan.opener,
        ThreadPoolExecutor(max(1, scope.workers), thread_name_prefix="region") as fan.pool,
    ):
        # Nothing waits inside a pool: each step submits the next and returns its futures, and
        # only this thread waits, in the scope's order, so neither bounded pool can deadlock.
        started = [fan.opener.submit(fan.expand, source) for source in scope.accounts]
        return list(_flatten(started))


def then(
    outcomes: Sequence[Outcome[T]],
    work: Callable[[AccountRegion, T], T],
    *,
    workers: int = DEFAULT_WORKERS,
    progress: Progress = quiet,
    stop: threading.Event | None = None,
) -> list[Outcome[T]]:
    """A next step (apply after plan) for every outcome that has a result, concurrently, in the
    same order. A failure keeps the earlier result and records the error; outcomes that already
    failed are passed on as they are."""
    stop = stop or threading.Event()

    def step(outcome: Outcome[T]) -> Outcome[T]:
        target, result = outcome.target, outcome.result
        assert target is not None and result is not None
        return _attempt(outcome, lambda: work(target, result), progress, stop)

    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="region") as pool:
        pending: list[Outcome[T] | Future[Outcome[T]]] = [
            pool.submit(step, o) if o.error is None and o.target and o.result is not None else o
            for o in outcomes
        ]
        return [item.result() if isinstance(item, Future) else item for item in pending]


def _attempt(
    outcome: Outcome[T], call: Callable[[], T], progress: Progress, stop: threading.Event
) -> Outcome[T]:
    if stop.is_set():
        progress(outcome.label, STOPPED, None)
        return replace(outcome, error=STOPPED_FAILURE)
    progress(outcome.label, STARTED, None)
    try:
        result = call()
    except EXPECTED as exc:
        failure = Failure.of(exc)
        progress(outcome.label, FAILED, failure.message)
        return replace(outcome, error=failure)
    progress(outcome.label, DONE, None)
    return replace(outcome, result=result)


class _Fan(Generic[T]):
    """One `run`: expand sources into accounts, open each, submit its regions."""

    opener: ThreadPoolExecutor
    pool: ThreadPoolExecutor

    def __init__(
        self, scope: Scope, work: Callable[[AccountRegion], T], progress: Progress, stop: threading.Event
    ) -> None:
        self.scope, self.work, self.progress, self.stop = scope, work, progress, stop
        self.context = scope.context()

    def expand(self, source: AccountSource) -> list[Any]:
        if self.stop.is_set():
            return self._failed(source.label, STOPPED_FAILURE)
        try:
            accesses = source.accounts(self.context)
        except EXPECTED as exc:
            return self._failed(source.label, Failure.of(exc, opening=True))
        return [self.opener.submit(self.open, access) for access in accesses]

    def open(self, access: AccountAccess) -> list[Any]:
        if self.stop.is_set():
            return self._failed(access.label, STOPPED_FAILURE)
        self.progress(access.label, OPENING, None)
        label = access.label
        try:
            account = access.open(self.context)
            label = account.account_id
            regions = self.scope.regions.of(account, self.context)
        except EXPECTED as exc:
            return self._failed(label, Failure.of(exc, opening=True))
        futures = [
            self.pool.submit(
                self.region, AccountRegion(account=account, region=region, options=self.scope.options)
            )
            for region in regions
        ]
        self._summarise(access.label if isinstance(access, Member) else label, futures)
        return futures

    def _summarise(self, account: str, futures: list[Future[list[Outcome[T]]]]) -> None:
        """Tell the progress callback once every region of the account has its outcome."""
        left = [len(futures)]
        failed = [0]
        lock = threading.Lock()

        def done(future: Future[list[Outcome[T]]]) -> None:
            outcomes = future.result() if not future.cancelled() and future.exception() is None else []
            with lock:
                left[0] -= 1
                failed[0] += sum(1 for o in outcomes if o.error is not None) or (0 if outcomes else 1)
                finished = left[0] == 0
            if finished:
                regions = f"{len(futures)} region{'' if len(futures) == 1 else 's'}"
                self.progress(account, ACCOUNT, regions + (f", {failed[0]} failed" if failed[0] else ""))

        if not futures:
            self.progress(account, ACCOUNT, "no regions")
        for future in futures:
            future.add_done_callback(done)

    def region(self, target: AccountRegion) -> list[Outcome[T]]:
        outcome: Outcome[T] = Outcome(account=target.account_id, region=target.region, target=target)
        return [_attempt(outcome, lambda: self.work(target), self.progress, self.stop)]

    def _failed(self, label: str, failure: Failure) -> list[Any]:
        """The outcomes of an account (or source) that never got to run: one per region it has."""
        outcomes = [
            Outcome[T](account=label, region=region, error=failure)
            for region in self.scope.regions.known() or (EVERY_REGION,)
        ]
        if failure.opening:
            self.progress(label, SKIPPED, failure.message)
        for outcome in outcomes:
            self.progress(outcome.label, STOPPED if failure.stopped else FAILED, failure.message)
        return outcomes


def _flatten(items: Sequence[Any]) -> Iterator[Outcome[Any]]:
    """Outcomes in order, waiting for each future (which may hold more futures) in turn."""
    for item in items:
        if isinstance(item, Future):
            yield from _flatten(item.result())
        else:
            yield item

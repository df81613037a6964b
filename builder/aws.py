"""The one place that builds boto3 sessions and clients.

Every AWS call layer-builder makes goes through a client made here, so they all share the same
habits:

- botocore's *adaptive* retry mode with a bounded number of attempts. Adaptive mode adds a
  client-side token bucket that slows the client down after a throttle, which is how we respect the
  Lambda control plane's shared request rate (about 15 requests per second per account and region)
  without hard-coding it. Callers share one client per account and region across their threads so
  the bucket sees all of their calls.
- an optional role to assume (``--role-arn``) through STS, with credentials that refresh themselves
  before they expire, so a long run in a large account does not fail half way.
- region names checked against botocore's endpoint data before any call, so a typo fails with
  "did you mean ...?" instead of a DNS error.

The endpoint comes from the usual AWS configuration: ``AWS_ENDPOINT_URL`` (boto3 reads it itself)
points every client at a moto server in the tests.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ProfileNotFound,
)
from botocore.hooks import HierarchicalEmitter

from builder import __version__
from builder.errors import AwsError, ConfigError
from builder.suggest import did_you_mean

# Enough attempts to ride out a short throttling burst, few enough that a real outage ends the
# call in well under a minute (botocore caps each backoff at 20 s).
DEFAULT_MAX_ATTEMPTS = 6

DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 60.0

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
# A boto3 session must not make clients in two threads at once
# (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/session.html); every client made
# here is made under this lock, so callers may open accounts and make clients from any thread.
_CLIENTS = threading.RLock()  # re-entrant: a refresh of assumed-role credentials makes an STS client

# Errors that mean "slow down"; after the retries are used up they are reported as throttled.
THROTTLE_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded", "429"}
)


@dataclass(frozen=True, kw_only=True)
class AwsOptions:
    """How clients behave; the defaults suit the CLI, the scheduled job and the tests alike."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_pool_connections: int = 10
    role_session_name: str = "layer-builder"
    # How long one call waits for an answer (botocore's default is 60 s). A call whose answer does
    # not come in time may still have been carried out: see publish/once.py.
    read_timeout: float = DEFAULT_READ_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 20:
            raise ConfigError(
                f"--max-attempts must be between 1 and 20, got {self.max_attempts}",
                hint="each attempt backs off up to 20 s; 6 is a good default",
            )
        if not 0 < self.read_timeout <= 3600:
            raise ConfigError(
                f"--read-timeout must be more than 0 and at most 3600 seconds, got {self.read_timeout}",
                hint="60 s (botocore's default) suits most networks",
            )


@dataclass(frozen=True, kw_only=True)
class Account:
    """A set of credentials: the default chain, or a role assumed from it."""

    session: boto3.Session
    role_arn: str | None
    account_id: str


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore knows Lambda endpoints for, in every partition."""
    session = botocore.session.get_session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("lambda", partition))
    return frozenset(regions)


def validate_regions(regions: Iterable[str]) -> list[str]:
    """Return the regions in order without duplicates; raise ConfigError for an unknown one."""
    known = known_regions()
    result: list[str] = []
    for region in regions:
        name = region.strip()
        if name not in known:
            raise ConfigError(
                f"unknown region {name!r}{did_you_mean(name, sorted(known))}",
                hint="use a region code such as us-east-1; a region newer than this botocore "
                "needs `pip install -U botocore`",
            )
        if name not in result:
            result.append(name)
    if not result:
        raise ConfigError("no region given", hint=NO_REGION_HINT)
    return result


def validate_role_arn(role_arn: str) -> str:
    if not ROLE_ARN.match(role_arn):
        raise ConfigError(
            f"not an IAM role ARN: {role_arn!r}",
            hint="expected arn:aws:iam::123456789012:role/NAME",
        )
    return role_arn


def client_config(options: AwsOptions) -> Config:
    return Config(
        retries={"mode": "adaptive", "total_max_attempts": options.max_attempts},
        read_timeout=options.read_timeout,
        connect_timeout=options.connect_timeout,
        max_pool_connections=options.max_pool_connections,
        user_agent_extra=f"layer-builder/{__version__}",
    )


def base_session(profile: str | None = None) -> boto3.Session:
    """The standard credential chain, or that of a named profile (``--profile``; boto3 itself reads
    AWS_PROFILE when none is named)."""
    try:
        core = _core_session(profile)
        if profile is not None:
            core.get_scoped_config()  # an unknown profile is refused here, not at the first call
        return boto3.Session(botocore_session=core)
    except ProfileNotFound as exc:
        known = boto3.Session().available_profiles
        raise ConfigError(
            f"unknown AWS profile {profile!r}{did_you_mean(profile or '', known)}",
            hint=f"profiles in the AWS config: {', '.join(known) or 'none'} (aws configure --profile NAME)",
        ) from exc


NO_REGION_HINT = (
    "pass --region (e.g. --region us-east-1), set AWS_REGION or AWS_DEFAULT_REGION, or name a region "
    "in the AWS profile (aws configure set region us-east-1 [--profile NAME])"
)


def regions_or_default(regions: Sequence[str], session: boto3.Session, aws_region: str | None) -> list[str]:
    """The regions given, else the one the environment or the profile names, as the AWS CLI picks
    it: AWS_REGION (the caller reads it), then what boto3 reads (AWS_DEFAULT_REGION, the profile)."""
    if regions:
        return validate_regions(regions)
    default = (aws_region or "").strip() or session.region_name
    if not default:
        raise ConfigError("no region given, and none is configured", hint=NO_REGION_HINT)
    return validate_regions([default])


@functools.cache
def _data_loader() -> Any:
    return botocore.session.Session().get_component("data_loader")


@functools.cache
def _builtin_handlers() -> HierarchicalEmitter:
    """botocore's built-in event handlers, registered once, as every new session registers them."""
    emitter = HierarchicalEmitter()
    botocore.session.Session(event_hooks=emitter)
    return emitter


def _core_session(profile: str | None = None) -> botocore.session.Session:
    """A botocore session that starts from a copy of the built-in handlers registered once and
    shares one data loader with every other session made here.

    A new session otherwise registers botocore's built-in handlers one by one (inspecting each
    one's signature) and parses the service models and endpoint rules from JSON again. Over an
    organization, where every account is a session of its own, that CPU rather than the network
    set the pace (bench/prune_organization.py). No handler is registered on the template after it
    is made, and the loader only reads and caches the models, which no client changes."""
    core = botocore.session.Session(
        profile=profile, event_hooks=copy.copy(_builtin_handlers()), include_builtin_handlers=False
    )
    core.register_component("data_loader", _data_loader())
    return core


def assume_role(
    base: boto3.Session, role_arn: str, region: str, options: AwsOptions, sts: Any = None
) -> boto3.Session:
    """A session whose credentials come from assuming role_arn, refreshed before they expire.

    STS is called in `region` (regional endpoint, right partition) rather than the global one,
    through `sts` when given (a client of `base` in `region`, shared by every role a run assumes)
    or a client made for each assumption.
    """
    source = base.get_credentials()
    if source is None:
        raise no_credentials()
    # botocore's fetcher asks for a client signed with the source credentials it froze; a shared
    # client of `base` signs with those same credentials, kept fresh by base's own provider.
    creator = (
        (lambda *_, **__: sts)
        if sts is not None
        else functools.partial(_locked_client, base, region_name=region, config=client_config(options))
    )
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=creator,
        source_credentials=source,
        role_arn=validate_role_arn(role_arn),
        extra_args={"RoleSessionName": options.role_session_name},
    )
    credentials = DeferredRefreshableCredentials(
        method="assume-role", refresh_using=fetcher.fetch_credentials
    )
    core = _core_session()
    # botocore has no public setter for refreshable credentials; this is the same hook the AWS CLI
    # uses for its assume-role profiles.
    core._credentials = credentials
    return boto3.Session(botocore_session=core)


def sts_client(base: boto3.Session, region: str, options: AwsOptions) -> Any:
    """An STS client of `base` in `region`."""
    return _locked_client(base, "sts", region_name=region, config=client_config(options))


def open_account(
    role_arn: str | None,
    region: str,
    options: AwsOptions,
    base: boto3.Session | None = None,
    sts: Any = None,
) -> Account:
    """Resolve credentials (assuming role_arn if given, through `sts` if given: see assume_role)
    and find out which account they belong to, before any planning starts.

    An assumed role is proved by assuming it (one sts:AssumeRole), and its account is the one in
    the role's ARN. The default credentials are proved with one sts:GetCallerIdentity, which
    needs no permission and names their account.
    """
    base = base or base_session()
    target = f"assume {role_arn}" if role_arn else "use the configured credentials"
    try:
        if role_arn:
            session = assume_role(base, role_arn, region, options, sts)
            session.get_credentials().get_frozen_credentials()  # assumes the role now
            return Account(session=session, role_arn=role_arn, account_id=role_arn.split(":")[4])
        identity = sts_client(base, region, options).get_caller_identity()
    except (NoCredentialsError, NoRegionError) as exc:
        raise no_credentials() from exc
    except ClientError as exc:
        raise AwsError(
            f"could not {target}: {describe(exc)}",
            hint="check the credentials and that the role trusts them (sts:AssumeRole)",
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(f"could not reach AWS STS: {exc}", hint="check the network and endpoint") from exc
    return Account(session=base, role_arn=None, account_id=str(identity["Account"]))


def client(account: Account, service: str, region: str, options: AwsOptions) -> Any:
    """A client for one service in one region. Share it between threads: boto3 clients are
    thread-safe, and one client means one adaptive rate limiter for the account and region."""
    return _locked_client(account.session, service, region_name=region, config=client_config(options))


def _locked_client(session: boto3.Session, *args: Any, **kwargs: Any) -> Any:
    with _CLIENTS:
        return session.client(*args, **kwargs)


def create_bucket_in(s3: Any, name: str, region: str) -> None:
    """Create bucket `name` in `region`; one this account already owns (a parallel run made it) is fine."""
    args: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":  # us-east-1 refuses a LocationConstraint naming itself
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**args)
    except ClientError as exc:
        if error_code(exc) != "BucketAlreadyOwnedByYou":
            raise


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ("ResourceNotFoundException"), or the exception's name."""
    if isinstance(exc, ClientError):
        return str(
            exc.response.get("Error", {}).get("Code")
            or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        )
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Message") or "")
    return str(exc)


def is_throttle(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLE_CODES


def describe(exc: BaseException) -> str:
    """A one-line account of a failed call for reports: operation, code, message, retries."""
    if isinstance(exc, ClientError):
        operation = getattr(exc, "operation_name", "") or "call"
        code = error_code(exc)
        message = error_message(exc).strip().splitlines()[0] if error_message(exc).strip() else ""
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        text = f"{operation}: {code}"
        if message and "<" not in message:  # moto answers unknown routes with an HTML page
            text += f" ({message})"
        if is_throttle(exc):
            text += f", still throttled after {int(attempts) + 1} attempts"
        return text
    return f"{type(exc).__name__}: {exc}"


def no_credentials() -> AwsError:
    return AwsError(
        "no AWS credentials found",
        hint="configure credentials (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
    )


def may_have_been_carried_out(exc: BaseException) -> bool:
    """Whether a failed call may still have been carried out by AWS.

    A 4xx answer (other than a throttle, which AWS sends before doing anything) is a refusal, and a
    request that never left (no connection, a bad parameter) did nothing. Anything else (a 5xx, a
    reset or closed connection, no answer before the read timeout) leaves the outcome unknown: the
    request may have been received and acted on after all."""
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return status >= 500 or status == 0
    return not isinstance(
        exc, (ParamValidationError, EndpointConnectionError, ConnectTimeoutError, NoCredentialsError)
    )

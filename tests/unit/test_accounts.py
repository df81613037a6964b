"""builder.accounts, the runner behind every account-wide command, with in-memory accounts: the
order of outcomes, bounded concurrency, accounts that cannot be opened, the stop event."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from builder import accounts, aws
from builder.accounts import Context
from builder.errors import AwsError, ConfigError

WAIT = 10  # seconds before a test that would hang fails instead


@dataclass(frozen=True)
class Fake:
    """An account reached without AWS; `error` makes opening it fail."""

    label: str
    account_id: str = ""
    error: Exception | None = None
    opened: list[str] = field(default_factory=list, compare=False, hash=False)

    def accounts(self, context: Context) -> Sequence[accounts.AccountAccess]:
        return (self,)

    def open(self, context: Context) -> aws.Account:
        self.opened.append(context.region)
        if self.error is not None:
            raise self.error
        return aws.Account(session=None, role_arn=None, account_id=self.account_id or self.label)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Listing:
    """A source that stands for several accounts, like an organization; `error`: listing fails."""

    label: str
    members: tuple[Fake, ...] = ()
    error: Exception | None = None

    def accounts(self, context: Context) -> Sequence[accounts.AccountAccess]:
        if self.error is not None:
            raise self.error
        return self.members


@dataclass(frozen=True)
class PerAccount:
    """Regions that depend on the account, like the regions enabled in each."""

    by_account: dict[str, tuple[str, ...]]
    home: str = "us-east-1"

    def known(self) -> None:
        return None

    def of(self, account: aws.Account, context: Context) -> Sequence[str]:
        if account.account_id not in self.by_account:
            raise AwsError(
                f"cannot list the regions of {account.account_id}", hint="allow account:ListRegions"
            )
        return self.by_account[account.account_id]


def scope(*sources: Any, regions: Any = ("us-east-1", "eu-west-1"), **settings: Any) -> accounts.Scope:
    if isinstance(regions, tuple):
        regions = accounts.Regions(regions)
    return accounts.Scope(accounts=sources, regions=regions, **settings)


def where(outcomes: Sequence[accounts.Outcome[Any]]) -> list[tuple[str, str]]:
    return [(o.account, o.region) for o in outcomes]


def test_one_outcome_per_account_region_in_the_scopes_order_whatever_finishes_first():
    # The first account region is the last to finish: it waits until every other one has.
    others_done = threading.Event()
    finished: list[str] = []
    lock = threading.Lock()

    def work(target: accounts.AccountRegion) -> str:
        if target.label == "111 us-east-1":
            assert others_done.wait(WAIT)
        with lock:
            finished.append(target.label)
            if len(finished) == 5:
                others_done.set()
        return f"did {target.label}"

    outcomes = accounts.run(scope(Fake("111"), Fake("222"), Fake("333")), work)
    assert where(outcomes) == [(a, r) for a in ("111", "222", "333") for r in ("us-east-1", "eu-west-1")]
    assert [o.result for o in outcomes] == [f"did {a} {r}" for a, r in where(outcomes)]
    assert finished[-1] == "111 us-east-1"
    assert all(o.error is None and o.target is not None for o in outcomes)


def test_accounts_are_opened_in_the_home_region():
    source = Fake("111")
    accounts.run(scope(source, regions=("eu-west-1", "us-east-1")), lambda target: None)
    assert source.opened == ["eu-west-1"]


@pytest.mark.parametrize(("workers", "regions"), [(1, 4), (3, 8)])
def test_no_more_regions_run_at_once_than_workers_and_that_many_do(workers, regions):
    names = tuple(aws.validate_regions(["us-east-1", "us-east-2", "us-west-1", "us-west-2"]))
    running, most = 0, 0
    lock = threading.Lock()
    full = threading.Event()

    def work(target: accounts.AccountRegion) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if running == workers:
                full.set()
        full.wait(WAIT)  # the first regions hold their workers until `workers` run together
        with lock:
            running -= 1

    sources = [Fake(str(n)) for n in range(regions // len(names))]
    outcomes = accounts.run(scope(*sources, regions=names, workers=workers), work)
    assert len(outcomes) == regions and all(o.error is None for o in outcomes)
    assert most == workers


def test_no_more_accounts_are_opened_at_once_than_open_workers():
    opening, most = 0, 0
    lock = threading.Lock()
    both = threading.Event()

    @dataclass(frozen=True)
    class Slow(Fake):
        def open(self, context: Context) -> aws.Account:
            nonlocal opening, most
            with lock:
                opening += 1
                most = max(most, opening)
                if opening == 2:
                    both.set()
            both.wait(WAIT)
            with lock:
                opening -= 1
            return super().open(context)

    outcomes = accounts.run(scope(*(Slow(str(n)) for n in range(5)), open_workers=2), lambda t: None)
    assert len(outcomes) == 10 and most == 2


def test_an_account_that_cannot_be_opened_fails_its_own_regions_only():
    denied = AwsError(
        "could not assume arn:aws:iam::222222222222:role/x: AccessDenied", hint="check the trust"
    )
    unreachable = EndpointConnectionError(endpoint_url="https://sts.us-east-1.amazonaws.com")
    ran: list[str] = []
    outcomes = accounts.run(
        scope(Fake("111"), Fake("role/x", error=denied), Fake("role/y", error=unreachable), Fake("444")),
        lambda target: ran.append(target.label),
    )
    assert where(outcomes) == [
        (a, r) for a in ("111", "role/x", "role/y", "444") for r in ("us-east-1", "eu-west-1")
    ]
    failed = {o.label: o.error for o in outcomes if o.error is not None}
    assert set(failed) == {"role/x us-east-1", "role/x eu-west-1", "role/y us-east-1", "role/y eu-west-1"}
    x = failed["role/x eu-west-1"]
    assert x is not None and x.opening and x.hint == "check the trust" and x.exit_code == 9
    y = failed["role/y us-east-1"]
    assert y is not None and "EndpointConnectionError" in y.message
    assert sorted(ran) == ["111 eu-west-1", "111 us-east-1", "444 eu-west-1", "444 us-east-1"]


def test_when_every_account_fails_the_runner_still_returns_every_outcome_and_raises_nothing():
    missing = AwsError("no AWS credentials found", hint="configure credentials")
    notices: list[tuple[str, str, str | None]] = []
    outcomes = accounts.run(
        scope(Fake("default credentials", error=missing)),
        lambda target: pytest.fail("nothing may run without an account"),
        progress=lambda *notice: notices.append(notice),
    )
    assert where(outcomes) == [("default credentials", "us-east-1"), ("default credentials", "eu-west-1")]
    assert {o.error.message for o in outcomes if o.error} == {"no AWS credentials found"}
    assert all(o.result is None and o.target is None for o in outcomes)
    # The error as it was raised, for the command to print when it was its only account.
    error = outcomes[0].error
    assert error is not None and (error.hint, error.exit_code) == (missing.hint, missing.exit_code)
    assert ("default credentials us-east-1", accounts.FAILED, "no AWS credentials found") in notices
    # And once for the account as a whole, whatever its error says: a report of skipped accounts.
    skipped = [notice for notice in notices if notice[1] == accounts.SKIPPED]
    assert skipped == [("default credentials", accounts.SKIPPED, "no AWS credentials found")]


def test_the_functions_own_errors_are_outcomes_and_anything_else_is_a_bug_that_is_raised():
    def work(target: accounts.AccountRegion) -> int:
        if target.region == "eu-west-1":
            raise ConfigError("the bucket is in another region", hint="use --bucket NAME-{region}")
        return 1

    outcomes = accounts.run(scope(Fake("111")), work)
    assert [o.result for o in outcomes] == [1, None]
    error = outcomes[1].error
    assert error is not None and not error.opening and error.exit_code == 2 and error.hint

    with pytest.raises(KeyError):
        accounts.run(scope(Fake("111")), lambda target: dict[str, int]()["missing"])


def test_a_source_that_lists_accounts_and_regions_per_account():
    members = (Fake("mgmt", "100000000000"), Fake("arn:aws:iam::2:role/ops", "200000000000"))
    regions = PerAccount({"100000000000": ("us-east-1",), "200000000000": ("eu-west-1", "eu-north-1")})
    broken = Listing("organization o-broken", error=AwsError("organizations:ListAccounts denied"))
    outcomes = accounts.run(
        scope(Listing("organization o-1", members), broken, Fake("300000000000"), regions=regions),
        lambda target: target.label,
    )
    assert where(outcomes) == [
        ("100000000000", "us-east-1"),
        ("200000000000", "eu-west-1"),
        ("200000000000", "eu-north-1"),
        ("organization o-broken", accounts.EVERY_REGION),
        ("300000000000", accounts.EVERY_REGION),
    ]
    assert [o.error.message if o.error else o.result for o in outcomes][-2:] == [
        "organizations:ListAccounts denied",
        "cannot list the regions of 300000000000",
    ]


def test_once_stop_is_set_nothing_new_starts_and_what_did_not_start_says_so():
    stop = threading.Event()
    ran: list[str] = []

    def work(target: accounts.AccountRegion) -> str:
        ran.append(target.label)
        stop.set()  # Ctrl-C while the first region runs
        return "done"

    outcomes = accounts.run(scope(Fake("111"), Fake("222"), workers=1, open_workers=1), work, stop=stop)
    assert ran == ["111 us-east-1"]
    assert outcomes[0].result == "done" and outcomes[0].error is None
    assert all(o.error is not None and o.error.stopped and o.result is None for o in outcomes[1:])
    assert len(outcomes) == 4


def test_then_runs_a_second_step_where_the_first_had_a_result_and_keeps_it_when_the_step_fails():
    first = accounts.run(
        scope(Fake("111"), Fake("222", error=AwsError("no access"))),
        lambda target: [target.region],
    )

    def apply(target: accounts.AccountRegion, done: list[str]) -> list[str]:
        if target.region == "eu-west-1":
            raise AwsError("throttled", hint="run again later")
        return [*done, "applied"]

    second = accounts.then(first, apply, workers=2)
    assert where(second) == where(first)
    assert second[0].result == ["us-east-1", "applied"] and second[0].error is None
    assert second[1].result == ["eu-west-1"] and second[1].error and second[1].error.message == "throttled"
    assert second[2:] == first[2:]  # the account that never opened is passed on as it was

    stop = threading.Event()
    stop.set()
    stopped = accounts.then(first[:2], apply, stop=stop)
    assert [o.result for o in stopped] == [["us-east-1"], ["eu-west-1"]]
    assert all(o.error and o.error.stopped for o in stopped)


def test_a_scope_of_roles_checks_its_regions_and_defaults_to_the_default_credentials():
    default = accounts.Scope.of([], ["eu-west-1", "eu-west-1"])
    assert default.accounts == (accounts.Role(),) and default.regions.known() == ("eu-west-1",)
    assert accounts.Role().label == "default credentials"
    roles = accounts.Scope.of(["arn:aws:iam::111111111111:role/a", None], ["us-east-1"])
    assert [source.label for source in roles.accounts] == [
        "arn:aws:iam::111111111111:role/a",
        "default credentials",
    ]
    with pytest.raises(ConfigError, match="did you mean 'eu-west-1'"):
        accounts.Scope.of([None], ["eu-wset-1"])
    with pytest.raises(ConfigError, match="no region given"):
        accounts.Regions(())

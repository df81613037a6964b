"""The AWS sweep: for each memory size, set it, publish a version, invoke that version, read REPORT.

What it changes on the function it puts back, whatever happens (an error, a throttle storm,
Ctrl-C): every version it published is deleted (only those: a version that existed before is
never touched, even when Lambda hands it back because nothing changed since it was published),
and MemorySize is set back to what it was. Every change is made with the RevisionId last seen, so
a deploy by someone else during the sweep makes Lambda refuse the next change
(PreconditionFailedException): the sweep then stops, deletes its versions, leaves the function's
configuration to whoever changed it, and says so.

Clients are handed in: `control` for configuration calls (botocore's retries on), `invoker` for
Invoke with botocore's retries off, so throttles are counted and retried here, with a stop check
between attempts.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from builder import aws
from builder.errors import AwsError, ConfigError
from builder.tune import reportline
from builder.tune.model import Measurement
from builder.tune.prices import Prices

Notify = Callable[[str], None]
DESCRIPTION = "layer-builder tune: {memory} MB (deleted when the sweep ends)"
UPDATE_WAIT_SECONDS = 120.0
POLL_SECONDS = 1.0
THROTTLE_ATTEMPTS = 6  # per invocation, before the sweep gives up (about 3 s of backoff)
THROTTLE_BACKOFF = 0.1  # seconds, doubled after each throttle up to THROTTLE_BACKOFF_MAX
THROTTLE_BACKOFF_MAX = 2.0


class ConcurrentChange(AwsError):
    """Someone else changed the function during the sweep: nothing of theirs is overwritten."""


class Throttled(AwsError):
    """Lambda kept refusing invocations after every retry."""


@dataclass(frozen=True, kw_only=True)
class SweepRequest:
    function: str
    memory: tuple[int, ...]
    runs: int
    parallel: int
    payload: bytes


@dataclass(frozen=True, kw_only=True)
class Original:
    """The function as it was before the sweep, and what identifies that state."""

    name: str
    arn: str
    memory_mb: int
    revision_id: str
    last_modified: str
    arch: str
    runtime: str
    versions: frozenset[str]  # published versions that existed before the sweep


@dataclass
class Cleanup:
    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "version: why"
    restored: bool = False
    problem: str | None = None  # why the configuration was not restored

    def summary(self, original: Original) -> str:
        parts = [f"deleted versions {', '.join(self.deleted)}" if self.deleted else "published no version"]
        if self.failed:
            parts.append(f"could NOT delete {'; '.join(self.failed)}")
        if self.restored:
            parts.append(f"memory restored to {original.memory_mb} MB")
        elif self.problem:
            parts.append(self.problem)
        return "; ".join(parts)


@dataclass
class Outcome:
    original: Original
    measurements: list[Measurement]
    cleanup: Cleanup
    throttles: int
    interrupted: bool


def read_function(control: Any, function: str) -> Original:
    """The function's configuration, refused when it cannot be swept now."""
    try:
        config = control.get_function_configuration(FunctionName=function)
    except ClientError as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            raise ConfigError(
                f"function {function} does not exist in this region",
                hint="check the name and --region (`aws lambda list-functions --region R`)",
            ) from exc
        raise AwsError(f"cannot read function {function}: {aws.describe(exc)}") from exc
    except BotoCoreError as exc:
        raise AwsError(f"cannot reach Lambda: {exc}", hint="check the network and --region") from exc
    if str(config.get("Version", "$LATEST")) != "$LATEST":
        raise ConfigError(
            f"{function} names version {config['Version']}: tune sets memory on $LATEST",
            hint="pass the function's name or unqualified ARN",
        )
    status = config.get("LastUpdateStatus")
    if status == "InProgress" or config.get("State") == "Pending":
        raise ConfigError(
            f"function {config['FunctionName']} is being updated (LastUpdateStatus {status}, State {config.get('State')})",
            hint="wait until the update finishes (`aws lambda wait function-updated-v2`), then run tune again",
        )
    versions: set[str] = set()
    try:
        for page in control.get_paginator("list_versions_by_function").paginate(
            FunctionName=config["FunctionName"]
        ):
            versions.update(str(v["Version"]) for v in page.get("Versions", []))
    except ClientError as exc:
        raise AwsError(f"cannot list the versions of {function}: {aws.describe(exc)}") from exc
    return Original(
        name=str(config["FunctionName"]),
        arn=str(config["FunctionArn"]),
        memory_mb=int(config["MemorySize"]),
        revision_id=str(config.get("RevisionId", "")),
        last_modified=str(config.get("LastModified", "")),
        arch=str((config.get("Architectures") or ["x86_64"])[0]),
        runtime=str(config.get("Runtime") or config.get("PackageType", "")),
        versions=frozenset(versions - {"$LATEST"}),
    )


class Sweep:
    def __init__(
        self,
        control: Any,
        invoker: Any,
        request: SweepRequest,
        prices: Prices,
        stop: threading.Event,
        notify: Notify,
        *,
        backoff: float = THROTTLE_BACKOFF,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.control = control
        self.invoker = invoker
        self.request = request
        self.prices = prices
        self.stop = stop
        self.notify = notify
        self.backoff = backoff
        self.poll = poll
        self.created: list[str] = []
        self.revision = ""
        self.last_modified = ""
        self.memory_now: int | None = None
        self.throttles = 0
        self._lock = threading.Lock()
        self._given_up = threading.Event()  # one invocation gave up: the others do not start

    # ---- the whole sweep --------------------------------------------------------------------

    def run(self, original: Original) -> Outcome:
        self.revision, self.last_modified = original.revision_id, original.last_modified
        self.memory_now = original.memory_mb
        measurements: list[Measurement] = []
        try:
            for memory in self.request.memory:
                if self.stop.is_set():
                    break
                measurements.append(self._size(original, memory))
        except AwsError as exc:
            # Whoever changed the function concurrently keeps their configuration.
            concurrent = isinstance(exc, ConcurrentChange)
            done = self.cleanup(original, restore=not concurrent)
            if concurrent:
                done.problem = self._left_alone(original)
            raise type(exc)(f"{exc.message}; cleanup: {done.summary(original)}", hint=exc.hint) from exc
        except BaseException:
            self.cleanup(original, restore=True)
            raise
        cleanup = self.cleanup(original, restore=True)
        return Outcome(
            original=original,
            measurements=measurements,
            cleanup=cleanup,
            throttles=self.throttles,
            interrupted=self.stop.is_set(),
        )

    def _left_alone(self, original: Original) -> str:
        return (
            f"configuration NOT restored: someone else changed {original.name} during the sweep; its "
            f"memory may now be {self.memory_now} MB (it was {original.memory_mb} MB before tune)"
        )

    # ---- one size ---------------------------------------------------------------------------

    def _size(self, original: Original, memory: int) -> Measurement:
        self.notify(f"{memory} MB: setting memory, publishing a version")
        self._update(original, MemorySize=memory)
        self.memory_now = memory
        version = self._publish(original, memory)
        self.notify(f"{memory} MB: invoking version {version} {self.request.runs} times")
        reports, errors, oom = self._invoke_all(original, version)
        return _measurement(memory, self.prices.vcpus(memory), reports, errors, oom, self.stop.is_set())

    def _update(self, original: Original, **change: Any) -> None:
        try:
            answer = self.control.update_function_configuration(
                FunctionName=original.name, RevisionId=self.revision, **change
            )
        except ClientError as exc:
            raise self._refused(original, exc, "update the configuration") from exc
        self.revision = str(answer.get("RevisionId", self.revision))
        self.last_modified = str(answer.get("LastModified", self.last_modified))
        self._wait_updated(original)

    def _wait_updated(self, original: Original) -> None:
        deadline = time.monotonic() + UPDATE_WAIT_SECONDS
        while True:
            config = self._config(original)
            status = config.get("LastUpdateStatus", "Successful")
            if status != "InProgress":
                if status == "Failed":
                    raise AwsError(
                        f"Lambda could not apply the change to {original.name}: "
                        f"{config.get('LastUpdateStatusReason', 'no reason given')}"
                    )
                return
            if time.monotonic() > deadline:
                raise AwsError(f"{original.name} was still updating after {UPDATE_WAIT_SECONDS:.0f} s")
            time.sleep(self.poll)

    def _config(self, original: Original) -> dict[str, Any]:
        """Reads $LATEST; a LastModified that is not ours means someone else changed it."""
        try:
            config: dict[str, Any] = self.control.get_function_configuration(FunctionName=original.name)
        except ClientError as exc:
            raise AwsError(f"cannot read {original.name}: {aws.describe(exc)}") from exc
        if self.last_modified and str(config.get("LastModified", "")) != self.last_modified:
            raise ConcurrentChange(
                f"{original.name} was changed by someone else during the sweep (LastModified "
                f"{config.get('LastModified')}, tune's last change {self.last_modified}): stopped",
                hint="nothing of theirs was overwritten; run tune again when nobody deploys",
            )
        self.revision = str(config.get("RevisionId", self.revision))
        return config

    def _publish(self, original: Original, memory: int) -> str:
        try:
            answer = self.control.publish_version(
                FunctionName=original.name,
                RevisionId=self.revision,
                Description=DESCRIPTION.format(memory=memory),
            )
        except ClientError as exc:
            raise self._refused(original, exc, "publish a version") from exc
        version = str(answer["Version"])
        if version not in original.versions and version not in self.created:
            self.created.append(version)  # ours from now on: deleted at the end, whatever happens
        elif int(answer.get("MemorySize", memory)) != memory:
            raise AwsError(f"Lambda answered PublishVersion with version {version} of another configuration")
        self._config(
            original
        )  # publishing may give $LATEST a new RevisionId; adopt it if nobody else changed it
        return version

    def _refused(self, original: Original, exc: ClientError, doing: str) -> AwsError:
        if aws.error_code(exc) == "PreconditionFailedException":
            return ConcurrentChange(
                f"{original.name} was changed by someone else during the sweep: Lambda refused to "
                f"{doing} with tune's RevisionId ({aws.error_message(exc)}); stopped",
                hint="nothing of theirs was overwritten; run tune again when nobody deploys",
            )
        if aws.error_code(exc) == "ResourceConflictException":
            return ConcurrentChange(
                f"{original.name} is being changed by someone else: {aws.describe(exc)}; stopped",
                hint="nothing of theirs was overwritten; run tune again when nobody deploys",
            )
        return AwsError(f"cannot {doing} on {original.name}: {aws.describe(exc)}")

    # ---- invocations ------------------------------------------------------------------------

    def _invoke_all(self, original: Original, version: str) -> tuple[list[reportline.ReportLine], int, bool]:
        with ThreadPoolExecutor(max_workers=self.request.parallel) as pool:
            futures = [pool.submit(self._invoke, original, version) for _ in range(self.request.runs)]
            results = [future.result() for future in futures]
        reports = [r for r, _ in results if r is not None]
        errors = sum(1 for _, error in results if error)
        oom = any(r.out_of_memory for r in reports) or any(e == "Runtime.OutOfMemory" for _, e in results)
        return reports, errors, oom

    def _invoke(self, original: Original, version: str) -> tuple[reportline.ReportLine | None, str | None]:
        """One invocation: (its REPORT, None) or (its REPORT or None, the error type)."""
        delay = self.backoff
        for _attempt in range(THROTTLE_ATTEMPTS):
            if self.stop.is_set() or self._given_up.is_set():
                return None, None
            try:
                answer = self.invoker.invoke(
                    FunctionName=original.name,
                    Qualifier=version,
                    LogType="Tail",
                    Payload=self.request.payload,
                )
            except ClientError as exc:
                if not aws.is_throttle(exc):
                    self._given_up.set()
                    raise AwsError(f"cannot invoke {original.name}:{version}: {aws.describe(exc)}") from exc
                with self._lock:
                    self.throttles += 1
                self.stop.wait(delay)
                delay = min(delay * 2, THROTTLE_BACKOFF_MAX)
                continue
            return _answer(answer)
        self._given_up.set()
        raise Throttled(
            f"Lambda throttled every one of {THROTTLE_ATTEMPTS} attempts to invoke {original.name}:{version}",
            hint="raise the function's concurrency (or lower --parallel), then run tune again",
        )

    # ---- putting things back ----------------------------------------------------------------

    def cleanup(self, original: Original, *, restore: bool) -> Cleanup:
        """Delete our versions and set the memory back. Runs after Ctrl-C too: ignores `stop`."""
        done = Cleanup()
        for version in self.created:
            try:
                self.control.delete_function(FunctionName=original.name, Qualifier=version)
                done.deleted.append(version)
            except ClientError as exc:
                if aws.error_code(exc) == "ResourceNotFoundException":
                    done.deleted.append(version)
                else:
                    done.failed.append(f"{version}: {aws.describe(exc)}")
            except BotoCoreError as exc:
                done.failed.append(f"{version}: {exc}")
        if restore and self.memory_now != original.memory_mb:
            try:
                self._update(original, MemorySize=original.memory_mb)
                self.memory_now = original.memory_mb
                done.restored = True
            except ConcurrentChange:
                done.problem = self._left_alone(original)
            except (AwsError, ClientError, BotoCoreError) as exc:
                done.problem = (
                    f"memory NOT restored to {original.memory_mb} MB ({exc}); set it back with "
                    f"`aws lambda update-function-configuration --function-name {original.name} "
                    f"--memory-size {original.memory_mb}`"
                )
        elif restore:
            done.restored = True
        return done

    def apply(self, original: Original, memory: int) -> None:
        """--apply: set the recommended size, with the RevisionId left by the restore."""
        if memory != self.memory_now:
            self._update(original, MemorySize=memory)
            self.memory_now = memory


def _answer(answer: dict[str, Any]) -> tuple[reportline.ReportLine | None, str | None]:
    report = reportline.parse(reportline.decode_tail(answer.get("LogResult")))
    if not answer.get("FunctionError"):
        return report, None
    error_type = "Unhandled"
    try:
        body = json.loads(answer["Payload"].read() or b"{}")
        error_type = str(body.get("errorType") or error_type) if isinstance(body, dict) else error_type
    except (ValueError, KeyError, AttributeError):
        pass
    if report is not None and report.error_type:
        error_type = report.error_type
    return report, error_type


def _measurement(
    memory: int,
    vcpus: float,
    reports: list[reportline.ReportLine],
    errors: int,
    oom: bool,
    stopped: bool,
) -> Measurement:
    good = [r for r in reports if r.error_type is None]
    cold = [r for r in good if r.init_ms is not None]
    warm = [r.duration_ms for r in good if r.init_ms is None]
    used = [r.max_memory_mb for r in reports if r.max_memory_mb is not None]
    common: dict[str, Any] = {
        "memory_mb": memory,
        "vcpus": vcpus,
        "init_ms": tuple(r.init_ms for r in cold if r.init_ms is not None),
        "first_ms": tuple(r.duration_ms for r in cold),
        "warm_ms": tuple(warm),
        "max_memory_mb": max(used) if used else None,
        "errors": errors,
    }
    if oom:
        return Measurement(**common, status="oom", note=f"out of memory at {memory} MB")
    if not good:
        if stopped:
            return Measurement(**common, status="stopped", note="stopped before any invocation finished")
        return Measurement(**common, status="error", note="every invocation failed")
    return Measurement(**common, status="ok")

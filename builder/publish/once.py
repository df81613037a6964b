"""PublishLayerVersion exactly once per content and region, even when AWS answers late or never.

PublishLayerVersion is not idempotent: every call that Lambda receives makes a new version, even
for identical content (https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html).
So the call is never retried blindly (the client handed in makes one attempt):

- when the outcome of a call is unknown (a 5xx, a reset or closed connection, no answer before the
  read timeout), the layer's versions newer than the plan's are read first; one with this
  content's CodeSha256 is the lost answer and is adopted, and only when there is none is the call
  made again;
- two runs publishing the same content to the same region at once both make a version; after
  publishing, each run looks at the versions between the plan's newest and its own. If one of them
  has the same content, the lower number wins: this run deletes its own version and uses that one,
  and says so. Version numbers only grow, so both runs agree on which one stays.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from builder import aws
from builder.publish import state

# Between attempts after a throttle or a lost answer: 0.5 s, 1 s, 2 s, ... at most 10 s, jittered.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


@dataclass(frozen=True, kw_only=True)
class Published:
    version: int
    arn: str
    code_sha256: str  # what Lambda reports for the version
    notes: tuple[str, ...] = ()  # what happened on the way: an answer lost, a duplicate removed


def publish(
    lam: Any,
    publisher: Any,
    args: dict[str, Any],
    *,
    code_sha256: str,
    known: int,
    attempts: int,
    sleep: Callable[[float], None] = time.sleep,
) -> Published:
    """Publish `args` (PublishLayerVersion's arguments) once. `lam` reads and deletes (it may retry),
    `publisher` publishes (one attempt per call), `known` is the newest version number the plan saw
    (0 for none): every version above it with this content was made by this publication or a
    concurrent one."""
    name = str(args["LayerName"])
    notes: list[str] = []
    published: Published | None = None
    for attempt in range(1, attempts + 1):
        try:
            answer = publisher.publish_layer_version(**args)
        except (ClientError, BotoCoreError) as exc:
            if aws.may_have_been_carried_out(exc):
                found = _matching(lam, name, code_sha256, above=known)
                if found:
                    notes.append(
                        f"the answer to publishing was lost ({aws.describe(exc)}); version {found[0].version} "
                        "has this content: it is used, nothing was published again"
                    )
                    published = found[0]
                    break
            elif not _retryable(exc):
                raise
            if attempt == attempts:
                raise
            sleep(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0))
            continue
        published = Published(
            version=int(answer["Version"]),
            arn=str(answer["LayerVersionArn"]),
            code_sha256=str(answer.get("Content", {}).get("CodeSha256", "")),
        )
        break
    assert published is not None  # the loop breaks with one or raises
    return _settle(lam, name, code_sha256, known, published, tuple(notes))


def _retryable(exc: BaseException) -> bool:
    """A failure that certainly did nothing and may pass on another try."""
    return aws.is_throttle(exc) or isinstance(exc, (EndpointConnectionError, ConnectTimeoutError))


def _settle(
    lam: Any, name: str, code_sha256: str, known: int, mine: Published, notes: tuple[str, ...]
) -> Published:
    """If a lower version above `known` has the same content, delete `mine` and use that one."""
    if mine.code_sha256 != code_sha256:
        return dataclasses.replace(mine, notes=notes)
    earlier = _matching(lam, name, code_sha256, above=known, below=mine.version)
    if not earlier:
        return dataclasses.replace(mine, notes=notes)
    keep = earlier[0]
    try:
        lam.delete_layer_version(LayerName=name, VersionNumber=mine.version)
        note = (
            f"another run published the same content at the same time (version {keep.version}); "
            f"deleted version {mine.version}, which this run made, and used {keep.version}"
        )
    except (ClientError, BotoCoreError) as exc:
        note = (
            f"another run published the same content at the same time (version {keep.version}); version "
            f"{mine.version}, which this run made, is a duplicate and could not be deleted "
            f"({aws.describe(exc)}): delete it with `aws lambda delete-layer-version --layer-name {name} "
            f"--version-number {mine.version}`"
        )
    return Published(version=keep.version, arn=keep.arn, code_sha256=keep.code_sha256, notes=(*notes, note))


def _matching(
    lam: Any, name: str, code_sha256: str, *, above: int, below: int | None = None
) -> list[Published]:
    """The versions of `name` above `above` (and below `below`, if given) whose content is
    `code_sha256`, lowest first.

    ListLayerVersions has no CodeSha256: each candidate is read with GetLayerVersion (there is
    rarely more than one, and none after a publication nobody else raced)."""
    try:
        versions = state.list_versions(lam, name)
    except ClientError as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            return []
        raise
    found: list[Published] = []
    for item in sorted(versions, key=lambda v: int(v["Version"])):
        number = int(item["Version"])
        if number <= above or (below is not None and number >= below):
            continue
        try:
            content = lam.get_layer_version(LayerName=name, VersionNumber=number)["Content"]
        except ClientError as exc:
            if aws.error_code(exc) == "ResourceNotFoundException":  # deleted meanwhile
                continue
            raise
        if content.get("CodeSha256") == code_sha256:
            found.append(Published(version=number, arn=str(item["LayerVersionArn"]), code_sha256=code_sha256))
    return found

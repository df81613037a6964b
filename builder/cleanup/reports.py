"""Read the scheduled jobs' reports from a central bucket: the newest per account and region.

The StackSet deployment makes every account's job write ACCOUNT/REGION/YYYY-MM-DD.json there, so
`storage --from-reports s3://BUCKET[/PREFIX]` shows the whole organization with S3 reads in the
bucket's own account and no call into any member account.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from builder.aws import describe
from builder.errors import AwsError, ConfigError

KEY = re.compile(r"(?:.*/)?(?P<account>\d{12})/(?P<region>[a-z0-9-]+)/(?P<date>\d{4}-\d{2}-\d{2})\.json$")


@dataclass(frozen=True, kw_only=True)
class Row:
    account: str
    region: str
    date: str
    used: int
    limit: int
    freed: int  # what the job's prune plan would free (or freed)
    unused: int  # bytes held by functions not invoked in the window
    unused_count: int
    error: str | None


def parse_location(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise ConfigError(f"--from-reports takes s3://BUCKET[/PREFIX], got {url!r}")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""


def read(s3: Any, url: str) -> list[Row]:
    bucket, prefix = parse_location(url)
    newest: dict[tuple[str, str], tuple[str, str]] = {}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                found = KEY.match(str(obj["Key"]))
                if found is None:
                    continue
                where = (found["account"], found["region"])
                if where not in newest or newest[where][0] < found["date"]:
                    newest[where] = (found["date"], str(obj["Key"]))
        rows = [_row(s3, bucket, key, *where, date) for where, (date, key) in sorted(newest.items())]
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(
            f"could not read the reports in {url}: {describe(exc)}",
            hint="check s3:ListBucket and s3:GetObject on the report bucket",
        ) from exc
    return rows


def _row(s3: Any, bucket: str, key: str, account: str, region: str, date: str) -> Row:
    data = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    plan = data.get("plan") or {}
    usage = plan.get("usage") or {}
    return Row(
        account=account,
        region=region,
        date=date,
        used=int(usage.get("used_bytes") or 0),
        limit=int(usage.get("limit_bytes") or 0),
        freed=int(plan.get("freed_bytes") or 0),
        unused=int(plan.get("unused_bytes") or 0),
        unused_count=len(plan.get("unused_functions") or []),
        error=data.get("error"),
    )

"""Lambda's REPORT log line, as Invoke returns it in the log tail (LogType=Tail).

    REPORT RequestId: 8f5...\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\t
    Max Memory Used: 70 MB\tInit Duration: 150.12 ms

(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html). Init Duration is there only
for the first invocation of an execution environment (a cold start); a function that ran out of
memory adds "Status: error" and "Error Type: Runtime.OutOfMemory".
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

FIELD = re.compile(
    r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([\d.]+) (?:ms|MB)"
)
ERROR_TYPE = re.compile(r"Error Type: (\S+)")


@dataclass(frozen=True, kw_only=True)
class ReportLine:
    duration_ms: float
    billed_ms: float | None
    memory_mb: int | None
    max_memory_mb: float | None
    init_ms: float | None  # a cold start
    error_type: str | None

    @property
    def out_of_memory(self) -> bool:
        return self.error_type == "Runtime.OutOfMemory"


def decode_tail(log_result: str | None) -> str:
    if not log_result:
        return ""
    try:
        return base64.b64decode(log_result).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def parse(log: str) -> ReportLine | None:
    """The last REPORT line of the log tail, or None when the tail has none (cut off, or no logs)."""
    lines = [line for line in log.splitlines() if line.startswith("REPORT ")]
    if not lines:
        return None
    fields = {name: float(value) for name, value in FIELD.findall(lines[-1])}
    if "Duration" not in fields:
        return None
    error = ERROR_TYPE.search(lines[-1])
    memory = fields.get("Memory Size")
    return ReportLine(
        duration_ms=fields["Duration"],
        billed_ms=fields.get("Billed Duration"),
        memory_mb=int(memory) if memory is not None else None,
        max_memory_mb=fields.get("Max Memory Used"),
        init_ms=fields.get("Init Duration"),
        error_type=error.group(1) if error else None,
    )

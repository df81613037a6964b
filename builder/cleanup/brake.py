"""Stop starting AWS calls on one account region's client, without touching calls in flight.

Two things pull the brake: the operator (Ctrl-C sets an event shared by every region), and the
control plane, when `limit` calls in a row were still throttled after all their retries. Each
such call costs up to half a minute of backoff, so a throttled run that went on would outlive the
scheduled job's timeout without writing its result; stopping early keeps everything not yet done
for the next run, which plans afresh.

The brake sits at the client seam (botocore's before-call and after-call events), so every read
and every delete obeys it without being told. A refused call raises `Halted` before anything is
sent; retries of a call already started are not calls and are never refused.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import BotoCoreError

from builder.aws import THROTTLE_CODES

# Calls in a row still throttled after their retries before the breaker opens.
DEFAULT_THROTTLE_LIMIT = 3
INTERRUPTED = "interrupted (Ctrl-C)"


class Halted(BotoCoreError):  # type: ignore[misc]  # botocore has no type hints
    """A call that was not started because the brake is on."""

    fmt = "{reason}"


class Brake:
    def __init__(self, *, limit: int = DEFAULT_THROTTLE_LIMIT, stop: threading.Event | None = None) -> None:
        self.limit = limit
        self.stop = stop
        self._lock = threading.Lock()
        self._throttled_in_a_row = 0
        self._tripped: str | None = None

    def attach(self, client: Any) -> Any:
        # client.meta.events is this client's own copy of the emitter: other clients are untouched.
        # First among the handlers of every operation, so nothing answers a call the brake refuses.
        client.meta.events.register_first("before-call.*.*", self._before_call)
        client.meta.events.register("after-call.*.*", self._after_call)
        return client

    @property
    def reason(self) -> str | None:
        """Why no new call starts, or None while calls may start."""
        if self.stop is not None and self.stop.is_set():
            return INTERRUPTED
        return self._tripped

    @property
    def tripped(self) -> bool:
        """True when the throttling breaker (not the operator) stopped this region."""
        return self._tripped is not None

    def _before_call(self, **_: Any) -> None:
        reason = self.reason
        if reason is not None:
            raise Halted(reason=reason)

    def _after_call(self, http_response: Any, parsed: Any, **_: Any) -> None:
        code = str((parsed or {}).get("Error", {}).get("Code") or "")
        throttled = code in THROTTLE_CODES or getattr(http_response, "status_code", 0) == 429
        with self._lock:
            if not throttled:
                self._throttled_in_a_row = 0
                return
            self._throttled_in_a_row += 1
            if self._throttled_in_a_row >= self.limit and self._tripped is None:
                self._tripped = (
                    f"stopped after {self.limit} calls in a row were still throttled after their "
                    "retries; the next run continues"
                )

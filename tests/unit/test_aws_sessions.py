"""Sessions made from botocore's built-in handlers registered once behave as botocore's own."""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore import handlers

from builder import aws

EVENT = "before-call.lambda.ListFunctions"


def _handlers(session: botocore.session.Session, event: str) -> list[Any]:
    """The handlers a client made from `session` runs for `event`, in order."""
    return list(session.get_component("event_emitter")._emitter._handlers.prefix_search(event))


def _every_builtin(session: botocore.session.Session) -> dict[str, list[str]]:
    events = sorted({spec[0].replace("*", "x") for spec in handlers.BUILTIN_HANDLERS})
    return {
        event: [getattr(h, "__qualname__", type(h).__name__) for h in _handlers(session, event)]
        for event in events
    }


def test_a_session_gets_every_builtin_handler_in_botocores_order():
    ours = _every_builtin(aws._core_session())
    assert ours == _every_builtin(botocore.session.Session())
    assert sum(len(found) for found in ours.values()) > 50


def test_a_handler_registered_on_one_session_stays_there():
    first, second = aws._core_session(), aws._core_session()
    first.register(EVENT, lambda **_: None, unique_id="only-first")
    assert len(_handlers(first, EVENT)) == len(_handlers(second, EVENT)) + 1
    assert len(_handlers(aws._core_session(), EVENT)) == len(_handlers(second, EVENT))

"""A small HTTP proxy on 127.0.0.1 in front of the moto server that loses answers on purpose.

Each fault matches requests (method and path) and fires a number of times. Every fault forwards
the request first, so the server carries it out, and then loses the answer:

- "error": answers 500 with Lambda's ServiceException instead of the real answer;
- "reset": resets the connection (RST) without answering;
- "delay": holds the real answer for `seconds` (longer than the client's read timeout).

and one that does not forward:

- "refuse": answers 403 AccessDenied in S3's XML without passing the request on.

Requests that match no fault (or whose fault has fired its count) pass through unchanged.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal["error", "reset", "delay", "refuse"]
ACCESS_DENIED = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>injected</Message></Error>"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "upgrade"}


@dataclass
class Fault:
    kind: Kind
    match: Callable[[str, str], bool]  # (method, path)
    times: int = 1
    seconds: float = 0.0
    fired: int = 0


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, what happened)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        target = urlsplit(self.upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                refusal = proxy._fault(self.command, self.path, refuse=True)
                if refusal is not None:
                    with proxy.lock:
                        proxy.seen.append((self.command, self.path, "refuse"))
                    self.send_response(403, "Forbidden")
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(ACCESS_DENIED)))
                    self.end_headers()
                    self.wfile.write(ACCESS_DENIED)
                    return
                upstream = http.client.HTTPConnection(
                    target.hostname or "127.0.0.1", target.port, timeout=120
                )
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    status, reason, answer_headers = answer.status, answer.reason, answer.getheaders()
                finally:
                    upstream.close()
                fault = proxy._fault(self.command, self.path)
                with proxy.lock:
                    proxy.seen.append((self.command, self.path, fault.kind if fault else "passed"))
                if fault is not None and fault.kind == "reset":
                    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault is not None and fault.kind == "error":
                    data = json.dumps({"Type": "Service", "message": "injected after forwarding"}).encode()
                    status, reason = 500, "Internal Server Error"
                    answer_headers = [
                        ("Content-Type", "application/json"),
                        ("x-amzn-ErrorType", "ServiceException"),
                    ]
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.seconds)
                try:
                    self.send_response(status, reason)
                    for key, value in answer_headers:
                        if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (the delay fault)
                    self.close_connection = True

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(
        self, kind: Kind, match: Callable[[str, str], bool], *, times: int = 1, seconds: float = 0.0
    ) -> Fault:
        fault = Fault(kind=kind, match=match, times=times, seconds=seconds)
        with self.lock:
            self.faults.append(fault)
        return fault

    def _fault(self, method: str, path: str, *, refuse: bool = False) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if (fault.kind == "refuse") != refuse:
                    continue
                if fault.fired < fault.times and fault.match(method, path):
                    fault.fired += 1
                    return fault
        return None


def publish_layer(method: str, path: str) -> bool:
    """PublishLayerVersion: POST /2018-10-31/layers/NAME/versions."""
    return method == "POST" and path.split("?")[0].rstrip("/").endswith("/versions") and "/layers/" in path

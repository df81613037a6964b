"""A moto server on 127.0.0.1 with the Lambda behaviour moto lacks, for tests and bench/prune.py.

moto (5.x) does not implement GetAccountSettings or provisioned concurrency configs, and it
returns every item of a listing in one page. This WSGI layer sits in front of moto's app and:

- answers GetAccountSettings with AWS's response shape, computing AccountUsage.TotalCodeSize
  from moto's own state (every function version and layer version) and AccountLimit from a
  settable quota (AWS's default 75 GB);
- stores provisioned concurrency configs (Put/List/Get/Delete) with AWS's validation: a
  published version or an alias, never $LATEST, of a function that exists;
- pages ListFunctions, ListLayers, ListLayerVersions (50 items at most per page, as AWS does) and
  ListEventSourceMappings (100), with Marker/NextMarker, so the tool's pagination is exercised;
- injects faults (throttling, access denied, Lambda@Edge replica refusals, a region that refuses
  every call) on matching requests, with the status, x-amzn-ErrorType header and body AWS sends;
  throttling that never lets up outlasts any client's retries;
- refuses a PublishLayerVersion request over 69,905,067 bytes (a zip over 50 MB sent directly)
  with AWS's RequestEntityTooLargeException;
- stores AddLayerVersionPermission statements in AWS's shape (an account as
  arn:aws:iam::ID:root, an organization as a PrincipalOrgID condition) and refuses a statement id
  that is already there (ResourceConflictException), where moto keeps the request's raw fields
  and duplicates;
- honours S3's ExpectedBucketOwner (403 AccessDenied for a bucket of another account; moto
  ignores it) and records every S3 request, so tests can check the header is on each call;
- can add a fixed latency to every request (`latency`, seconds), as AWS's round trips have;
- gives GetLayerVersion a Content.Location that serves the zip (moto answers "s3://");
- refuses SSM PutParameter names that Parameter Store refuses and moto takes (it checks only the
  aws/ssm prefixes): other characters than a-zA-Z0-9_.-/, levels without a leading "/", more than
  15 levels (HierarchyLevelLimitExceededException), over 1011 characters with the ARN's prefix;
- holds matching requests for a set time before answering them (a delete that takes a while),
  so a test can act while calls are in flight;
- gives functions a RevisionId (moto has none) that every change of $LATEST renews, and refuses
  UpdateFunctionConfiguration, UpdateFunctionCode and PublishVersion with a stale RevisionId
  (412 PreconditionFailedException, as AWS does); keeps $LATEST's LastModified current on
  configuration changes (moto leaves it at creation);
- answers PublishVersion with the last published version when nothing changed since it was
  published (AWS compares the configuration and code; moto only remembers whether any update
  call came since);
- can report a function as being updated (LastUpdateStatus InProgress);
- answers Invoke itself (moto would need Docker to run code): a REPORT line in the log tail whose
  durations follow the version's memory (`invoke_model`), Init Duration on the first call of each
  version, Runtime.OutOfMemory below the model's memory use; every invocation is recorded.
- answers ListFunctionUrlConfigs (moto serves the single-URL calls only) from moto's state;
- refuses sts:AssumeRole into the accounts a test names (moto's STS lets anyone assume any role),
  with STS's AccessDenied answer, as AWS does for a role whose trust policy does not allow the
  caller (an account of the organization without the expected role);
- counts every request per account and service (`calls`), for the benchmark.

Everything else (including moto's habit of deleting a version an alias points to, which AWS
refuses) is left as moto does it: the tool must not rely on AWS refusing a delete.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from moto.awslambda.models import lambda_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.s3.models import s3_backends
from werkzeug.serving import make_server

DEFAULT_LIMIT = 80_530_636_800  # AWS's default code storage quota per region (75 GB)

PAGE_SIZES = {  # path pattern -> (result key, AWS's page size)
    re.compile(r"^/2015-03-31/functions/?$"): ("Functions", 50),
    re.compile(r"^/2018-10-31/layers/?$"): ("Layers", 50),
    re.compile(r"^/2018-10-31/layers/[^/]+/versions/?$"): ("LayerVersions", 50),
    re.compile(r"^/2015-03-31/event-source-mappings/?$"): ("EventSourceMappings", 100),
}
URL_CONFIGS = re.compile(r"^/2021-10-31/functions/(?P<name>[^/]+)/urls/?$")
ACCOUNT_SETTINGS = re.compile(r"^/2016-08-19/account-settings/?$")
PROVISIONED = re.compile(r"^/2019-09-30/functions/(?P<name>[^/]+)/provisioned-concurrency/?$")
CREDENTIAL = re.compile(r"Credential=(?P<key>[^/]+)/\d+/(?P<region>[^/]+)/(?P<service>[^/]+)/")
PUBLISH_LAYER = re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)/versions/?$")
LAYER_POLICY = re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)/versions/(?P<version>\d+)/policy/?$")
# PublishLayerVersion's request limit: a 50 MB zip in base64 (the message AWS sends is quoted in
# https://github.com/amazon-archives/aws-lambda-container-image-converter/issues/60).
LAYER_VERSION = re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)/versions/(?P<version>\d+)/?$")
# Where this server serves a layer version's zip: AWS's GetLayerVersion gives a presigned S3 URL.
LAYER_CONTENT = re.compile(
    r"^/layer-content/(?P<account>\d+)/(?P<region>[a-z0-9-]+)/(?P<name>[^/]+)/(?P<version>\d+)$"
)
PUBLISH_REQUEST_LIMIT = 69_905_067
FUNCTION = re.compile(
    r"^/2015-03-31/functions/(?P<name>[^/]+)(?P<rest>/configuration|/code|/versions|/invocations)?/?$"
)
STALE_REVISION = (
    "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
    "to retrieve the latest Revision Id"
)
# What PublishVersion compares to decide whether $LATEST differs from the last published version.
PUBLISHED_FIELDS = (
    "CodeSha256",
    "MemorySize",
    "Timeout",
    "Handler",
    "Runtime",
    "Environment",
    "Layers",
    "Role",
)


@dataclass
class InvokeModel:
    """How long a call of a function "takes" at a memory size: single-threaded CPU work that gets
    memory / 1,769 MB of one vCPU, at most one."""

    work_ms: float = 1000.0  # at one full vCPU
    init_ms: float = 250.0  # at one full vCPU
    used_mb: int = 60  # a size below this runs out of memory

    def scale(self, memory: int) -> float:
        return max(1769 / memory, 1.0)


@dataclass
class Invocation:
    function: str
    version: str
    memory: int
    cold: bool


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    account: str
    region: str
    body: bytes = b""
    size: int = 0  # the request body's length in bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class S3Request:
    method: str
    path: str
    query: str
    bucket: str | None
    account: str
    expected_owner: str | None


@dataclass
class Fault:
    """Answer matching requests with an AWS error instead of passing them on."""

    match: Callable[[Request], bool]
    status: int
    code: str
    message: str
    every: int = 1  # fail every n-th matching request (1: all of them)
    times: int | None = None  # stop after failing this many (None: never stop)
    seen: int = 0
    failed: int = 0

    def fires(self, request: Request) -> bool:
        if not self.match(request):
            return False
        self.seen += 1
        if self.times is not None and self.failed >= self.times:
            return False
        if (self.seen - 1) % self.every:
            return False
        self.failed += 1
        return True


@dataclass
class Delay:
    """Hold matching requests for `seconds`, or until `release()`, before moto handles them;
    `arrived` is set by the first."""

    match: Callable[[Request], bool]
    seconds: float
    seen: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Answer the requests held now and let later ones through at once."""
        self.released.set()

    def wait_seen(self, count: int, timeout: float) -> bool:
        """Until `count` matching requests have arrived (False if they did not in time)."""
        deadline = time.monotonic() + timeout
        while self.seen < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.seen >= count


@dataclass
class LambdaExtensions:
    app: Callable[..., Iterable[bytes]]
    limits: dict[tuple[str, str], int] = field(default_factory=dict)
    settings_enabled: bool = True
    faults: list[Fault] = field(default_factory=list)
    provisioned: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    hooks: list[Callable[[Request], None]] = field(default_factory=list)  # run before each request
    delays: list[Delay] = field(default_factory=list)
    # Pages after the first come from a snapshot taken by the first page, as a consistent
    # listing should; without it moto would rebuild the whole listing for every page.
    snapshots: dict[tuple[Any, ...], tuple[str, list[Any], bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    latency: float = 0.0  # seconds added to every request
    layer_urls: bool = True  # GetLayerVersion hands out a download URL, as AWS does
    s3_requests: list[S3Request] = field(default_factory=list)
    revisions: dict[tuple[str, str, str], str] = field(default_factory=dict)
    modified: dict[tuple[str, str, str], str] = field(default_factory=dict)
    updating: set[tuple[str, str, str]] = field(default_factory=set)
    invoke_model: InvokeModel = field(default_factory=InvokeModel)
    invocations: list[Invocation] = field(default_factory=list)
    warm: set[tuple[str, str, str, str]] = field(default_factory=set)
    refused_assume: set[str] = field(default_factory=set)  # accounts whose roles cannot be assumed
    refused_services: set[str] = field(default_factory=set)  # signing names answered 403
    calls: dict[tuple[str, str], int] = field(default_factory=dict)  # (account, service) -> requests

    def reset(self) -> None:
        with self.lock:
            self.limits.clear()
            self.settings_enabled = True
            self.faults.clear()
            self.provisioned.clear()
            self.hooks.clear()
            self.delays.clear()
            self.snapshots.clear()
            self.s3_requests.clear()
            self.revisions.clear()
            self.modified.clear()
            self.updating.clear()
            self.invocations.clear()
            self.warm.clear()
            self.invoke_model = InvokeModel()
            self.latency = 0.0
            self.layer_urls = True
            self.refused_assume.clear()
            self.refused_services.clear()
            self.calls.clear()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.latency:
            time.sleep(self.latency)
        service = self._count(environ)
        if service in self.refused_services:
            # AccessDenied, as a role without the permission gets it; the code is in the header
            # that botocore reads for every protocol (query, JSON and CBOR).
            start_response(
                "403 Forbidden",
                [("x-amzn-query-error", "AccessDenied;Sender"), ("Content-Length", "0")],
            )
            return [b""]
        if "/sts/aws4_request" in environ.get("HTTP_AUTHORIZATION", "") and self.refused_assume:
            denied = self._refuse_assume(environ, start_response)
            if denied is not None:
                return denied
        if "/s3/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
            return self._s3(environ, start_response)
        if environ.get("HTTP_X_AMZ_TARGET") == "AmazonSSM.PutParameter":
            refused = _ssm_refusal(environ)
            if refused is not None:
                return _ssm_error(start_response, *refused)
        content = LAYER_CONTENT.match(environ.get("PATH_INFO", ""))
        if content:  # a download URL handed out by GetLayerVersion, as unsigned as a presigned one
            return self._layer_content(content, start_response)
        request = _request(environ)
        if request is None:
            return self.app(environ, start_response)
        for hook in list(self.hooks):
            hook(request)
        for delay in list(self.delays):
            if delay.match(request):
                with self.lock:
                    delay.seen += 1
                delay.arrived.set()
                delay.released.wait(delay.seconds)
        if request.method != "GET":
            self.snapshots.clear()
        with self.lock:
            fault = next((f for f in self.faults if f.fires(request)), None)
        if fault is not None:
            return _error(start_response, fault.status, fault.code, fault.message)
        function = FUNCTION.match(request.path)
        if function:
            answered = self._function(request, function, environ, start_response)
            if answered is not None:
                return answered
        too_large = request.size > PUBLISH_REQUEST_LIMIT
        if request.method == "POST" and PUBLISH_LAYER.match(request.path) and too_large:
            return _error(
                start_response,
                413,
                "RequestEntityTooLargeException",
                f"Request must be smaller than {PUBLISH_REQUEST_LIMIT} bytes for the "
                "PublishLayerVersion operation",
            )
        found_policy = LAYER_POLICY.match(request.path)
        if found_policy and request.method == "POST":
            invalid = self._layer_permission(request, found_policy, environ)
            if invalid is not None:
                return _error(start_response, *invalid)
        if ACCOUNT_SETTINGS.match(request.path) and request.method == "GET" and self.settings_enabled:
            return _json(start_response, 200, self._account_settings(request))
        urls = URL_CONFIGS.match(request.path)
        if urls and request.method == "GET":
            return self._url_configs(request, unquote(urls["name"]), start_response)
        found = PROVISIONED.match(request.path)
        if found:
            return self._provisioned(request, unquote(found["name"]), start_response)
        for pattern, (key, size) in PAGE_SIZES.items():
            if pattern.match(request.path) and request.method == "GET":
                return self._paged(environ, start_response, request, key, size)
        if LAYER_VERSION.match(request.path) and request.method == "GET" and self.layer_urls:
            return self._layer_version(environ, start_response)
        return self.app(environ, start_response)

    # ---- functions: RevisionId, LastModified, PublishVersion, LastUpdateStatus, Invoke -----------

    def _function(
        self,
        request: Request,
        found: re.Match[str],
        environ: dict[str, Any],
        start_response: Callable[..., Any],
    ) -> Iterable[bytes] | None:
        name = unquote(found["name"]).split(":function:")[-1].split(":")[0]
        rest = found["rest"] or ""
        key = (request.account, request.region, name)
        backend = lambda_backends[request.account][request.region]
        if rest == "/invocations" and request.method == "POST":
            return self._invoke(request, name, backend, start_response)
        if request.method in ("PUT", "POST") and rest in ("/configuration", "/code", "/versions"):
            body = json.loads(request.body or b"{}")
            with self.lock:
                current = self.revisions.setdefault(key, str(uuid.uuid4()))
            if body.get("RevisionId") not in (None, current):
                return _error(start_response, 412, "PreconditionFailedException", STALE_REVISION)
            if rest == "/versions":
                unchanged = self._unchanged_version(backend, name)
                if unchanged is not None:
                    return _json(start_response, 201, unchanged)
            status, headers, out = _call(self.app, environ)
            if not status.startswith("2"):
                start_response(status, headers)
                return [out]
            answer = json.loads(out)
            if rest == "/versions":
                answer["RevisionId"] = str(uuid.uuid4())
            else:
                with self.lock:
                    self.revisions[key] = answer["RevisionId"] = str(uuid.uuid4())
                    self.modified[key] = answer["LastModified"] = (
                        dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
                    )
            return _rewritten(start_response, status, headers, answer)
        latest = request.param("Qualifier") in (None, "$LATEST")
        if request.method == "GET" and rest in ("", "/configuration") and latest:
            status, headers, out = _call(self.app, environ)
            if not status.startswith("200"):
                start_response(status, headers)
                return [out]
            answer = json.loads(out)
            config = answer["Configuration"] if rest == "" else answer
            with self.lock:
                config["RevisionId"] = self.revisions.setdefault(key, str(uuid.uuid4()))
                config["LastModified"] = self.modified.get(key, config.get("LastModified"))
                if key in self.updating:
                    config["LastUpdateStatus"] = "InProgress"
            return _rewritten(start_response, status, headers, answer)
        return None

    def _unchanged_version(self, backend: Any, name: str) -> dict[str, Any] | None:
        """AWS publishes no new version when $LATEST equals the last published one: it returns that one."""
        try:
            versions = [v for v in backend.list_versions_by_function(name) if v.version != "$LATEST"]
            latest = backend.get_function(name).get_configuration()
        except Exception:
            return None
        if not versions:
            return None
        last = max(versions, key=lambda v: int(v.version)).get_configuration()
        if all(latest.get(f) == last.get(f) for f in PUBLISHED_FIELDS):
            return dict(last)
        return None

    def _invoke(
        self, request: Request, name: str, backend: Any, start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        qualifier = request.param("Qualifier") or "$LATEST"
        try:
            fn = backend.get_function(name, qualifier)
        except Exception:
            return _error(
                start_response, 404, "ResourceNotFoundException", f"Function not found: {name}:{qualifier}"
            )
        memory, version = int(fn.memory_size), str(fn.version)
        model = self.invoke_model
        with self.lock:
            cold = (request.account, request.region, name, version) not in self.warm
            self.warm.add((request.account, request.region, name, version))
            self.invocations.append(Invocation(name, version, memory, cold))
        request_id = str(uuid.uuid4())
        duration = model.work_ms * model.scale(memory)
        init = model.init_ms * model.scale(memory) if cold else None
        oom = memory < model.used_mb
        fields = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {duration:.2f} ms",
            f"Billed Duration: {math.ceil(duration + (init or 0))} ms",
            f"Memory Size: {memory} MB",
            f"Max Memory Used: {memory if oom else model.used_mb} MB",
        ]
        if init is not None:
            fields.append(f"Init Duration: {init:.2f} ms")
        if oom:
            fields += ["Status: error", "Error Type: Runtime.OutOfMemory"]
        log = (
            f"START RequestId: {request_id} Version: {version}\nEND RequestId: {request_id}\n"
            + "\t".join(fields)
            + "\n"
        )
        body = (
            json.dumps(
                {
                    "errorType": "Runtime.OutOfMemory",
                    "errorMessage": "Runtime exited with error: signal: killed",
                }
            )
            if oom
            else json.dumps({"statusCode": 200})
        ).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Amz-Executed-Version", version),
            ("X-Amz-Log-Result", base64.b64encode(log.encode()).decode()),
            ("x-amzn-RequestId", request_id),
        ]
        if oom:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        start_response("200 OK", headers)
        return [body]

    # ---- request counts, STS refusals, function URLs ---------------------------------------------

    def _count(self, environ: dict[str, Any]) -> str | None:
        """Count the request; return the service it was signed for."""
        credential = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if credential is None:
            return None
        key = (get_account_id_from(credential["key"]) or DEFAULT_ACCOUNT_ID, credential["service"])
        with self.lock:
            self.calls[key] = self.calls.get(key, 0) + 1
        return key[1]

    def _refuse_assume(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes] | None:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        form = parse_qs(body.decode())
        role = (form.get("RoleArn") or [""])[0]
        if (form.get("Action") or [""])[0] != "AssumeRole" or role.split(":")[4:5] == []:
            return None
        if role.split(":")[4] not in self.refused_assume:
            return None
        caller = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        who = get_account_id_from(caller["key"]) if caller else DEFAULT_ACCOUNT_ID
        # STS's answer when the role's trust policy does not allow the caller.
        xml = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            "<Code>AccessDenied</Code><Message>User: arn:aws:iam::"
            f"{who}:root is not authorized to perform: sts:AssumeRole on resource: {role}</Message>"
            "</Error><RequestId>ext-refused</RequestId></ErrorResponse>"
        ).encode()
        start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))])
        return [xml]

    def _url_configs(self, request: Request, name: str, start_response: Callable[..., Any]) -> list[bytes]:
        backend = lambda_backends[request.account][request.region]
        try:
            function = backend.get_function(name)
        except Exception:
            return _error(start_response, 404, "ResourceNotFoundException", f"Function not found: {name}")
        configs = [function.url_config.to_dict()] if function.url_config else []
        return _json(start_response, 200, {"FunctionUrlConfigs": configs})

    # ---- GetLayerVersion's Content.Location -----------------------------------------------------

    def _layer_version(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """moto answers Content.Location "s3://"; AWS gives a URL the zip can be downloaded from."""
        status, headers, body = _call(self.app, environ)
        if status.startswith("200"):
            answer = json.loads(body)
            _, _, _, region, account, _, name, version = answer["LayerVersionArn"].split(":")
            host = environ.get("HTTP_HOST", "127.0.0.1")
            answer["Content"]["Location"] = f"http://{host}/layer-content/{account}/{region}/{name}/{version}"
            body = json.dumps(answer).encode()
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    def _layer_content(self, found: re.Match[str], start_response: Callable[..., Any]) -> list[bytes]:
        backend = lambda_backends[found["account"]][found["region"]]
        data = backend.get_layer_version(unquote(found["name"]), found["version"]).code_bytes
        start_response("200 OK", [("Content-Type", "application/zip"), ("Content-Length", str(len(data)))])
        return [data]

    # ---- GetAccountSettings ---------------------------------------------------------------

    def _account_settings(self, request: Request) -> dict[str, Any]:
        backend = lambda_backends[request.account][request.region]
        functions = [
            fn for group in _function_groups(backend) for fn in (group["latest"], *group["versions"])
        ]
        layers = [lv for layer in backend._layers._layers.values() for lv in layer.layer_versions.values()]
        used = sum(int(fn.code_size) for fn in functions if fn) + sum(int(lv.code_size) for lv in layers)
        limit = self.limits.get((request.account, request.region), DEFAULT_LIMIT)
        # The shape of AWS's answer (docs example for `aws lambda get-account-settings`).
        return {
            "AccountLimit": {
                "TotalCodeSize": limit,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": 1000,
                "UnreservedConcurrentExecutions": 1000,
            },
            "AccountUsage": {
                "TotalCodeSize": used,
                "FunctionCount": len(list(backend.list_functions())),
            },
        }

    # ---- layer permissions in AWS's shape ------------------------------------------------------

    def _layer_permission(
        self, request: Request, found: re.Match[str], environ: dict[str, Any]
    ) -> tuple[int, str, str] | None:
        """Validate like AWS and rewrite the body so moto stores the statement as AWS shows it."""
        body = json.loads(request.body or b"{}")
        principal, org = str(body.get("Principal", "")), body.pop("OrganizationId", None)
        if principal != "*" and not re.fullmatch(r"\d{12}", principal):
            return 400, "InvalidParameterValueException", f"Principal {principal!r} is not valid"
        if org is not None and principal != "*":
            return 400, "InvalidParameterValueException", "OrganizationId needs Principal '*'"
        backend = lambda_backends[request.account][request.region]
        try:
            version = backend.get_layer_version(unquote(found["name"]), found["version"])
        except Exception:
            return 404, "ResourceNotFoundException", "Layer version not found"
        if any(st.get("Sid") == body.get("StatementId") for st in version.policy.statements):
            return (
                409,
                "ResourceConflictException",
                f"The statement id ({body.get('StatementId')}) provided already exists. Please provide a "
                "new statement id, or remove the existing statement.",
            )
        if principal != "*":
            body["Principal"] = f"arn:aws:iam::{principal}:root"  # moto turns this into {"AWS": ...}
        if org is not None:
            body["PrincipalOrgID"] = org  # moto turns this into the aws:PrincipalOrgID condition
        request.body = json.dumps(body).encode()
        environ["wsgi.input"] = io.BytesIO(request.body)
        environ["CONTENT_LENGTH"] = str(len(request.body))
        return None

    # ---- S3: ExpectedBucketOwner ------------------------------------------------------------

    def _s3(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        credential = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        account = (get_account_id_from(credential["key"]) if credential else None) or DEFAULT_ACCOUNT_ID
        bucket = _bucket_name(environ)
        expected = environ.get("HTTP_X_AMZ_EXPECTED_BUCKET_OWNER")
        record = S3Request(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO", ""),
            query=environ.get("QUERY_STRING", ""),
            bucket=bucket,
            account=account,
            expected_owner=expected,
        )
        with self.lock:
            self.s3_requests.append(record)
        owner = s3_backends.bucket_accounts.get(bucket or "")
        if expected is not None and owner is not None and owner[1] != expected:
            body = (
                b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                b"<Message>Access Denied</Message></Error>"
            )
            start_response(
                "403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return self.app(environ, start_response)

    # ---- provisioned concurrency ----------------------------------------------------------

    def _provisioned(
        self, request: Request, name: str, start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        name = name.split(":function:")[-1].split(":")[0]
        backend = lambda_backends[request.account][request.region]
        try:
            function = backend.get_function(name)
        except Exception:
            return _error(start_response, 404, "ResourceNotFoundException", f"Function not found: {name}")
        base_arn = function.function_arn.split(":$LATEST")[0]
        base_arn = ":".join(base_arn.split(":")[:7])
        key_prefix = (request.account, request.region, name)
        if request.method == "GET" and request.param("List") == "ALL":
            configs = [c for key, c in sorted(self.provisioned.items()) if key[:3] == key_prefix]
            return _json(start_response, 200, _page(configs, "ProvisionedConcurrencyConfigs", request, 50))
        qualifier = request.param("Qualifier")
        if not qualifier:
            return _error(start_response, 400, "InvalidParameterValueException", "Qualifier is required")
        key = (*key_prefix, qualifier)
        if request.method == "GET":
            if key not in self.provisioned:
                return _error(
                    start_response, 404, "ProvisionedConcurrencyConfigNotFoundException", "No config"
                )
            return _json(start_response, 200, self.provisioned[key])
        if request.method == "DELETE":
            self.provisioned.pop(key, None)
            return _json(start_response, 204, None)
        if qualifier == "$LATEST":
            return _error(
                start_response,
                400,
                "InvalidParameterValueException",
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
            )
        try:
            backend.get_function(name, qualifier)
        except Exception:
            return _error(
                start_response, 404, "ResourceNotFoundException", f"Function not found: {name}:{qualifier}"
            )
        body = json.loads(request.body or b"{}")
        amount = int(body.get("ProvisionedConcurrentExecutions", 1))
        config = {
            "FunctionArn": f"{base_arn}:{qualifier}",
            "RequestedProvisionedConcurrentExecutions": amount,
            "AvailableProvisionedConcurrentExecutions": amount,
            "AllocatedProvisionedConcurrentExecutions": amount,
            "Status": "READY",
            "LastModified": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        }
        self.provisioned[key] = config
        answer = {k: v for k, v in config.items() if k != "FunctionArn"}
        return _json(start_response, 202, {**answer, "Status": "IN_PROGRESS"})

    # ---- paging ---------------------------------------------------------------------------

    def _paged(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        request: Request,
        key: str,
        size: int,
    ) -> Iterable[bytes]:
        query = tuple(
            sorted((k, tuple(v)) for k, v in request.query.items() if k not in ("Marker", "MaxItems"))
        )
        snapshot = (request.account, request.region, request.path, query)
        if request.param("Marker") and snapshot in self.snapshots:
            status, headers, body = self.snapshots[snapshot]
        else:
            if key == "Functions":
                status, headers, body = "200 OK", [], _functions_listing(request)
            else:
                status, headers, body = _call(self.app, environ)
            self.snapshots[snapshot] = (status, headers, body)
        if not status.startswith("200"):
            start_response(status, headers)
            return [body]
        data = json.loads(body)
        return _json(start_response, 200, _page(data.get(key, []), key, request, size, data))


def _function_groups(backend: Any) -> list[dict[str, Any]]:
    """moto's stored functions: per function its "latest" and its published "versions"."""
    return list(backend._lambdas._functions.values())


def _functions_listing(request: Request) -> bytes:
    """ListFunctions as moto answers it, read straight from its storage: moto deep-copies every
    function's $LATEST to list FunctionVersion=ALL, which over a large account was most of this
    server's CPU (bench/prune_organization.py runs it on the tool's cores)."""
    every = request.param("FunctionVersion") == "ALL"
    configs: list[dict[str, Any]] = []
    for group in _function_groups(lambda_backends[request.account][request.region]):
        latest = group["latest"]
        if latest is not None:
            config = latest.get_configuration()
            if every:
                config["FunctionArn"] = f"{config['FunctionArn']}:$LATEST"
            configs.append(config)
        if every:
            configs += [version.get_configuration() for version in group["versions"]]
    return json.dumps({"Functions": configs}).encode()


def _page(
    items: list[Any], key: str, request: Request, size: int, rest: dict[str, Any] | None = None
) -> dict[str, Any]:
    start = int(base64.b64decode(request.param("Marker") or "MA==").decode())  # "MA==" is "0"
    count = min(int(request.param("MaxItems") or size), size)
    answer = {**(rest or {}), key: items[start : start + count]}
    answer.pop("NextMarker", None)
    if start + count < len(items):
        answer["NextMarker"] = base64.b64encode(str(start + count).encode()).decode()
    return answer


def _request(environ: dict[str, Any]) -> Request | None:
    credential = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if credential is None or "/lambda/" not in environ.get("HTTP_AUTHORIZATION", ""):
        return None
    account = get_account_id_from(credential["key"]) or DEFAULT_ACCOUNT_ID
    request = Request(
        method=environ["REQUEST_METHOD"],
        path=environ.get("PATH_INFO", ""),
        query=parse_qs(environ.get("QUERY_STRING", "")),
        account=account,
        region=credential["region"],
    )
    if request.method in ("PUT", "POST"):
        # Read the body once and hand moto a fresh stream with the same bytes.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request.size = length
        request.body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(request.body)
    return request


SSM_NAME = re.compile(r"^[A-Za-z0-9_./-]+$")


def _ssm_refusal(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(error code, message) for a PutParameter name Parameter Store refuses, as it words them; the
    request body is handed on to moto unchanged otherwise."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    name = str(json.loads(body or b"{}").get("Name", ""))
    credential = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    region = credential["region"] if credential else "us-east-1"
    if not SSM_NAME.match(name):
        return "ValidationException", (
            'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a '
            "path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix "
            "of letters, numbers and the following 3 symbols .-_"
        )
    if "/" in name and not name.startswith("/"):
        return "ValidationException", "Parameter name must be a fully qualified name."
    if name.count("/") > 15:
        return "HierarchyLevelLimitExceededException", (
            "Parameter hierarchy exceeds the maximum depth of 15 levels"
        )
    arn = f"arn:aws:ssm:{region}:{DEFAULT_ACCOUNT_ID}:parameter{'' if name.startswith('/') else '/'}{name}"
    if len(arn) > 1011:
        return "ValidationException", (
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
            "Member must have length less than or equal to 1011"
        )
    return None


def _ssm_error(start_response: Callable[..., Any], code: str, message: str) -> list[bytes]:
    # SSM's JSON 1.1 errors: the code in "__type".
    body = json.dumps({"__type": code, "message": message}).encode()
    start_response(
        "400 Bad Request",
        [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _bucket_name(environ: dict[str, Any]) -> str | None:
    """The bucket of an S3 request, virtual-hosted (bucket.host) or path style (/bucket/key)."""
    host = environ.get("HTTP_HOST", "").split(":")[0]
    if host.count(".") and not re.fullmatch(r"[\d.]+", host) and not host.startswith("localhost"):
        return host.split(".")[0]
    first = environ.get("PATH_INFO", "").lstrip("/").split("/")[0]
    return unquote(first) or None


def _call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[str, list[Any], bytes]:
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Callable[[bytes], None]:
        captured["status"], captured["headers"] = status, headers
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], b"".join(chunks)


def _rewritten(start_response: Callable[..., Any], status: str, headers: list[Any], data: Any) -> list[bytes]:
    body = json.dumps(data).encode()
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*kept, ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response: Callable[..., Any], status: int, data: Any) -> list[bytes]:
    body = b"" if data is None else json.dumps(data).encode()
    reason = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}.get(status, "OK")
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", "ext"),
        ],
    )
    return [body]


def _error(start_response: Callable[..., Any], status: int, code: str, message: str) -> list[bytes]:
    # Lambda's REST-JSON errors: the code in x-amzn-ErrorType, "Type" and "message" in the body.
    body = json.dumps({"Type": "User", "message": message}).encode()
    reason = {
        400: "Bad Request",
        403: "Forbidden",
        404: "Not Found",
        412: "Precondition Failed",
        429: "Too Many Requests",
    }.get(status, "Error")
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("x-amzn-ErrorType", f"{code}:http://internal.amazon.com/coral/com.amazonaws.awslambda.api/"),
            ("x-amzn-RequestId", "ext-fault"),
        ],
    )
    return [body]


def throttle() -> dict[str, Any]:
    """The fields of Lambda's throttling answer."""
    return {"status": 429, "code": "TooManyRequestsException", "message": "Rate exceeded"}


def edge_replica(arn: str) -> dict[str, Any]:
    """Lambda's answer to deleting a version that still has Lambda@Edge replicas."""
    return {
        "status": 400,
        "code": "InvalidParameterValueException",
        "message": f"Lambda was unable to delete {arn} because it is a replicated function. "
        "Please see our documentation for Deleting Lambda@Edge Functions and Replicas.",
    }


class LambdaMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer on 127.0.0.1 with LambdaExtensions in front of moto's app."""

    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.ext = LambdaExtensions(DomainDispatcherApplication(create_backend_app))
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def _server_entry(self) -> None:  # same as moto's, with the extension as the WSGI app
        self._server = make_server(
            self._ip_address, self._port, self.ext, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def fail(
        self, match: Callable[[Request], bool], *, status: int, code: str, message: str, **kw: Any
    ) -> Fault:
        fault = Fault(match=match, status=status, code=code, message=message, **kw)
        with self.ext.lock:
            self.ext.faults.append(fault)
        return fault

    def fail_region(self, region: str) -> Fault:
        """Every Lambda call in `region` refused, as AWS answers in an opt-in region the account
        has not enabled."""
        return self.fail(
            lambda r: r.region == region,
            status=403,
            code="UnrecognizedClientException",
            message="The security token included in the request is invalid.",
        )

    def delay(self, match: Callable[[Request], bool], seconds: float) -> Delay:
        """Make matching calls take `seconds` (the server is threaded: other calls go on)."""
        delay = Delay(match=match, seconds=seconds)
        with self.ext.lock:
            self.ext.delays.append(delay)
        return delay

    def refuse_service(self, service: str) -> None:
        """Every call to `service` (its signing name: "monitoring" for CloudWatch) is refused."""
        with self.ext.lock:
            self.ext.refused_services.add(service)

    def refuse_assume_role(self, account: str) -> None:
        """sts:AssumeRole into any role of `account` is refused (AccessDenied)."""
        with self.ext.lock:
            self.ext.refused_assume.add(account)

    def set_limit(self, account: str, region: str, limit: int) -> None:
        self.ext.limits[(account, region)] = limit

    def throttle(self, match: Callable[[Request], bool], **kw: Any) -> Fault:
        return self.fail(match, **throttle(), **kw)

    def deny(self, match: Callable[[Request], bool], **kw: Any) -> Fault:
        return self.fail(
            match,
            status=403,
            code="AccessDeniedException",
            message="User is not authorized to perform this",
            **kw,
        )

    def refuse_edge_delete(self, arn: str) -> Fault:
        name, version = arn.split(":")[6:8]
        return self.fail(
            lambda r: (
                r.method == "DELETE"
                and r.path.endswith(f"/functions/{name}")
                and r.param("Qualifier") == version
            ),
            **edge_replica(arn),
        )

    def reset(self) -> None:
        """Forget every resource (moto's reset) and every extension setting."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")).read()
        self.ext.reset()


# ---- seeding: create functions, versions, layers and references through the real API ----------


def code_zip(tag: str, size: int) -> bytes:
    """A stored (uncompressed) zip whose size is about `size` bytes, different for each tag."""
    import zipfile

    payload = (f"# {tag}\n".encode() * (size // max(len(tag) + 3, 1) + 1))[:size]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("handler.py", b"def handler(event, context):\n    return 1\n" + payload)
    return buffer.getvalue()


class Seed:
    """Creates Lambda resources on the moto server with a real boto3 client, over HTTP."""

    def __init__(
        self, url: str, region: str = "us-east-1", *, credentials: dict[str, str] | None = None
    ) -> None:
        import boto3

        creds = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.session = boto3.Session(region_name=region, **creds)
        self.region = region
        self.url = url
        self.lam = self.session.client("lambda", endpoint_url=url)
        self.account = self.session.client("sts", endpoint_url=url).get_caller_identity()["Account"]
        self._role: str | None = None

    def role(self) -> str:
        if self._role is None:
            iam = self.session.client("iam", endpoint_url=self.url)
            trust = json.dumps({"Version": "2012-10-17", "Statement": []})
            try:
                self._role = iam.create_role(RoleName="lb-test-lambda", AssumeRolePolicyDocument=trust)[
                    "Role"
                ]["Arn"]
            except iam.exceptions.EntityAlreadyExistsException:
                self._role = iam.get_role(RoleName="lb-test-lambda")["Role"]["Arn"]
        return self._role

    def layer(
        self, name: str, count: int, *, size: int = 2000, description: Callable[[int], str] | None = None
    ) -> list[str]:
        arns = []
        for i in range(1, count + 1):
            answer = self.lam.publish_layer_version(
                LayerName=name,
                Content={"ZipFile": code_zip(f"{name}-{i}", size)},
                Description=description(i) if description else f"{name} {i}",
                CompatibleRuntimes=["python3.12"],
            )
            arns.append(answer["LayerVersionArn"])
        return arns

    def function(
        self,
        name: str,
        count: int,
        *,
        size: int = 1000,
        layers: Callable[[int], list[str]] | None = None,
        new_code: bool = True,
    ) -> list[str]:
        """Create `name` and publish `count` versions; version i runs with layers(i). Without
        new_code the versions differ only in their layers (one call fewer per version)."""
        self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role(),
            Handler="handler.handler",
            Code={"ZipFile": code_zip(f"{name}-0", size)},
        )
        versions = []
        for i in range(1, count + 1):
            if new_code or layers is None:
                self.lam.update_function_code(FunctionName=name, ZipFile=code_zip(f"{name}-{i}", size))
            if layers is not None:
                self.lam.update_function_configuration(FunctionName=name, Layers=layers(i))
            versions.append(self.lam.publish_version(FunctionName=name)["Version"])
        return versions

    def alias(self, function: str, name: str, version: str, weights: dict[str, float] | None = None) -> None:
        extra = {"RoutingConfig": {"AdditionalVersionWeights": weights}} if weights else {}
        self.lam.create_alias(FunctionName=function, Name=name, FunctionVersion=version, **extra)

    def mapping(self, qualified_function: str) -> None:
        sqs = self.session.client("sqs", endpoint_url=self.url)
        queue = sqs.create_queue(QueueName=f"q-{qualified_function.replace(':', '-')}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=qualified_function)

    def provisioned(self, function: str, qualifier: str) -> None:
        self.lam.put_provisioned_concurrency_config(
            FunctionName=function, Qualifier=qualifier, ProvisionedConcurrentExecutions=1
        )

    def tag(self, function: str, tags: dict[str, str]) -> None:
        arn = self.lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
        self.lam.tag_resource(Resource=":".join(arn.split(":")[:7]), Tags=tags)

    def age_function(self, function: str, version: str, days: int) -> None:
        """Backdate a version (moto stamps every version with the time it was published)."""
        when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
        fn = lambda_backends[self.account][self.region].get_function(function, version)
        fn.last_modified = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def age_all(self, function: str, days: int) -> None:
        """Backdate every version of a function, $LATEST included."""
        for fn in lambda_backends[self.account][self.region].list_versions_by_function(function):
            self.age_function(function, str(fn.version), days)

    def invoked(
        self, function: str, *, days_ago: float = 1, count: int = 1, qualifier: str | None = None
    ) -> None:
        """Record invocations in CloudWatch as Lambda publishes them: every invocation in the
        FunctionName series, and a qualified one also by FunctionName + Resource (the qualifier
        called) and + ExecutedVersion."""
        when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)
        series = [[{"Name": "FunctionName", "Value": function}]]
        if qualifier is not None:
            resource = {"Name": "Resource", "Value": f"{function}:{qualifier}"}
            series.append([series[0][0], resource])
        cw = self.session.client("cloudwatch", endpoint_url=self.url)
        cw.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Invocations",
                    "Dimensions": dims,
                    "Timestamp": when,
                    "Value": count,
                    "Unit": "Count",
                }
                for dims in series
            ],
        )

    def age_layer(self, layer: str, version: int, days: int) -> None:
        when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
        lv = lambda_backends[self.account][self.region].get_layer_version(layer, str(version))
        lv.created_date = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def versions(self) -> set[tuple[str, str, str]]:
        """What exists now: (kind, name, version) for every function version and layer version."""
        found: set[tuple[str, str, str]] = set()
        for page in self.lam.get_paginator("list_functions").paginate(FunctionVersion="ALL"):
            found |= {("function", f["FunctionName"], f["Version"]) for f in page["Functions"]}
        for page in self.lam.get_paginator("list_layers").paginate():
            for layer in page["Layers"]:
                for vpage in self.lam.get_paginator("list_layer_versions").paginate(
                    LayerName=layer["LayerName"]
                ):
                    found |= {
                        ("layer", layer["LayerName"], str(v["Version"])) for v in vpage["LayerVersions"]
                    }
        return found


def seed_functions(account: str, region: str, count: int, *, size: int = 200, prefix: str = "fn") -> None:
    """Create `count` functions ($LATEST only) straight in moto's backend of this process: no
    HTTP, no signing, for benchmarks that need thousands of them."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    backend = lambda_backends[account][region]
    iam = iam_backends[account][backend.partition]
    try:
        role = iam.get_role("lb-test-lambda").arn
    except NotFoundException:  # the account's first region
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        role = iam.create_role("lb-test-lambda", trust, "/", None, "", [], None).arn
    for i in range(count):
        name = f"{prefix}{i:03d}"
        zipped = base64.b64encode(code_zip(f"{name}-0", size)).decode()
        backend.create_function(
            {
                "FunctionName": name,
                "Runtime": "python3.12",
                "Role": role,
                "Handler": "handler.handler",
                "Code": {"ZipFile": zipped},
            }
        )


def serve(latency: float = 0.0) -> None:
    """Run the server in this process, print its URL (a line), then answer commands on stdin until
    it closes: one JSON object a line, one JSON answer a line on stdout (see ServerProcess).

    For benchmarks: in its own process the server's CPU time does not compete with the client's
    threads for one interpreter, as AWS's does not."""
    import os
    import sys

    server = LambdaMotoServer()
    server.start()
    server.ext.latency = latency
    print(server.url, flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        op = command.pop("op")
        answer: dict[str, Any] = {}
        if op == "latency":
            server.ext.latency = float(command["seconds"])
        elif op == "functions":
            seed_functions(**command)
        elif op == "calls":
            with server.ext.lock:
                answer["calls"] = [[a, s, n] for (a, s), n in server.ext.calls.items()]
                if command.get("clear"):
                    server.ext.calls.clear()
        elif op == "cpu":
            times = os.times()
            answer["cpu"] = times.user + times.system
        else:
            answer["error"] = f"unknown op {op!r}"
        print(json.dumps(answer), flush=True)
    server.stop()


class ServerProcess:
    """The server of `serve` in a child process, and the commands it takes."""

    def __init__(self, latency: float = 0.0) -> None:
        import subprocess
        import sys
        from pathlib import Path

        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            raise RuntimeError(f"the moto server process ended (exit code {self.proc.wait()})")

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the moto server process ended (exit code {self.proc.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def command(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def calls(self, *, clear: bool = False) -> dict[tuple[str, str], int]:
        """Requests per (account, service) since the last clear."""
        return {(a, s): int(n) for a, s, n in self.command("calls", clear=clear)["calls"]}

    def cpu(self) -> float:
        """CPU seconds (user + system) the server process has used."""
        return float(self.command("cpu")["cpu"])

    def reset(self) -> None:
        """Forget every resource (moto's own reset endpoint)."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")).read()

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def fake_aws_env(url: str | None, region: str) -> dict[str, str]:
    """The environment that points boto3 at a server at `url` (None: leave the endpoint alone) with
    dummy credentials and no user configuration."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }
    return env if url is None else {"AWS_ENDPOINT_URL": url, **env}


if __name__ == "__main__":
    import sys

    serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)

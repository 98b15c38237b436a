"""The sandbox: routes Stripe-shaped HTTP requests to handlers over shared state.

Both transports use `Sandbox.handle`: the in-process SDK client (`http_client.py`) and the HTTP
server (`server.py`). Every request is authenticated, validated against the SDK's own parameter
types, logged, subject to fault injection and, for writes, to idempotency replay. Writes that
change an account's public state emit webhook events.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import expand, forms, payout_schedule, schema
from .countries import CountrySpecs, load_country_specs
from .errors import StripeError, invalid
from .faults import Faults
from .ids import new_id
from .objects import capability_object, diff, render_account, render_bank_account, render_file, render_person
from .person_requirements import PersonRequirements
from .person_requirements import bundled as bundled_person_requirements
from .requirements import NAMINGS, Evaluation, Evaluator
from .state import Account, File, Store
from .testvalues import TEST_FILES
from .webhooks import Dispatcher, Target

API_VERSION = "2026-10-28.endive"
IDEMPOTENCY_TTL = 24 * 3600
HOSTED_NOWHERE = "http://sandbox.invalid"  # hosted pages' address when nobody said where they are served
# Values the request log never keeps, whatever they are nested in.
SENSITIVE_KEYS = {"id_number", "id_number_secondary", "ssn_last_4", "account_number", "tax_id", "vat_id",
                  "registration_number"}
# Parameter classes of the routed operations that `schema.SERVICE_PARAMS` does not list.
OPERATION_PARAMS = schema.SERVICE_PARAMS | {
    "events.list": "EventListParams", "events.retrieve": "EventRetrieveParams",
    "balance.retrieve": "BalanceRetrieveParams", "payouts.list": "PayoutListParams",
    "payouts.retrieve": "PayoutRetrieveParams",
}

Handler = Callable[["Sandbox", "Context"], tuple[int, dict[str, Any]]]


@dataclass
class Request:
    """A transport-independent HTTP request."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    client_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """Return a header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass
class Response:
    """A transport-independent response; `drop` asks the transport to close without answering."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    timeout: bool = False  # with `drop`: hold the connection without answering until the client gives up


@dataclass
class Context:
    """What a handler gets: path arguments, validated parameters, uploaded files and the time."""

    args: dict[str, str]
    params: dict[str, Any]
    files: dict[str, forms.UploadedFile]
    now: int
    request_id: str
    client_ip: str = "127.0.0.1"
    base_url: str = HOSTED_NOWHERE  # where the sandbox's own pages are served (Account Links' `url`)
    stripe_account: str | None = None  # the `Stripe-Account` header: the connected account acted for


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str
    handler: Handler


ROUTES: list[Route] = []


def route(method: str, path: str, operation: str) -> Callable[[Handler], Handler]:
    """Register a handler for `METHOD /v1/path/{arg}`."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, regex, operation, handler))
        return handler

    return register


def wall_clock() -> float:
    """Return the time now (looked up on each call, unlike a default argument bound to `time.time`)."""
    return time.time()


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in SENSITIVE_KEYS and v not in ("", None) else _redact(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


class Sandbox:
    """A stateful stand-in for the part of Stripe's v1 API that Connect onboarding uses."""

    def __init__(
        self,
        specs: CountrySpecs | None = None,
        *,
        clock: Callable[[], float] | None = None,
        webhook_target: Target | None = None,
        webhook_secret: str | None = None,
        auto_settle: bool = True,
        accounts_v1: bool = True,
        settle_after: float | None = None,
        requirement_naming: str = "documented",
        person_prefix: bool = False,
        person_requirements: PersonRequirements | None = None,
        hosted_base: Callable[[], str] | None = None,
        webhook_retry_schedule: Sequence[float] = (),
        webhook_retry_scale: float = 1.0,
        webhook_concurrency: int = 1,
        webhook_shuffle: bool = False,
    ) -> None:
        from . import routes  # noqa: F401  (registers the handlers)

        self.specs = specs or load_country_specs()
        # The real clock by default, read on each call (so freezegun and libfaketime reach it); an app
        # that embeds the sandbox passes its own, so both agree on the day future requirements apply.
        self.clock = clock or wall_clock
        self.store = Store()
        self.faults = Faults()
        self.log: list[dict[str, Any]] = []
        # When verification finishes. `auto_settle`: within the write, whose answer shows the outcome
        # (tests of the outcome, the app's default in-process sandbox). Otherwise a write answers with
        # the checks pending, as Stripe does (docs.stripe.com/connect/testing-verification: dob
        # 1902-01-01 "verifies immediately", 1901-01-01 verifies asynchronously); with `settle_after`
        # seconds they finish that long after the write and arrive by webhook (the HTTP server's
        # default), without it only when `settle()` is called.
        self.auto_settle = auto_settle
        if settle_after is not None and settle_after < 0:
            raise ValueError("settle_after must be zero or more seconds")
        self.settle_after = settle_after
        self._timers: list[threading.Timer] = []
        # The platform's "Accounts v1 support" setting: off, account creation is refused as for a new
        # Connect platform (tests and `/_sandbox/platform` flip it; existing accounts keep working).
        self.accounts_v1 = accounts_v1
        # How requirement strings name roles and persons (see `requirements.NAMINGS`): Stripe's documented
        # Accounts v1 behaviour by default, the Country Specs naming on request (API versions differ).
        if requirement_naming not in NAMINGS:
            raise ValueError(f"unknown requirement naming {requirement_naming!r}; expected one of {NAMINGS}")
        self.requirement_naming = requirement_naming
        self.person_prefix = person_prefix
        self.person_requirements = person_requirements or bundled_person_requirements()
        # The address of the sandbox's hosted pages (Account Links): an app that embeds the sandbox serves
        # them itself and says where; a server uses the Host its client called.
        self.hosted_base = hosted_base
        # Webhook delivery (see `webhooks.Dispatcher`): in order from one thread unless asked otherwise, and
        # no retries unless given a schedule (`webhooks.RETRY_SCHEDULES`): in-process, each event is
        # delivered once, when the test or app flushes; `python -m stripe_sandbox` retries as Stripe does.
        self.dispatcher = Dispatcher(
            webhook_target, webhook_secret or "", self.clock, retry_schedule=webhook_retry_schedule,
            retry_scale=webhook_retry_scale, concurrency=webhook_concurrency, shuffle=webhook_shuffle,
        ) if webhook_target else None
        self._log_lock = threading.Lock()

    # -- the transport-facing entry point -------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Answer one HTTP request."""
        request_id = new_id("req", 14)
        matched, args = self._match(request)
        operation = matched.operation if matched else "unknown"
        match = self.faults.take(operation)
        if match.delay:
            time.sleep(match.delay)
        fault = match.fault
        entry: dict[str, Any] = {"id": request_id, "at": self.clock(), "method": request.method,
                                 "path": request.path, "operation": operation,
                                 "idempotency_key": request.header("Idempotency-Key"),
                                 "stripe_version": request.header("Stripe-Version"),
                                 "stripe_account": request.header("Stripe-Account"),
                                 "params": None, "status": None, "replayed": False,
                                 "fault": fault.kind if fault else None}
        try:
            if fault and fault.kind == "drop_before":
                return Response(0, b"", drop=True)
            response = self._handle(request, request_id, matched, args, fault, entry)
        finally:
            with self._log_lock:
                self.log.append(entry)
        entry["status"] = response.status
        if fault and fault.kind in ("drop_after", "timeout"):
            response.drop, response.timeout = True, fault.kind == "timeout"
        return response

    def _match(self, request: Request) -> tuple[Route | None, dict[str, str]]:
        for candidate in ROUTES:
            if candidate.method == request.method and (m := candidate.pattern.match(request.path)):
                return candidate, m.groupdict()
        return None, {}

    def _handle(self, request: Request, request_id: str, matched: Route | None, args: dict[str, str],
                fault: Any, entry: dict[str, Any]) -> Response:
        try:
            self._authenticate(request)
            if matched is None:
                raise StripeError(404, f"Unrecognized request URL ({request.method}: {request.path}). "
                                  "Please see https://stripe.com/docs or we can help at https://support.stripe.com/.")
            params, files = self._params(request)
            entry["params"] = _redact(params)
            if fault and fault.kind == "429":
                raise StripeError(429, "Request rate limit exceeded. Learn more about rate limits here "
                                  "https://stripe.com/docs/rate-limits.", type="invalid_request_error",
                                  code="rate_limit")
            # Uploaded files are parameters too (`file` is required for files.create).
            validated = schema.validate(OPERATION_PARAMS[matched.operation], {**params, **files})
            params = {k: v for k, v in validated.items() if k not in files}
            # Checked against the answer's type before anything runs: a bad path writes nothing.
            expand.check(matched.operation, params.get("expand") or [])
        except schema.ParamError as exc:
            return self._error(StripeError(400, exc.message, code=exc.code, param=exc.param), request_id)
        except forms.FormDecodeError as exc:
            return self._error(invalid(exc.message, exc.param), request_id)
        except StripeError as exc:
            return self._error(exc, request_id)
        # Keys on GET and DELETE "have no effect" (docs.stripe.com/api/idempotent_requests, read 2026-12-06).
        key = request.header("Idempotency-Key") if request.method == "POST" else None
        with self.store.lock:
            if key:
                replay = self._replay(request, key, params, request_id)
                if replay is not None:
                    entry["replayed"] = True
                    return replay
            if fault and fault.kind == "500":
                response = self._error(StripeError(500, "An unknown error occurred", type="api_error"), request_id)
            else:
                response = self._execute(request, matched, args, params, files, request_id)
            if self.auto_settle and request.method != "GET":
                self.settle()
                response = self._settled(response, request_id, params.get("expand") or [])
            elif self.settle_after is not None and request.method != "GET" and self._pending():
                self._settle_later()
            if key:
                response.headers["Idempotency-Key"] = key  # Stripe echoes it (the SDK's `idempotency_key`)
                response.headers.setdefault("Original-Request", request_id)  # a first answer is its own original
            if key and response.status != 429:
                self._remember(request, key, params, response)
        return response

    def _settled(self, response: Response, request_id: str, paths: list[str]) -> Response:
        """Show a written account as it is once settled: verification here is immediate.

        Stripe would answer with the checks pending and send `account.updated` moments later; with
        auto-settle both have already happened, so the write's answer says what the event says.
        """
        if response.status != 200 or b'"object": "account"' not in response.body[:200]:
            return response
        account = self.store.accounts.get(json.loads(response.body).get("id") or "")
        if account is None or account.deleted:
            return response
        return self._json(200, expand.apply(self.render(account, self.evaluate(account)), paths, self.expanded),
                          request_id)

    def _authenticate(self, request: Request) -> None:
        auth = request.header("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip()
        if not token:
            raise StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                              "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        if token.startswith(("sk_live_", "rk_live_")):
            raise StripeError(401, "The sandbox accepts test keys only (sk_test_...); live keys belong to Stripe.")
        if not token.startswith(("sk_test_", "rk_test_")) or token in ("sk_test_", "rk_test_"):
            raise StripeError(401, f"Invalid API Key provided: {token[:8]}{'*' * max(0, len(token) - 12)}{token[-4:]}")

    def _params(self, request: Request) -> tuple[dict[str, Any], dict[str, forms.UploadedFile]]:
        content_type = request.header("Content-Type") or ""
        if request.method == "GET" or not request.body:
            return forms.decode_form(request.query), {}
        if content_type.startswith("multipart/form-data"):
            return forms.decode_multipart(request.body, content_type)
        return forms.decode_form(request.body), {}

    def _execute(self, request: Request, matched: Route, args: dict[str, str], params: dict[str, Any],
                 files: dict[str, forms.UploadedFile], request_id: str) -> Response:
        account_id = args.get("account")
        before = self.snapshot(account_id) if account_id and request.method != "GET" else None
        ctx = Context(args, params, files, int(self.clock()), request_id, request.client_ip, self._base_url(request),
                      request.header("Stripe-Account") or None)
        try:
            status, body = matched.handler(self, ctx)
        except StripeError as exc:
            return self._error(exc, request_id)
        if request.method != "GET":
            target = account_id or (body.get("id") if body.get("object") == "account" else None)
            if target:
                self.emit_changes(before, self.snapshot(target), request_id, request.header("Idempotency-Key"))
        return self._json(status, expand.apply(body, params.get("expand") or [], self.expanded), request_id)

    def _base_url(self, request: Request) -> str:
        if self.hosted_base is not None:
            return self.hosted_base()
        host = request.header("Host")
        return f"http://{host}" if host else HOSTED_NOWHERE

    # -- the hosted pages (Account Links) ----------------------------------------------------
    def hosted_page(self, request: Request) -> Response:
        """Answer a browser's request for an Account Link's page (see `hosted.py`)."""
        from .hosted import serve

        return serve(self, request)

    def add_hosted_requirement(self, account_id: str, requirement: str, *, past_due: bool = False) -> None:
        """Make a requirement that only Stripe's hosted flow answers due on an account (see `hosted.py`)."""
        from .hosted import add_requirement

        add_requirement(self, account_id, requirement, past_due=past_due)

    # -- balances and payouts (test controls) -------------------------------------------------
    def credit_balance(self, account_id: str, currency: str, amount: int, *, pending: bool = False) -> dict[str, Any]:
        """Add funds to a connected account's available or pending balance; return its balance (see `payouts.py`)."""
        from .payouts import credit
        from .routes.common import get_account

        with self.store.lock:
            return credit(self, get_account(self, account_id), currency, amount, pending=pending)

    def create_payout(self, account_id: str, **options: Any) -> dict[str, Any]:
        """Make a paid, pending, in-transit or failed payout of a connected account (see `payouts.make_payout`)."""
        from .payouts import make_payout, render_payout
        from .routes.common import get_account

        with self.store.lock:
            return render_payout(make_payout(self, get_account(self, account_id), **options))

    # -- idempotency ------------------------------------------------------------------------
    def _fingerprint(self, request: Request, params: dict[str, Any]) -> str:
        canonical = json.dumps([request.method, request.path, params], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def _replay(self, request: Request, key: str, params: dict[str, Any], request_id: str) -> Response | None:
        scope = (request.header("Authorization") or "", key)
        saved = self.store.idempotency.get(scope)
        if saved is None or saved["at"] + IDEMPOTENCY_TTL < self.clock():
            return None
        if saved["fingerprint"] != self._fingerprint(request, params):
            return self._error(StripeError(
                400, f"Keys for idempotent requests can only be used with the same parameters they were first "
                     f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                type="idempotency_error"), request_id)
        headers = dict(saved["headers"], **{"Idempotent-Replayed": "true", "Original-Request": saved["request_id"],
                                             "Request-Id": request_id})
        return Response(saved["status"], saved["body"], headers)

    def _remember(self, request: Request, key: str, params: dict[str, Any], response: Response) -> None:
        scope = (request.header("Authorization") or "", key)
        self.store.idempotency[scope] = {"fingerprint": self._fingerprint(request, params), "status": response.status,
                                         "body": response.body, "headers": response.headers, "at": self.clock(),
                                         "request_id": response.headers.get("Request-Id")}

    # -- responses -------------------------------------------------------------------------
    def _json(self, status: int, body: dict[str, Any], request_id: str) -> Response:
        headers = {"Content-Type": "application/json", "Request-Id": request_id, "Stripe-Version": API_VERSION}
        # Compact: Stripe indents its JSON, but the indenting encoder is pure Python and several times slower.
        return Response(status, json.dumps(body).encode(), headers)

    def _error(self, error: StripeError, request_id: str) -> Response:
        response = self._json(error.status, error.body(request_id), request_id)
        if error.status >= 500:
            response.headers["Stripe-Should-Retry"] = "false"  # the result is saved; a retry replays it
        return response

    # -- state, rendering, events ------------------------------------------------------------
    def evaluate(self, account: Account) -> Evaluation:
        """Run the requirements pass for an account at the sandbox's current time."""
        store = self.store
        banks = [store.bank_accounts[b] for b in account.external_accounts]
        outcomes = {f.id: f.outcome for f in store.files.values()}
        return Evaluator(self.specs, account, store.persons_of(account.id), banks, outcomes, int(self.clock()),
                         naming=self.requirement_naming, person_requirements=self.person_requirements,
                         person_prefix=self.person_prefix).evaluate()

    def render(self, account: Account, evaluation: Evaluation | None = None) -> dict[str, Any]:
        """Return the account object with freshly computed requirements (or the evaluation given)."""
        evaluation = evaluation or self.evaluate(account)
        individual = self.store.persons.get(account.individual) if account.individual else None
        banks = [self.store.bank_accounts[b] for b in account.external_accounts]
        spec = self.specs.get(account.country) or {}
        body = render_account(account, evaluation, render_person(individual, evaluation) if individual else None,
                              banks, spec.get("default_currency", "usd"))
        body["settings"]["payouts"] = payout_schedule.render(
            (account.data.get("settings") or {}).get("payouts"), account.country,
            body["controller"]["requirement_collection"])
        return body

    def expanded(self, object_id: str) -> dict[str, Any] | None:
        """Return the object an expandable id stands for (a file, an account, a bank account), or None to keep the id."""
        if object_id.startswith("ba_"):
            bank = self.store.bank_accounts.get(object_id)
            return render_bank_account(bank) if bank else None
        if object_id.startswith("file_"):
            file = self.store.files.get(object_id)
            if file is None and object_id in TEST_FILES:
                # Stripe's test document tokens stand for a file the sandbox never stored (an assumption:
                # an identity-document PNG of unknown size).
                file = File(object_id, 0, "identity_document", None, 0, "png")
            return render_file(file) if file else None
        account = self.store.accounts.get(object_id)
        return self.render(account) if account is not None and not account.deleted else None

    def snapshot(self, account_id: str | None) -> dict[str, Any] | None:
        """Return the public state of an account and its persons and bank accounts."""
        account = self.store.accounts.get(account_id or "")
        if account is None or account.deleted:
            return None
        evaluation = self.evaluate(account)
        body = self.render(account, evaluation)
        return {
            "account": body,
            "persons": {p.id: render_person(p, evaluation) for p in self.store.persons_of(account.id)
                        if p.id != account.individual},
            "banks": {b: render_bank_account(self.store.bank_accounts[b]) for b in account.external_accounts},
        }

    def emit_changes(self, before: dict[str, Any] | None, after: dict[str, Any] | None,
                     request_id: str | None, idempotency_key: str | None) -> None:
        """Emit the events that describe the change between two snapshots."""
        if after is None:
            return
        account_id = after["account"]["id"]
        request = {"id": request_id, "idempotency_key": idempotency_key}
        old_account = before["account"] if before else None
        if old_account is not None and old_account != after["account"]:
            self.emit("account.updated", after["account"], account_id, request, diff(old_account, after["account"]))
            for name, status in after["account"]["capabilities"].items():
                if old_account["capabilities"].get(name) != status:
                    capability = capability_object(self.store.accounts[account_id], name, status, after["account"])
                    self.emit("capability.updated", capability, account_id, request,
                              {"status": old_account["capabilities"].get(name)})
        for kind, prefix in (("persons", "person"), ("banks", "account.external_account")):
            old = before[kind] if before else {}
            for oid, obj in after[kind].items():
                if oid not in old:
                    self.emit(f"{prefix}.created", obj, account_id, request, None)
                elif old[oid] != obj:
                    self.emit(f"{prefix}.updated", obj, account_id, request, diff(old[oid], obj))
            for oid, obj in old.items():
                if oid not in after[kind]:
                    self.emit(f"{prefix}.deleted", obj | {"deleted": True}, account_id, request, None)

    def emit(self, type: str, obj: dict[str, Any], account: str, request: dict[str, Any],
             previous: dict[str, Any] | None) -> dict[str, Any]:
        """Record an event and queue it for webhook delivery."""
        data: dict[str, Any] = {"object": obj}
        if previous:
            data["previous_attributes"] = previous
        event = {"id": new_id("evt"), "object": "event", "account": account, "api_version": API_VERSION,
                 "context": account, "created": int(self.clock()), "data": data, "livemode": False,
                 "pending_webhooks": 1 if self.dispatcher else 0, "request": request, "type": type}
        self.store.events[event["id"]] = event
        if self.dispatcher:
            self.dispatcher.send(event)
        return event

    def _pending(self) -> set[str]:
        """Return the accounts with a verification in progress."""
        store = self.store
        pending = {p.account for p in store.persons.values() if p.pending}
        pending |= {a.id for a in store.accounts.values() if a.company_pending}
        pending |= {b.account for b in store.bank_accounts.values() if b.status == "new" and b.outcome != "ok"}
        return pending

    def _settle_later(self) -> None:
        """Finish what is pending `settle_after` seconds from now, on a timer thread."""
        timer = threading.Timer(self.settle_after or 0.0, self.settle)
        timer.daemon = True
        with self._log_lock:
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def settle(self) -> None:
        """Finish every verification in progress, as Stripe does moments after a submission."""
        with self.store.lock:
            for account_id in sorted(self._pending()):
                before = self.snapshot(account_id)
                for person in self.store.persons_of(account_id):
                    person.pending = False
                self.store.accounts[account_id].company_pending = False
                for bank in self.store.bank_accounts.values():
                    if bank.account == account_id and bank.outcome != "ok":
                        bank.status = "errored"
                self.emit_changes(before, self.snapshot(account_id), None, None)

    def flush_webhooks(self, timeout: float = 10.0, *, retries: bool = False) -> None:
        """Wait for queued webhook deliveries; with `retries`, also for the retries of failed ones."""
        if self.dispatcher:
            self.dispatcher.flush(timeout, retries=retries)

    def close(self) -> None:
        """Stop pending verification timers and background delivery."""
        with self._log_lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        if self.dispatcher:
            self.dispatcher.close()

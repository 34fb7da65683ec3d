"""The one gateway to Xero: xero-python with urllib3 retries off, a throttle, typed errors.

:class:`XeroGateway` wraps the official SDK (``AccountingApi``, ``IdentityApi``, ``TokenApi``),
pointed at the connection's own base URLs, so the same code talks to Xero or to the emulator.
It never imports odoo; the Odoo connection builds one per use and keeps the tokens.
"""

import hashlib
import logging
from datetime import date, datetime, timezone
from urllib.parse import urlencode

import urllib3
from xero_python.accounting import AccountingApi
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import ApiException
from xero_python.identity import IdentityApi

from . import sdk_convert
from .errors import XeroAuthError, XeroRateLimited, XeroTransientError, mask
from .sdk_client import GatewayApiClient, GatewayTokenApi, error_for, status_of
from .texts import _lt
from .throttle import RealClock, next_day_pause, rate_headers

_logger = logging.getLogger(__name__)

DEFAULT_SCOPES = (
    "offline_access accounting.contacts accounting.invoices accounting.payments "
    "accounting.attachments accounting.settings.read"
)
#: Consecutive short 429 waits before giving up with XeroRateLimited.
MAX_RATE_RETRIES = 5
#: Failures before the request left: nothing reached Xero, the same request may be sent again.
UNSENT_ERRORS = (
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    ConnectionRefusedError,
)
#: Connection-level failures (timeouts, resets, refused connections...).
NETWORK_ERRORS = (
    urllib3.exceptions.MaxRetryError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ResponseError,
    ConnectionError,
)


def modified_since_header(when):
    """``If-Modified-Since`` as Xero documents it: UTC ``yyyy-mm-ddThh:mm:ss``, to the second
    (cut down, so nothing in that second is missed). A naive datetime is taken as UTC (as
    Odoo's are); the SDK alone would send ``isoformat()``, with microseconds and no zone."""
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day)
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


class XeroGateway:
    """One Xero connection's way out: every Accounting, Identity and token call goes here.

    :param api_url: e.g. ``https://api.xero.com`` (Accounting at ``/api.xro/2.0``,
        connections at ``/connections``).
    :param identity_url: e.g. ``https://identity.xero.com`` (``/connect/token``).
    :param login_url: e.g. ``https://login.xero.com`` (``/identity/connect/authorize``).
    :param tenant_id: the organisation every Accounting call is for.
    :param token_getter: ``() -> access token str``; called before each request (the Odoo
        connection refreshes under a row lock when the token is about to expire).
    :param on_unauthorized: ``() -> new access token or None``; called once on a 401, to force
        a refresh; the call is then retried with the new token.
    :param throttle: a :class:`~.throttle.Throttle` (shared per tenant), or ``None``.
    :param clock: waits go through it (default: the throttle's clock, else real time).
    :param timeout: ``(connect, read)`` seconds for every request.
    :param max_retries: retries of a 5xx answer or a connection failure (exponential backoff).
    :param max_wait: longest rate-limit wait in seconds; longer -> :class:`XeroRateLimited`.

    Not thread-safe: one gateway per worker/thread.
    """

    def __init__(
        self,
        api_url,
        identity_url,
        login_url,
        client_id,
        client_secret,
        tenant_id=None,
        token_getter=None,
        on_unauthorized=None,
        throttle=None,
        clock=None,
        timeout=(10, 60),
        max_retries=3,
        max_wait=60,
    ):
        self.api_url = api_url.rstrip("/")
        self.identity_url = identity_url.rstrip("/")
        self.login_url = login_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.tenant_id = tenant_id
        self.token_getter = token_getter
        self.on_unauthorized = on_unauthorized
        self.throttle = throttle
        self.clock = clock or (throttle.clock if throttle else None) or RealClock()
        self.timeout = tuple(timeout) if isinstance(timeout, (list, tuple)) else timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.scopes = DEFAULT_SCOPES
        self.last_rate = {"min_remaining": None, "day_remaining": None, "app_min_remaining": None}
        self._used_token = self._rejected_token = self._replacement_token = None

        # Configuration() returns a copy of a process-wide default (TypeWithDefault metaclass)
        # and ignores its arguments after the first call: set our own OAuth2Token on the copy.
        configuration = Configuration()
        configuration.oauth2_token = OAuth2Token(client_id=client_id, client_secret=client_secret)
        self.api_client = GatewayApiClient(
            configuration, self.timeout, oauth2_token_getter=self._sdk_token
        )
        self.accounting = AccountingApi(self.api_client, base_url=self.api_url + "/api.xro/2.0")
        self.identity = IdentityApi(self.api_client, base_url=self.api_url)
        self.token_api = GatewayTokenApi(
            self.api_client, client_id, client_secret, self.identity_url
        )

    # -- API calls -------------------------------------------------------------------------

    def call(self, method_name, *, idempotency_key=None, key_salt=None, **kwargs):
        """Call the AccountingApi method ``method_name`` for ``self.tenant_id``.

        :param kwargs: the SDK method's keyword arguments without ``xero_tenant_id``. Bodies
            may be plain Xero dicts (``contacts={"Contacts": [{"Name": "A"}]}``): they become
            SDK models through :func:`sdk_convert.to_sdk`.
        :param idempotency_key: for writes (every PUT/POST): the ``Idempotency-Key``; by
            default :meth:`idempotency_key` of the call.
        :param key_salt: mixed into the key of a write (e.g. the attempt number after a failed
            one): Xero remembers an answer under its key, a 5xx included, for about 6 minutes.
        :return: plain dicts/lists in Xero's PascalCase shape; ``bytes`` for file downloads.
        :raises XeroError: a subclass from :mod:`.errors`. A write whose answer is a 5xx or
            was lost is never sent again here (the same key would replay a remembered error):
            :class:`XeroTransientError` with ``unsure=True``, for the caller to re-read what
            Xero holds and send what is missing under a new key.
        """
        function = self._sdk_method(self.accounting, method_name)
        spec = sdk_convert.method_spec(function)
        unknown = set(kwargs) - set(spec.params) - {"xero_tenant_id"}
        if unknown:
            raise TypeError("%s takes no %s" % (method_name, ", ".join(sorted(unknown))))
        if "xero_tenant_id" in spec.params:
            if not self.tenant_id:
                raise ValueError("%s needs a tenant: the gateway has no tenant_id" % method_name)
            kwargs["xero_tenant_id"] = self.tenant_id
        if idempotency_key and len(idempotency_key) > 128:
            raise ValueError("an Idempotency-Key has at most 128 characters")
        if spec.writes:
            payload = {k: v for k, v in kwargs.items() if k != "xero_tenant_id"}
            key = idempotency_key or self.idempotency_key(method_name, payload)
            if key_salt:
                key = hashlib.sha256(("%s\n%s" % (key, key_salt)).encode("utf-8")).hexdigest()
            kwargs["idempotency_key"] = key
        elif idempotency_key:
            raise ValueError("%s does not write: it takes no idempotency key" % method_name)
        if isinstance(kwargs.get("if_modified_since"), (datetime, date)):
            kwargs["if_modified_since"] = modified_since_header(kwargs["if_modified_since"])
        finder = self.accounting.get_model_finder()
        kwargs = {k: sdk_convert.to_sdk(spec.params.get(k), v, finder) for k, v in kwargs.items()}
        kwargs["_request_timeout"] = self.timeout
        is_file = spec.returns == "file"
        if is_file:
            # The SDK would write downloads to a temporary file; read the bytes instead.
            kwargs["_preload_content"] = False

        def send():
            result = function(**kwargs)
            return result.data if is_file else result

        result = self._execute(send, self.tenant_id, write=spec.writes)
        return result if is_file else sdk_convert.to_plain(result)

    def identity_call(self, method_name, **kwargs):
        """Call the IdentityApi method ``method_name`` (e.g. ``get_connections``) and return
        plain dicts (``[{"id", "tenantId", "tenantType", "tenantName", ...}]``)."""
        function = self._sdk_method(self.identity, method_name)
        kwargs["_request_timeout"] = self.timeout
        return sdk_convert.to_plain(self._execute(lambda: function(**kwargs)))

    def idempotency_key(self, method_name, payload, tenant_id=None):
        """The default ``Idempotency-Key`` of a write: sha256 (hex, 64 chars) of the method
        name, the tenant and the canonical JSON of its arguments (body and path parameters:
        two deletes of different payments send the same body)."""
        source = "\n".join(
            [method_name, tenant_id or self.tenant_id or "", sdk_convert.canonical_json(payload)]
        )
        return hashlib.sha256(source.encode("utf-8")).hexdigest()

    # -- OAuth2 ----------------------------------------------------------------------------

    def authorize_url(self, redirect_uri, scopes, state):
        """URL of Xero's consent page (authorization-code flow) for ``scopes`` (str or list)."""
        scopes = scopes or self.scopes
        if not isinstance(scopes, str):
            scopes = " ".join(scopes)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": scopes,
            "state": state,
        }
        return "%s/identity/connect/authorize?%s" % (self.login_url, urlencode(query))

    def fetch_client_credentials_token(self, scopes=None):
        """Client-credentials grant (custom connection, emulator):
        ``{"access_token", "expires_at", "scope"}`` (no refresh token)."""
        if scopes and not isinstance(scopes, str):
            scopes = " ".join(scopes)
        return self._token_call(lambda: self.token_api.get_client_credentials_token(scope=scopes))

    def refresh_token(self, refresh_token, scopes=None):
        """Refresh grant: ``{"access_token", "refresh_token", "expires_at", "scope"}``. Store
        the new refresh token at once: the old one is spent. ``scopes`` (optional) narrows
        the grant; by default none is sent and the granted scopes are kept.

        :raises XeroAuthError: with ``needs_reauth=True`` when Xero answers ``invalid_grant``.
        """
        return self._token_call(lambda: self.token_api.refresh_token(refresh_token, scopes))

    def exchange_code(self, code, redirect_uri):
        """Authorization-code grant (OAuth2 callback):
        ``{"access_token", "refresh_token", "expires_at", "scope"}``."""
        return self._token_call(lambda: self.token_api.exchange_code(code, redirect_uri))

    def revoke(self, refresh_token):
        """Revoke ``refresh_token`` (disconnects the app's tenants for that grant)."""
        self._execute(lambda: self.token_api.revoke_token(refresh_token), token_call=True)

    # -- internals -------------------------------------------------------------------------

    def _token_call(self, send):
        valid_from = self.clock.time()
        data = self._execute(send, token_call=True)
        expires_at = data.get("expires_at")
        if not expires_at and data.get("expires_in"):
            expires_at = valid_from + float(data["expires_in"])
        return {
            "access_token": data.get("access_token"),
            "refresh_token": data.get("refresh_token"),
            "expires_at": expires_at,
            "scope": data.get("scope"),
        }

    @staticmethod
    def _sdk_method(api, method_name):
        function = getattr(api, method_name, None) if not method_name.startswith("_") else None
        if not callable(function) or method_name in ("get_resource_url", "get_model_finder"):
            raise ValueError("%s has no API method %r" % (type(api).__name__, method_name))
        return function

    def _sdk_token(self):
        """Token dict for the SDK's OAuth2Token; no ``expires_at``, so the SDK never refreshes
        by itself (the Odoo connection does, under a lock)."""
        token = self.token_getter() if self.token_getter else None
        if token and token == self._rejected_token and self._replacement_token:
            token = self._replacement_token
        if not token:
            raise XeroAuthError(_lt("No Xero access token is available."), needs_reauth=True)
        self._used_token = token
        return {
            "access_token": token,
            "token_type": "Bearer",
            "scope": self.scopes,
            "expires_in": None,
        }

    def _reauthorize(self):
        new_token = self.on_unauthorized() if self.on_unauthorized else None
        if not new_token or new_token == self._used_token:
            return False
        self._rejected_token, self._replacement_token = self._used_token, new_token
        return True

    def _observe(self, tenant_id, headers):
        self.last_rate = rate_headers(headers)
        if tenant_id and self.throttle:
            self.throttle.observe(tenant_id, headers)

    def _backoff(self, attempt):
        return min(2.0 ** (attempt - 1), 30.0)

    def _rate_wait(self, headers):
        headers = {str(k).lower(): v for k, v in dict(headers or {}).items()}
        problem = (headers.get("x-rate-limit-problem") or "minute").strip().lower()
        try:
            return max(float(headers["retry-after"]), 0.0), problem
        except (KeyError, TypeError, ValueError):
            if problem == "day":
                return next_day_pause(self.clock.time()) - self.clock.time(), problem
            return (1.0 if problem == "concurrent" else 60.0), problem

    def _execute(self, send, tenant_id=None, token_call=False, write=False):
        """Run ``send`` with the throttle, 429 waits, 401 re-authorisation, retries of 5xx and
        connection failures; map SDK/urllib3 errors to :mod:`.errors`.

        A ``write`` is retried only when it cannot have reached Xero (429, 401, no connection
        made); after a 5xx or a lost answer it raises ``XeroTransientError(unsure=True)``.
        """
        failures = rate_waits = 0
        reauthorized = token_call
        throttled = bool(tenant_id and self.throttle)
        while True:
            self.api_client.last_response = None
            try:
                if throttled:
                    with self.throttle.slot(tenant_id, self.max_wait):
                        result = send()
                else:
                    result = send()
            except ApiException as exc:
                status, headers = status_of(exc), exc.headers or {}
                self._observe(tenant_id, headers)
                if status == 429:
                    self._rate_limit_wait(tenant_id, headers, throttled, rate_waits)
                    rate_waits += 1
                    continue
                if status == 401 and not reauthorized:
                    reauthorized = True
                    if self._reauthorize():
                        continue
                    raise XeroAuthError(
                        _lt("Xero refused the access token and no new one could be obtained."),
                        needs_reauth=True,
                        status=401,
                    ) from None
                if (not status or status >= 500) and failures < self.max_retries and not write:
                    failures += 1
                    self._retry_log(failures, "HTTP %s" % status)
                    continue
                error = error_for(exc, status, token_call, self._mask)
                error.unsure = write and isinstance(error, XeroTransientError)
                raise error from None
            except NETWORK_ERRORS as exc:
                unsent = isinstance(getattr(exc, "reason", exc), UNSENT_ERRORS)
                if failures < self.max_retries and (unsent or not write):
                    failures += 1
                    self._retry_log(failures, type(exc).__name__)
                    continue
                error = XeroTransientError(
                    _lt(
                        "Xero could not be reached (%(error)s): %(detail)s",
                        error=type(exc).__name__,
                        detail=self._mask(exc),
                    )
                )
                error.unsure = write and not unsent
                raise error from None
            response = self.api_client.last_response
            if response is not None:
                self._observe(tenant_id, response.getheaders())
            return result

    def _rate_limit_wait(self, tenant_id, headers, throttled, rate_waits):
        """After a 429: pause the dealer's throttle and wait, or raise ``XeroRateLimited`` when
        the wait is too long or the waits too many."""
        wait, problem = self._rate_wait(headers)
        until = self.clock.time() + wait
        if throttled:
            self.throttle.pause(tenant_id, until)
        if wait > self.max_wait or rate_waits >= MAX_RATE_RETRIES:
            raise XeroRateLimited(until=until, problem=problem) from None
        _logger.info("Xero rate limit (%s): waiting %.1f s", problem, wait)
        self.clock.sleep(wait)

    def _retry_log(self, failures, what):
        delay = self._backoff(failures)
        _logger.warning(
            "Xero call failed (%s); retry %d/%d in %.0f s", what, failures, self.max_retries, delay
        )
        self.clock.sleep(delay)

    def _mask(self, text):
        secrets = (self._client_secret, self._used_token, self._replacement_token)
        return mask(text, secrets=[s for s in secrets if s])

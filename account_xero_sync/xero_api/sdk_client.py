"""xero-python glue for the gateway: an ApiClient and a TokenApi fit for it, and the mapping
of the SDK's HTTP errors to :mod:`.errors`."""

import json
import os
import threading
import time
from decimal import Decimal

import urllib3
from xero_python.api_client import ApiClient
from xero_python.api_client.deserializer import deserialize
from xero_python.api_client.oauth2 import TokenApi

from .errors import (
    XeroAuthError,
    XeroError,
    XeroNotFound,
    XeroTransientError,
    XeroValidationError,
    mask,
)
from .sdk_convert import strip_nulls
from .texts import _lt

#: OAuth2 errors after which only a user can help (reconnect, or fix the app's credentials).
REAUTH_ERRORS = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope"}
)


_POOLS = {}  # {process id: urllib3.PoolManager}, see _shared_pool_manager
_POOLS_LOCK = threading.Lock()


def _shared_pool_manager(built):
    """The process's one ``urllib3.PoolManager``, shared by every gateway (``built``, the one
    the SDK's ``RESTClientObject`` has just made, becomes it the first time).

    A gateway is made per Xero call; with a pool manager each, every call opened a new
    connection (a new TLS handshake with Xero) and left the old one open until garbage
    collection, holding a server thread meanwhile. Shared, the connections to an API host stay
    open and are reused across calls, threads and connections (PoolManager is thread-safe).
    Keyed by process id: a forked worker never uses its parent's sockets.

    Its pools get no urllib3 retries: urllib3's default ``Retry(3)`` re-sends GET/PUT on 429
    after sleeping Retry-After (hours for the day limit) and re-sends on resets without the
    gateway knowing. New pools take their ``retries`` from ``connection_pool_kw`` (it is part
    of the pool key); ``clear()`` drops any pool made before.
    """
    pid = os.getpid()
    with _POOLS_LOCK:
        pool_manager = _POOLS.get(pid)
        if pool_manager is None:
            _POOLS.clear()  # a parent's, inherited by fork: its sockets are not ours
            pool_manager = _POOLS[pid] = built
            pool_manager.connection_pool_kw["retries"] = urllib3.Retry(
                total=0, respect_retry_after_header=False
            )
            pool_manager.clear()
        return pool_manager


class GatewayApiClient(ApiClient):
    """ApiClient with a default timeout and null-tolerant response reading."""

    def __init__(self, configuration, timeout, **kwargs):
        super().__init__(configuration, **kwargs)
        self.default_timeout = timeout
        self.last_response = None
        self.rest_client.pool_manager = _shared_pool_manager(self.rest_client.pool_manager)

    #: Seconds spent in HTTP calls by every client of the process (read by ``make bench`` to
    #: tell Odoo's own time from the time spent waiting for Xero).
    http_seconds = 0.0

    def call_api(self, *args, **kwargs):
        """As the SDK's, with the gateway's timeout when the caller gives none: TokenApi's
        calls pass no ``_request_timeout``, and urllib3 would then wait forever."""
        if not kwargs.get("_request_timeout"):
            kwargs["_request_timeout"] = self.default_timeout
        start = time.perf_counter()
        try:
            return super().call_api(*args, **kwargs)
        finally:
            GatewayApiClient.http_seconds += time.perf_counter() - start

    def deserialize(self, response, response_type, response_model_finder):
        """As the SDK's, without JSON nulls (see :func:`.sdk_convert.strip_nulls`); an answer
        the SDK cannot read (e.g. a malformed date) raises :class:`XeroError`."""
        try:
            try:
                data = json.loads(response.text, parse_float=Decimal)
            except ValueError:
                return super().deserialize(response, response_type, response_model_finder)
            data = strip_nulls(data)
            return deserialize(response_type, data, response_model_finder)
        except ValueError as exc:
            raise XeroError(_lt("Xero's answer could not be read: %s", mask(exc))) from None


class GatewayTokenApi(TokenApi):
    """The SDK's TokenApi with this gateway's URLs as instance attributes.

    The SDK keeps the token URLs as class attributes; changing the class would send every
    gateway of the process to one host. It also lacks the authorization-code grant and the
    ``scope`` of a client-credentials request, and always sends a ``scope`` on refresh: those
    requests are made here on the SDK's own ``api_client.call_api``, exactly as its others.
    """

    def __init__(self, api_client, client_id, client_secret, identity_url):
        super().__init__(api_client, client_id, client_secret)
        self.refresh_token_url = identity_url + "/connect/token"
        self.client_credentials_token_url = identity_url + "/connect/token"
        self.revoke_token_url = identity_url + "/connect/revocation"

    def _post_form(self, url, post_data):
        response, _status, _headers = self.api_client.call_api(
            url,
            "POST",
            header_params={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            post_params=post_data,
            auth_settings=None,
            _preload_content=False,
        )
        return self.parse_token_response(response)

    def get_client_credentials_token(self, app_store_billing=False, scope=None):
        """Client-credentials grant (custom connections), with the requested scopes."""
        post_data = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "client_credentials",
        }
        if scope:
            post_data["scope"] = scope
        return self._post_form(self.client_credentials_token_url, post_data)

    def refresh_token(self, refresh_token, scope=None):
        """Refresh grant. Unlike the SDK's, it sends ``scope`` only when given: asking for a
        scope the user never granted would be refused (``invalid_scope``)."""
        post_data = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if scope:
            post_data["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        return self._post_form(self.refresh_token_url, post_data)

    def exchange_code(self, code, redirect_uri):
        """Authorization-code grant: exchange the code of the OAuth2 callback for tokens."""
        post_data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        return self._post_form(self.refresh_token_url, post_data)


def status_of(exc):
    # AccountingBadRequestException.status parses the body as JSON: read the HTTP status.
    return getattr(exc.http_resp, "status", None) or getattr(exc, "_status", None)


def body_message(body):
    """Xero's own message from an error body (JSON Message/Detail/Title/error), else its text."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body or "")
    except ValueError:
        return (body or "").strip()[:200]
    if isinstance(data, dict):
        for key in ("Message", "Detail", "Title", "error_description", "error"):
            if data.get(key):
                return str(data[key])
    return ""


def error_for(exc, status, token_call=False, mask_secrets=mask):
    """The typed error for a final HTTP error answer ``exc`` (an SDK ``ApiException``).

    :param token_call: the request went to the token endpoint: 400/401/403 there are OAuth2
        errors (``invalid_grant`` ...), mapped to :class:`XeroAuthError`.
    :param mask_secrets: ``(text) -> text`` hiding the caller's secrets.
    """
    body = exc.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    detail = mask_secrets(body_message(body))
    if token_call and status in (400, 401, 403):
        try:
            code = json.loads(body).get("error")
        except (ValueError, AttributeError):
            code = None
        return XeroAuthError(
            _lt("Xero refused the token request: %s", code or detail or status),
            needs_reauth=code in REAUTH_ERRORS,
            status=status,
            code=code,
        )
    if status == 400:
        return XeroValidationError.from_body(mask_secrets(body.decode("utf-8", "replace")))
    if status == 404:
        return XeroNotFound(status=404)
    if status == 401:
        return XeroAuthError(
            _lt("Xero refused the access token (%s).", detail or status),
            needs_reauth=True,
            status=401,
        )
    if status == 403:
        return XeroAuthError(
            _lt(
                "Xero denied access (%s): the app may lack a permission (scope) or the "
                "organisation was disconnected.",
                detail or status,
            ),
            status=403,
        )
    if not status:
        return XeroTransientError(_lt("Xero could not be reached: %s", mask_secrets(exc.reason)))
    if status >= 500:
        if detail:
            message = _lt("Xero failed (HTTP %(status)s): %(detail)s", status=status, detail=detail)
        else:
            message = _lt("Xero failed (HTTP %s).", status)
        return XeroTransientError(message, status=status)
    return XeroError(
        _lt(
            "Xero answered HTTP %(status)s: %(detail)s", status=status, detail=detail or exc.reason
        ),
        status=status,
    )

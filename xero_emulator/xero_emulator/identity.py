"""OAuth2 as Xero's identity service does it: token grants, authorize, connections, revocation.

- `client_credentials` (custom connections): access token only, for the one organisation the
  custom connection was bought for (developer.xero.com FAQ, custom integrations: "it can only
  be connected to a single organisation"). Each organisation has its own (`custom_clients`).
- `authorization_code` (the OAuth 2.0 app): `/identity/connect/authorize` consents at once and
  redirects back with `code` and `state`; the code is single use and lives 5 minutes. The app
  reaches the organisations its users grant, at most 25 while uncertified: consent that would
  connect a 26th is refused (`error=access_denied`).
- A client is one or the other: a custom connection asking for a code, or the app for client
  credentials, is refused with `unauthorized_client`.
- `refresh_token`: single use and rotated; a used refresh token may be presented again for 30
  minutes (the new one was lost) and then yields a fresh pair, while the pair it had yielded
  before stops refreshing (two refreshers racing break each other, as with Xero).
- Access tokens are HS256 JWTs that expire after 30 minutes by the emulator's clock.
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode

from .state import APP_MAX_ORGANISATIONS, DEFAULT_APP_CLIENT_ID, DEFAULT_APP_CLIENT_SECRET
from .wire import Response, iso_utc, json_response, text_response, unauthorized

REFRESH_TTL = 60 * 86400
REFRESH_GRACE = 30 * 60
# Recognisable shapes, so that a scan of logs finds any leaked one (tools/check_secrets.py);
# access tokens are JWTs, whose first two parts always start with "eyJ".
REFRESH_PREFIX = "emu-rt-"
CODE_PREFIX = "emu-ac-"
CODE_TTL = 300
# Xero's consent page refuses to connect an uncertified app to more organisations than its
# limit (developer.xero.com: app limits); the wording is the emulator's.
MSG_APP_LIMIT = (
    "This app is not certified: it can be connected to at most %d organisations. Disconnect one, "
    "or have the app certified by Xero."
)
DEFAULT_SCOPE = (
    "openid profile email offline_access accounting.contacts accounting.invoices "
    "accounting.payments accounting.attachments accounting.settings.read"
)
CLIENT_CREDENTIALS_SCOPE = (
    "accounting.contacts accounting.invoices accounting.payments accounting.attachments "
    "accounting.settings.read"
)


# API resource -> scopes that allow writing it, and scopes that allow reading only.
RESOURCE_SCOPES = {
    "contacts": ({"accounting.contacts"}, {"accounting.contacts.read"}),
    "invoices": ({"accounting.invoices", "accounting.transactions"},
                 {"accounting.invoices.read", "accounting.transactions.read"}),
    "attachments": ({"accounting.attachments"}, {"accounting.attachments.read"}),
    "payments": ({"accounting.payments", "accounting.transactions"},
                 {"accounting.payments.read", "accounting.transactions.read"}),
    "settings": ({"accounting.settings"}, {"accounting.settings.read"}),
}  # fmt: skip


def scope_for(segments):
    """The RESOURCE_SCOPES key of an Accounting API path (segments after /api.xro/2.0)."""
    resource = segments[0].lower() if segments else ""
    documents = ("invoices", "creditnotes")
    if resource in documents and len(segments) >= 3 and segments[2].lower() == "attachments":
        return "attachments"
    if resource == "creditnotes":  # credit notes and their allocations: accounting.invoices
        return "invoices"
    return resource if resource in ("contacts", "invoices", "payments") else "settings"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _error(code, status=400):
    return json_response(status, {"error": code})


class Identity:
    """Clients, authorization codes, grants and tokens."""

    def __init__(
        self,
        store,
        clock,
        client_id,
        client_secret,
        access_ttl=1800,
        app_client_id=DEFAULT_APP_CLIENT_ID,
        app_client_secret=DEFAULT_APP_CLIENT_SECRET,
        app_max_organisations=APP_MAX_ORGANISATIONS,
    ):
        self.store = store
        self.clock = clock
        self.default_custom = (client_id, client_secret)
        self.app = (app_client_id, app_client_secret)
        self.app_max_organisations = app_max_organisations
        self.access_ttl = access_ttl
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self.codes, self.grants, self.access, self.refresh = {}, {}, {}, {}

    # -- helpers -----------------------------------------------------------------------------

    def _jwt(self, claims):
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = hmac.new(self._key, ("%s.%s" % (header, payload)).encode(), hashlib.sha256)
        return "%s.%s.%s" % (header, payload, _b64(signature.digest()))

    def custom_clients(self):
        """``{tenant id: (client id, secret)}``: each organisation's custom connection. A seed
        may give one (``client_id``, ``client_secret``); the first organisation's is otherwise
        the emulator's own client (``--client-id``), every other's
        ``emulator-client-<tenant id>`` / ``emulator-secret-<tenant id>``."""
        clients = {}
        for index, org in enumerate(self.store.orgs.values()):
            if org.custom_client:
                clients[org.tenant_id] = org.custom_client
            elif index == 0:
                clients[org.tenant_id] = self.default_custom
            else:
                clients[org.tenant_id] = (
                    "emulator-client-" + org.tenant_id,
                    "emulator-secret-" + org.tenant_id,
                )
        return clients

    def _client_table(self):
        """``{client id: (secret, tenant id or None for the app)}``. Besides the clients of
        :meth:`custom_clients`, an organisation without a seeded client also takes
        ``emulator-client-<tenant id>`` (the first one too: tests and tools name an
        organisation's client without knowing which organisation came first)."""
        table = {}
        for org in self.store.orgs.values():
            if not org.custom_client:
                derived = "emulator-client-" + org.tenant_id
                table[derived] = ("emulator-secret-" + org.tenant_id, org.tenant_id)
        for tenant, (client_id, secret) in self.custom_clients().items():
            table[client_id] = (secret, tenant)
        table[self.app[0]] = (self.app[1], None)
        return table

    @property
    def clients(self):
        """``{client id: secret}`` of every client: the app and the custom connections."""
        return {client_id: secret for client_id, (secret, _t) in self._client_table().items()}

    def _custom_tenant(self, client_id):
        """The organisation of a custom connection's client, or None (the app, or unknown)."""
        return self._client_table().get(client_id, (None, None))[1]

    def _app_organisations(self):
        """The organisations (of this store) the app's live grants reach."""
        return {
            str(t).lower()
            for grant in self.grants.values()
            if grant["client_id"] == self.app[0] and not grant["revoked"]
            for t in grant["tenants"] or ()
            if self.store.org(t) is not None
        }

    def _client(self, request, form):
        """The authenticated client id (HTTP Basic or form fields), or None."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                client_id, _sep, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
        clients = self.clients
        if client_id in clients and hmac.compare_digest(clients[client_id], secret or ""):
            return client_id
        return None

    def _new_grant(self, client_id, kind, scope, tenants):
        now = self.clock.now()
        grant = {
            "id": str(uuid.uuid4()),
            "auth_event_id": str(uuid.uuid4()),
            "client_id": client_id,
            "kind": kind,
            "scope": scope,
            "tenants": tenants,
            "created": now,
            "revoked": False,
        }
        self.grants[grant["id"]] = grant
        return grant

    def _issue(self, grant, with_refresh):
        now = self.clock.now()
        # Forget what can no longer be used, so a long-running emulator stays small.
        self.access = {t: e for t, e in self.access.items() if e["expires"] > now - 86400}
        self.refresh = {t: e for t, e in self.refresh.items() if e["expires"] > now}
        claims = {
            "nbf": int(now),
            "exp": int(now + self.access_ttl),
            "iss": "https://identity.xero.com",
            "aud": "https://identity.xero.com/resources",
            "client_id": grant["client_id"],
            "sub": grant["id"].replace("-", ""),
            "auth_time": int(grant["created"]),
            "xero_userid": grant["id"],
            "global_session_id": grant["id"].replace("-", ""),
            "authentication_event_id": grant["auth_event_id"],
            "jti": uuid.uuid4().hex,
            "scope": grant["scope"].split(),
        }
        access_token = self._jwt(claims)
        self.access[access_token] = {"grant": grant["id"], "expires": now + self.access_ttl}
        answer = {
            "access_token": access_token,
            "expires_in": self.access_ttl,
            "token_type": "Bearer",
            "scope": grant["scope"],
        }
        if with_refresh:
            refresh_token = REFRESH_PREFIX + secrets.token_hex(32)
            self.refresh[refresh_token] = {
                "grant": grant["id"],
                "expires": now + REFRESH_TTL,
                "used_at": None,
                "successor": None,
            }
            answer["refresh_token"] = refresh_token
        if "openid" in grant["scope"].split():
            answer["id_token"] = self._jwt(
                {
                    "iss": "https://identity.xero.com",
                    "aud": grant["client_id"],
                    "exp": int(now + 300),
                    "sub": grant["id"].replace("-", ""),
                    "email": "demo@example.com",
                    "given_name": "Demo",
                    "family_name": "User",
                    "xero_userid": grant["id"],
                }
            )
        return answer

    # -- endpoints ---------------------------------------------------------------------------

    def token(self, request):
        """`POST /connect/token` (form-encoded)."""
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        with self._lock:
            client_id = self._client(request, form)
            if client_id is None:
                return _error("invalid_client")
            grant_type = form.get("grant_type")
            tenant = self._custom_tenant(client_id)
            if grant_type == "client_credentials":
                if tenant is None:  # the OAuth 2.0 app: no client credentials grant
                    return _error("unauthorized_client")
                scope = form.get("scope") or CLIENT_CREDENTIALS_SCOPE
                grant = self._new_grant(client_id, grant_type, scope, [tenant])
                return json_response(200, self._issue(grant, with_refresh=False))
            if grant_type == "authorization_code":
                if tenant is not None:  # a custom connection authorises nobody
                    return _error("unauthorized_client")
                return self._exchange_code(client_id, form)
            if grant_type == "refresh_token":
                return self._refresh(client_id, form.get("refresh_token"))
            return _error("unsupported_grant_type")

    def _exchange_code(self, client_id, form):
        code = self.codes.pop(form.get("code") or "", None)
        now = self.clock.now()
        if code is None or code["expires"] <= now or code["client_id"] != client_id:
            return _error("invalid_grant")
        if form.get("redirect_uri") and form["redirect_uri"] != code["redirect_uri"]:
            return _error("invalid_grant")
        grant = self._new_grant(client_id, "authorization_code", code["scope"], code["tenants"])
        return json_response(200, self._issue(grant, with_refresh=True))

    def _refresh(self, client_id, token):
        now = self.clock.now()
        entry = self.refresh.get(token or "")
        grant = self.grants.get(entry["grant"]) if entry else None
        if entry is None or grant is None or grant["revoked"] or grant["client_id"] != client_id:
            return _error("invalid_grant")
        if entry["expires"] <= now:
            return _error("invalid_grant")
        if entry["used_at"] is not None:
            if now - entry["used_at"] > REFRESH_GRACE:
                return _error("invalid_grant")
            # The earlier successor is superseded: whoever holds it can no longer refresh.
            self.refresh.pop(entry["successor"], None)
        answer = self._issue(grant, with_refresh=True)
        entry["used_at"] = entry["used_at"] or now
        entry["successor"] = answer["refresh_token"]
        return json_response(200, answer)

    def authorize(self, request):
        """`GET /identity/connect/authorize`: consent at once, redirect with code and state."""
        query = request.query
        client_id = query.get("client_id")
        redirect_uri = query.get("redirect_uri")
        if client_id not in self.clients:
            return text_response(400, "Invalid client_id")
        if not redirect_uri:
            return text_response(400, "redirect_uri is required")
        params = {"state": query.get("state") or ""}
        # The organisations the user ticks (all of them unless `tenant_id` says which).
        tenants = [
            org.tenant_id
            for org in (
                self.store.org(t) for t in (query.csv("tenant_id") or self.store.tenant_ids())
            )
            if org is not None
        ]
        reached = self._app_organisations() | {t.lower() for t in tenants}
        if query.get("response_type") != "code":
            params["error"] = "unsupported_response_type"
        elif client_id != self.app[0]:
            params["error"] = "unauthorized_client"
        elif len(reached) > self.app_max_organisations:
            params["error"] = "access_denied"
            params["error_description"] = MSG_APP_LIMIT % self.app_max_organisations
        else:
            code = CODE_PREFIX + secrets.token_hex(24)
            with self._lock:
                self.codes[code] = {
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "scope": query.get("scope") or DEFAULT_SCOPE,
                    "tenants": tenants,
                    "expires": self.clock.now() + CODE_TTL,
                }
            params.update(code=code, scope=query.get("scope") or DEFAULT_SCOPE)
        separator = "&" if "?" in redirect_uri else "?"
        location = redirect_uri + separator + urlencode(params)
        return Response(302, b"", {"Location": location}, "text/plain")

    def revoke(self, request):
        """`POST /connect/revocation`: the refresh token's grant and all its tokens end."""
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        with self._lock:
            if self._client(request, form) is None:
                return _error("invalid_client")
            token = form.get("token") or ""
            entry = self.refresh.get(token) or self.access.get(token)
            if entry and entry["grant"] in self.grants:
                self.grants[entry["grant"]]["revoked"] = True
        return Response(200, b"", {}, "text/plain")

    # -- bearer tokens and connections -------------------------------------------------------

    def bearer(self, request):
        """(grant, None) for a valid bearer token, else (None, 401 response)."""
        auth = request.headers.get("Authorization", "")
        if not auth.lower().startswith("bearer "):
            return None, unauthorized()
        with self._lock:
            entry = self.access.get(auth[7:].strip())
            grant = self.grants.get(entry["grant"]) if entry else None
            if entry is None or grant is None or grant["revoked"]:
                return None, unauthorized()
            if entry["expires"] <= self.clock.now():
                moment = datetime.fromtimestamp(entry["expires"], tz=timezone.utc)
                return None, unauthorized(
                    "TokenExpired: token expired at %s" % moment.strftime("%m/%d/%Y %H:%M:%S")
                )
            return grant, None

    def scoped(self, grant, segments, method):
        """True when the grant's scopes cover this call (granular or `accounting.transactions`)."""
        writes, reads = RESOURCE_SCOPES[scope_for(segments)]
        granted = set(grant["scope"].split())
        return bool(granted & writes) or (method == "GET" and bool(granted & reads))

    def allows(self, grant, tenant_id):
        """True when the grant is connected to this tenant."""
        tenants = grant["tenants"]
        if tenants is None:
            return self.store.org(tenant_id) is not None
        return str(tenant_id).lower() in {t.lower() for t in tenants}

    def _connected(self, grant):
        tenants = grant["tenants"] if grant["tenants"] is not None else self.store.tenant_ids()
        return [org for org in (self.store.org(t) for t in tenants) if org is not None]

    def connections(self, request, grant):
        """`GET /connections`: the organisations this token is connected to."""
        wanted = request.query.get("authEventId")
        if wanted and wanted.lower() != grant["auth_event_id"]:
            return json_response(200, [])
        stamp = iso_utc(grant["created"])
        rows = [
            {
                "id": str(uuid.uuid5(uuid.UUID(grant["id"]), org.tenant_id)),
                "authEventId": grant["auth_event_id"],
                "tenantId": org.tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": org.name,
                "createdDateUtc": stamp,
                "updatedDateUtc": stamp,
            }
            for org in self._connected(grant)
        ]
        return json_response(200, rows)

    def delete_connection(self, grant, connection_id):
        """`DELETE /connections/{id}`: disconnect one organisation from the grant."""
        with self._lock:
            orgs = self._connected(grant)
            keep = [
                org.tenant_id
                for org in orgs
                if str(uuid.uuid5(uuid.UUID(grant["id"]), org.tenant_id)) != connection_id.lower()
            ]
            if len(keep) == len(orgs):
                return None
            grant["tenants"] = keep
        return Response(204, b"", {}, "text/plain")

    def expire_all(self):
        """Expire every access token now (refresh tokens stay valid)."""
        with self._lock:
            now = self.clock.now()
            for entry in self.access.values():
                entry["expires"] = min(entry["expires"], now)
            return len(self.access)

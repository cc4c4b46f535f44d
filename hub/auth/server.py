"""The OAuth2 authorization server: authlib's client-credentials grant with three client auth methods.

authlib's server is synchronous. Everything it needs from the database (the client rows, whether an
assertion's ``jti`` was seen) is fetched before it runs, so no I/O happens inside it; the ``jti`` is
then stored under a primary key, which closes the race between two concurrent replays.
"""

from __future__ import annotations

import contextvars
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc.jwk import KeySet

from hub.auth.keys import ALGORITHM, SigningKeys
from hub.auth.secrets import verify_secret
from hub.db.tables import OAuthClient

PRIVATE_KEY_JWT = "private_key_jwt"
MAX_JTI_LENGTH = 200  # the used_client_assertions.jti column
MAX_ASSERTION_LIFETIME = 3600
AUTH_METHODS = ("client_secret_basic", "client_secret_post", PRIVATE_KEY_JWT)


@dataclass
class Prefetched:
    """What one token request may need from the database, loaded before authlib runs."""

    clients: dict[str, OAuthClient]
    org_kinds: dict[str, str]
    seen_jtis: set[tuple[str, str]]
    # Filled by the assertion check: (client_id, jti, exp) to store once the request succeeds.
    new_jti: list[tuple[str, str, int]] = field(default_factory=list)


_prefetched: contextvars.ContextVar[Prefetched] = contextvars.ContextVar("hub_oauth_prefetched")


class HubClient(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthClient, org_kind: str) -> None:
        self.row = row
        self.org_kind = org_kind

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_allowed_scope(self, scope: str | None) -> str:
        # Access is decided by Cedar policies on roles and organization, not by OAuth scopes.
        return ""

    def check_client_secret(self, client_secret: str) -> bool:
        return self.row.secret_hash is not None and verify_secret(client_secret, self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method == JWTBearerClientAssertion.CLIENT_AUTH_METHOD:
            method = PRIVATE_KEY_JWT
        return endpoint == "token" and method in self.row.auth_methods

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, form: dict[str, str]) -> None:
        self._form = form

    @property
    def data(self) -> dict[str, str]:
        return self._form

    @property
    def datalist(self) -> dict[str, list[str]]:
        values: dict[str, list[str]] = defaultdict(list)
        for key, value in self._form.items():
            values[key].append(value)
        return values


class HubOAuth2Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, uri: str, headers: dict[str, str], form: dict[str, str]) -> None:
        super().__init__(method="POST", uri=uri, headers=headers)
        self._form = form
        self.payload = _Payload(form)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Grant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = [*AUTH_METHODS[:2], JWTBearerClientAssertion.CLIENT_AUTH_METHOD]


class _Assertion(JWTBearerClientAssertion):  # type: ignore[misc]
    def __init__(self, token_url: str, issuer: str) -> None:
        super().__init__(validate_jti=True)
        self._audiences = [token_url, issuer]

    def get_audiences(self) -> list[str]:
        # RFC 7523 §3: the JWT MUST contain an "aud" claim identifying the authorization server.
        return self._audiences

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        # RFC 7523 §3 (7): the authorization server MAY ensure JWTs are not replayed by keeping jti values.
        state = _prefetched.get()
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise InvalidClientError(description=f"jti must be a string of 1 to {MAX_JTI_LENGTH} characters")
        if int(claims["exp"]) - int(time.time()) > MAX_ASSERTION_LIFETIME:
            # Replay protection keeps every jti until its assertion expires: long-lived assertions would
            # make that store grow without bound, so they are refused.
            raise InvalidClientError(description="client assertions may live at most 1 hour")
        key = (str(claims["sub"]), jti)
        if key in state.seen_jtis:
            return False
        state.new_jti.append((key[0], key[1], int(claims["exp"])))
        return True

    def resolve_client_public_key(self, client: HubClient) -> KeySet:
        if not client.row.jwks:
            raise InvalidClientError(description="the client has no registered keys")
        return KeySet.import_key_set(client.row.jwks)  # type: ignore[arg-type]


class _TokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    def __init__(self, keys: SigningKeys, issuer: str, audience: str, ttl: int) -> None:
        super().__init__(issuer=issuer, alg=ALGORITHM, expires_generator=lambda _c, _g: ttl)
        self._key_set = KeySet.import_key_set(keys.private_jwks())  # type: ignore[arg-type]
        self._audience = audience

    def get_jwks(self) -> KeySet:
        return self._key_set

    def get_audiences(self, client: HubClient, user: object, scope: str) -> str:
        return self._audience

    def get_extra_claims(self, client: HubClient, grant_type: str, user: object, scope: str) -> dict[str, Any]:
        return {
            "org": client.row.organization_id,
            "org_kind": client.org_kind,
            "roles": sorted(client.row.roles),
        }


class HubAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, keys: SigningKeys, issuer: str, audience: str, ttl: int) -> None:
        super().__init__()
        self.token_url = f"{issuer}/oauth/token"
        self.register_grant(_Grant)
        self.register_client_auth_method(
            JWTBearerClientAssertion.CLIENT_AUTH_METHOD, _Assertion(self.token_url, issuer)
        )
        self.register_token_generator("default", _TokenGenerator(keys, issuer, audience, ttl))

    def query_client(self, client_id: str) -> HubClient | None:
        state = _prefetched.get()
        row = state.clients.get(client_id)
        if row is None or row.revoked_at is not None:
            return None
        return HubClient(row, state.org_kinds[row.organization_id])

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        # JWT access tokens are self-contained; nothing to store.
        return None

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: HubOAuth2Request) -> HubOAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> tuple[int, Any, Any]:
        return status, body, headers

    def issue(self, request: HubOAuth2Request, prefetched: Prefetched) -> tuple[int, dict[str, Any], list[Any]]:
        token = _prefetched.set(prefetched)
        try:
            status, body, headers = self.create_token_response(request)
        finally:
            _prefetched.reset(token)
        return status, dict(body), list(headers)


# Assertions are kept until they expire; an absurd exp is clamped rather than overflowing.
_MAX_KEEP = datetime(9999, 1, 1, tzinfo=UTC)


def jti_expiry(exp: int) -> datetime:
    try:
        return min(datetime.fromtimestamp(exp, UTC), _MAX_KEEP)
    except (OverflowError, ValueError, OSError):
        return _MAX_KEEP

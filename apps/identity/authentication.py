"""`Authorization: Bearer <token>` (or `X-Attune-Api-Key: <token>`) for API keys and for
the scoped tokens of executions and sensors."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from . import tokens
from .services import api_key_authenticate


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        token = self._token_from(request)
        if token is None:
            return None
        parsed = tokens.parse(token)
        if parsed is None:
            raise exceptions.AuthenticationFailed("malformed token")
        kind, ident, secret = parsed
        if kind == tokens.API_KEY_KIND:
            user = api_key_authenticate(ident=ident, secret=secret)
        else:
            resolver = tokens.resolver_for(kind)
            user = resolver(ident, secret) if resolver else None
        if user is None:
            raise exceptions.AuthenticationFailed("invalid, expired or revoked token")
        return (user, token)

    def _token_from(self, request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header:
            parts = header.split()
            if len(parts) == 2 and parts[0].lower() in ("bearer", "token"):
                return parts[1]
            return None
        return request.META.get("HTTP_X_ATTUNE_API_KEY") or None

    def authenticate_header(self, request) -> str:
        return self.keyword

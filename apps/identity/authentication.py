"""`Authorization: Bearer <token>` (or `X-Attune-Api-Key: <token>`): a JWT access token
from `/api/v1/auth/login`, an API key, or the scoped token of an execution or a sensor.
A JWT has three dot-separated parts; opaque tokens are `<kind>_<id>_<secret>`."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from . import tokens
from .services import api_key_authenticate


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        token = self._token_from(request)
        if token is None:
            return None
        if token.count(".") == 2:
            return self._jwt(token)
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

    def _jwt(self, raw: str):
        jwt = JWTAuthentication()
        try:
            validated = jwt.get_validated_token(raw.encode())
            user = jwt.get_user(validated)
        except (InvalidToken, TokenError, exceptions.AuthenticationFailed):
            # simplejwt's messages are nested structures; one plain reason is enough.
            raise exceptions.AuthenticationFailed("invalid or expired access token") from None
        return (user, validated)

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

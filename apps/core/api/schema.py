"""OpenAPI descriptions drf-spectacular cannot derive by itself.

The token authentication class lives in apps.identity, above this app: the extension
names it by its dotted path (`target_class` as a string, which drf-spectacular imports
lazily when it matches an authenticator), so core never imports identity."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.identity.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <token>`: a JWT access token or an API key "
                           "(`X-Attune-Api-Key: <token>` works too).",
        }

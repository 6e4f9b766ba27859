"""Sensor tokens (`ATTUNE_API_TOKEN` of a sensor process): they speak for one enabled
sensor and may only post events of that sensor's triggers. A new token replaces the
previous one (the sensor runner issues one at each start; `manage.py sensor_token`
issues one for a sensor run by hand)."""

from __future__ import annotations

from apps.core.errors import NotFound
from apps.identity import tokens
from apps.identity.tokens import ScopedPrincipal

from ..models import Sensor

KIND = "ats"


def sensor_token_issue(*, ref: str) -> str:
    sensor = Sensor.objects.filter(ref=ref).first()
    if sensor is None:
        raise NotFound(f"no sensor named {ref!r}")
    secret = tokens.new_secret()
    Sensor.objects.filter(pk=sensor.pk).update(token_hash=tokens.hash_secret(secret))
    return tokens.compose(KIND, sensor.pk, secret)


def resolve(ident: str, secret: str) -> ScopedPrincipal | None:
    if not ident.isdigit():
        return None
    row = Sensor.objects.filter(pk=int(ident), enabled=True).values("token_hash", "trigger_types", "ref").first()
    if row is None or not tokens.matches(secret, row["token_hash"]):
        return None
    return ScopedPrincipal(kind=KIND, subject_id=int(ident), scope={"sensor": row["ref"],
                                                                      "triggers": list(row["trigger_types"])})


def may_post(principal: ScopedPrincipal, trigger_ref: str) -> bool:
    return principal.kind == KIND and trigger_ref in principal.scope.get("triggers", ())

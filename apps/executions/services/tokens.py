"""Execution tokens (`ATTUNE_API_TOKEN`): issued when a worker claims an execution,
valid only while it runs and only for its own data. The hash lives on the execution
row and is cleared by every terminal transition, so the token dies with the run."""

from __future__ import annotations

from apps.identity import tokens
from apps.identity.tokens import ScopedPrincipal

from ..choices import ON_WORKER
from ..models import Execution

KIND = "atx"


def issue(execution_id: int) -> tuple[str, str]:
    """(token to hand to the action, hash to store on the row)."""
    secret = tokens.new_secret()
    return tokens.compose(KIND, execution_id, secret), tokens.hash_secret(secret)


def resolve(ident: str, secret: str) -> ScopedPrincipal | None:
    if not ident.isdigit():
        return None
    row = (
        Execution.objects.filter(pk=int(ident), status__in=ON_WORKER)
        .values("token_hash", "user_id", "action_ref")
        .first()
    )
    if row is None or not tokens.matches(secret, row["token_hash"]):
        return None
    return ScopedPrincipal(
        kind=KIND, subject_id=int(ident), user_id=row["user_id"], scope={"action": row["action_ref"]}
    )

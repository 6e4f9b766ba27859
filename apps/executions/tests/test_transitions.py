"""The guarded status transition: compare-and-set on the status and the lease."""

from __future__ import annotations

import pytest

from apps.executions.choices import ACTIVE, TERMINAL, TRANSITIONS, Status, can_transition
from apps.executions.models import Execution
from apps.executions.services.transitions import transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def execution() -> Execution:
    return Execution.objects.create(action_ref="core.echo", status=Status.SCHEDULED, lease="")


def test_terminal_statuses_never_change():
    """Nothing leaves a terminal status."""
    for status in TERMINAL:
        assert not any(can_transition(status, other) for other in Status)


def test_every_active_status_can_end():
    """Every non-terminal status has a way to a terminal one (nothing is stuck by design)."""
    for status in ACTIVE:
        reachable, frontier = set(), {status}
        while frontier:
            current = frontier.pop()
            for nxt in TRANSITIONS[current]:
                if nxt not in reachable:
                    reachable.add(nxt)
                    frontier.add(nxt)
        assert reachable & TERMINAL, status


def test_transition_moves_and_records_history(execution):
    """A valid transition updates the row and appends a history entry."""
    assert transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, lease="L1", reason="claimed")
    execution.refresh_from_db()
    assert execution.status == Status.RUNNING
    entry = execution.history.get()
    assert (entry.previous, entry.status, entry.reason) == ("scheduled", "running", "claimed")


def test_second_claim_of_the_same_execution_fails(execution):
    """Two workers claiming the same execution: only the first succeeds."""
    assert transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, lease="A")
    assert not transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, lease="B")
    execution.refresh_from_db()
    assert execution.lease == "A"


def test_stale_lease_cannot_finish(execution):
    """A worker whose lease was replaced cannot write its outcome (fencing)."""
    transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, lease="current")
    assert not transition(execution.pk, to=Status.SUCCEEDED, expected=Status.RUNNING, fence="stale")
    assert transition(execution.pk, to=Status.SUCCEEDED, expected=Status.RUNNING, fence="current")
    execution.refresh_from_db()
    assert execution.status == Status.SUCCEEDED and execution.finished_at is not None


def test_late_write_after_abandonment_changes_nothing(execution):
    """Once abandoned, a late success report from the old worker is ignored."""
    transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, lease="L")
    assert transition(execution.pk, to=Status.ABANDONED, expected=Status.RUNNING, fence="L")
    assert not transition(execution.pk, to=Status.SUCCEEDED, expected=(Status.RUNNING, Status.CANCELING), fence="L")
    execution.refresh_from_db()
    assert execution.status == Status.ABANDONED


def test_invalid_transition_is_refused(execution):
    """Asking for a transition the state machine does not allow is a programming error."""
    with pytest.raises(ValueError):
        transition(execution.pk, to=Status.SUCCEEDED, expected=Status.SCHEDULED)


def test_terminal_transition_revokes_the_execution_token(execution):
    """The execution token's hash is cleared when the execution ends."""
    transition(execution.pk, to=Status.RUNNING, expected=Status.SCHEDULED, lease="L", token_hash="abc")
    transition(execution.pk, to=Status.FAILED, expected=Status.RUNNING, fence="L")
    execution.refresh_from_db()
    assert execution.token_hash == ""

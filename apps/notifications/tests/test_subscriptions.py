"""The subscribe protocol's filters: what parses, what is refused, what matches."""

from __future__ import annotations

import pytest

from apps.notifications.subscriptions import FilterError, parse


def _message(**overrides):
    return {"notification_type": "execution.status_changed", "entity_type": "execution", "entity_id": 7,
            "user_id": 3, **overrides}


@pytest.mark.parametrize("text", [
    "all", "entity_type:execution", "entity:execution:7", "user:3", "notification_type:execution.status_changed",
])
def test_every_documented_filter_matches_a_status_change_it_names(text):
    """Each filter form of the protocol accepts the notification it describes."""
    assert parse(text).matches(_message())


@pytest.mark.parametrize("text,reason", [
    ("", "non-empty"), ("nope", "unknown filter"), ("entity_type:rocket", "unknown entity type"),
    ("entity:execution:x", "must be a number"), ("user:me", "must be a number"),
    ("notification_type:boom", "unknown notification type"),
])
def test_bad_filters_say_what_is_wrong(text, reason):
    """A malformed filter is refused with the reason."""
    with pytest.raises(FilterError, match=reason):
        parse(text)


def test_filters_do_not_match_other_entities():
    """An entity filter ignores other ids and types; a user filter other users."""
    assert not parse("entity:execution:8").matches(_message())
    assert not parse("entity_type:event").matches(_message())
    assert not parse("user:4").matches(_message())


def test_output_goes_only_to_clients_that_follow_it():
    """Output chunks are a stream: sent for an entity or the output type, not to `all`."""
    output = _message(notification_type="execution.output")
    assert not parse("all").matches(output)
    assert not parse("entity_type:execution").matches(output)
    assert parse("entity:execution:7").matches(output)
    assert parse("notification_type:execution.output").matches(output)

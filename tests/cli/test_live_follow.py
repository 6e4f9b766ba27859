"""Following output over the WebSocket: chunks in order, a gap read from the API, a
duplicate dropped, the end confirmed with the API (no server: a fake feed and API)."""

from __future__ import annotations

from attune.cli import runs


class FakeApi:
    """The API's view: the execution's status and its stored chunks."""

    def __init__(self, chunks, statuses):
        self.chunks = chunks
        self.statuses = list(statuses)

    def get(self, path, params=None, what=None):
        if path.endswith("/output/"):
            return [c for c in self.chunks if c["seq"] > params["after"]]
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"id": 7, "status": status}


class FakeFeed:
    broken = False

    def __init__(self, messages):
        self.messages = list(messages)

    def next(self, timeout):
        if not self.messages:
            return None
        message = self.messages.pop(0)
        return message() if callable(message) else message


def chunk(seq, data, stream="stdout"):
    return {"seq": seq, "stream": stream, "data": data}


def output(seq, data):
    return {"notification_type": "execution.output", "payload": chunk(seq, data)}


def status(value):
    return {"notification_type": "execution.status_changed", "payload": {"status": value}}


def test_streamed_chunks_fill_gaps_from_the_api_and_drop_duplicates():
    """Stored 1-2 are read first; streamed 2 (again) is dropped, 3 written; 5 arrives
    before 4, so 4 onwards are read from the API; the end is confirmed with the API."""
    stored = [chunk(1, "a"), chunk(2, "b"), chunk(3, "c"), chunk(4, "d"), chunk(5, "e"), chunk(6, "f")]
    api = FakeApi(stored[:2], ["running", "succeeded"])

    def five_before_four():
        api.chunks = stored  # by now the API holds everything
        return output(5, "e")

    feed = FakeFeed([output(2, "b"), output(3, "c"), five_before_four, status("succeeded")])
    written = []
    execution = runs._tail(api, 7, lambda stream, data: written.append(data), feed)
    assert execution["status"] == "succeeded"
    assert "".join(written) == "abcdef"


def test_a_quiet_or_broken_stream_falls_back_to_the_api():
    """No notification at all: the status and output are read from the API."""
    api = FakeApi([chunk(1, "x")], ["running", "succeeded"])
    written = []
    execution = runs._tail(api, 7, lambda stream, data: written.append(data), FakeFeed([]))
    assert execution["status"] == "succeeded" and written == ["x"]

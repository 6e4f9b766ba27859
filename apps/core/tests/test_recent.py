"""RecentIds: a bounded set that forgets the oldest ids first."""

from apps.core.recent import RecentIds


def test_remembers_the_newest_ids_up_to_its_size():
    recent = RecentIds(3)
    recent.add([1, 2, 3])
    recent.add([4])
    assert 1 not in recent
    assert all(pk in recent for pk in (2, 3, 4))

"""Download ids (clearance.adapters.downloads): one live id per holder and button, expiry,
revocation of a student's lookup, and a bound on memory whatever the pages do."""

from clearance.adapters import downloads
from clearance.adapters.downloads import StaffHolder, StudentHolder

STAFF = StaffHolder("hash-a", "cs_secretary", "college", "计算机学院")


def _offer(holder, button="b", now=1000.0):
    return downloads.offer(holder, button, lambda: b"x", "x.csv", "text/csv", now=now)


def test_a_redraw_replaces_the_buttons_id_and_other_holders_are_apart():
    first = _offer(STAFF)
    second = _offer(STAFF)
    other = _offer(StaffHolder("hash-b", "cs_secretary", "college", "计算机学院"))
    assert downloads.find(first, now=1001) is None
    assert downloads.find(second, now=1001).holder == STAFF
    assert downloads.find(other, now=1001) is not None  # another sign-in keeps its own


def test_an_id_expires():
    download_id = _offer(STAFF, "expiring")
    assert downloads.find(download_id, now=1000 + downloads.OFFER_MINUTES * 60 - 1) is not None
    assert downloads.find(download_id, now=1000 + downloads.OFFER_MINUTES * 60) is None


def test_leaving_a_lookup_revokes_only_its_ids():
    mine = _offer(StudentHolder("lookup-a", "10.0.0.1", "2018001", "tab-a"), "form")
    theirs = _offer(StudentHolder("lookup-b", "10.0.0.1", "2018002", "tab-b"), "form")
    downloads.revoke_lookup("lookup-a")
    assert downloads.find(mine, now=1001) is None and downloads.find(theirs, now=1001) is not None


def test_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(downloads, "MAX_OFFERS", 3)
    ids = [_offer(STAFF, f"button-{n}") for n in range(5)]
    alive = [i for i in ids if downloads.find(i, now=1001)]
    assert len(downloads._offers) <= 3 and alive == ids[-len(alive):] and ids[-1] in alive

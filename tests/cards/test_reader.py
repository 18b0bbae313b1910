"""The reader module on a real PC/SC stack: pcscd + vpcd + a test card speaking vpcd's protocol."""

import time

import pytest

from clearance.store.cards import UidFormat, student_for_uid
from cardreader.reader import (CARD_LIFTED, NO_READER, PCSCD_DOWN, CardPoller, ReaderFailure,
                              list_readers, read_one)
from loaders.cards import import_cards
from tests.cards.pcscd import VIRTUAL_READER, wait_reader_empty
from tests.cards.vpcd_card import GET_UID, VirtualCard
from tests.conftest import add_students, roster_frame


def _poll_until(poller: CardPoller, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tap = poller.poll(0.4)
        if tap:
            return tap
    return None


def _export(store, lines: list[str], fmt: UidFormat) -> None:
    data = ("学号,卡号,卡UID,余额\n" + "\n".join(lines) + "\n").encode()
    import_cards(store, data, "cards.csv", "test", fmt)


def test_reader_lists_the_virtual_reader(pcscd):
    assert VIRTUAL_READER in list_readers()


@pytest.mark.parametrize("uid", ["8FB27F2C", "04A1B2C3D4E5F6"])
def test_tap_finds_the_right_student(pcscd, store, uid):
    add_students(store, roster_frame(3))
    _export(store, [f"20180000001,100001,{uid},1.00", "20180000002,100002,11223344,0"],
            UidFormat("hex", "reader"))
    poller = CardPoller(VIRTUAL_READER)
    with VirtualCard(uid).inserted() as card:
        tap = _poll_until(poller, 3)
        again = _poll_until(poller, 1)  # the card stays on the reader: no second tap
    assert tap is not None and tap.uid == uid and tap.reader == VIRTUAL_READER
    assert again is None
    # Only GET DATA reaches the card. (pcscd + vpcd sometimes deliver the one transmit twice
    # to the card on a reused reader slot; the poller itself reads once, as `again` shows.)
    assert card.apdus and set(card.apdus) == {GET_UID}
    assert student_for_uid(store, tap.uid) == "20180000001"


@pytest.mark.parametrize("uid, exported", [
    ("8FB27F2C", "2C7FB28F"),          # the same card, bytes reversed by the card system
    ("04A1B2C3D4E5F6", "F6E5D4C3B2A104"),
])
def test_export_in_reversed_byte_order_matches_the_reader(pcscd, store, uid, exported):
    add_students(store, roster_frame(2))
    _export(store, [f"20180000002,100002,{exported},3.50"], UidFormat("hex", "reversed"))
    with VirtualCard(uid).inserted():
        tap = _poll_until(CardPoller(VIRTUAL_READER), 3)
    assert student_for_uid(store, tap.uid) == "20180000002"


def test_export_as_reversed_decimal_matches_the_reader(pcscd, store):
    add_students(store, roster_frame(2))
    decimal = str(int("2C7FB28F", 16))  # 746566287: what many card systems print
    _export(store, [f"20180000001,100001,{decimal},0"], UidFormat("decimal", "reversed"))
    with VirtualCard("8FB27F2C").inserted():
        tap = _poll_until(CardPoller(VIRTUAL_READER), 3)
    assert student_for_uid(store, tap.uid) == "20180000001"


def test_unknown_card_is_read_but_matches_nobody(pcscd, store):
    add_students(store, roster_frame(1))
    with VirtualCard("DEADBEEF").inserted():
        tap = _poll_until(CardPoller(VIRTUAL_READER), 3)
    assert tap.uid == "DEADBEEF"
    assert student_for_uid(store, tap.uid) is None


def test_no_card_gives_nothing_within_the_timeout(pcscd):
    assert CardPoller(VIRTUAL_READER).poll(0.3) is None
    with pytest.raises(TimeoutError):
        read_one(VIRTUAL_READER, timeout=0.6)


def test_a_card_left_on_the_reader_is_read_once_and_a_new_tap_again(pcscd):
    poller = CardPoller(VIRTUAL_READER)
    card = VirtualCard("8FB27F2C")
    with card.inserted():
        assert _poll_until(poller, 3).uid == "8FB27F2C"
        assert poller.poll(0.6) is None  # still lying there: not a new tap
    wait_reader_empty()  # lifted (a hand takes longer than pcscd's 0.4 s poll)
    with card.inserted():
        assert _poll_until(poller, 3).uid == "8FB27F2C"


def test_card_lifted_mid_read(pcscd):
    poller = CardPoller(VIRTUAL_READER)
    with VirtualCard("8FB27F2C", lift_after_commands=0).inserted():
        with pytest.raises(ReaderFailure) as failure:
            _poll_until(poller, 3)
    assert failure.value.kind == CARD_LIFTED
    assert "卡片被移开" in str(failure.value)
    wait_reader_empty()
    with VirtualCard("8FB27F2C").inserted():  # put back: read normally
        assert _poll_until(poller, 3).uid == "8FB27F2C"


def test_pcscd_down(pcscd):
    pcscd.stop()
    for attempt in (list_readers, lambda: CardPoller().poll(0.2), lambda: read_one(timeout=0.5)):
        with pytest.raises(ReaderFailure) as failure:
            attempt()
        assert failure.value.kind == PCSCD_DOWN
        assert "pcscd" in str(failure.value) and "手工输入学号" in str(failure.value)


def test_pcscd_restarted_is_picked_up_by_the_next_poll(pcscd):
    poller = CardPoller(VIRTUAL_READER)
    assert poller.poll(0.1) is None
    pcscd.stop()
    with pytest.raises(ReaderFailure):
        poller.poll(0.1)
    pcscd.start()
    with VirtualCard("8FB27F2C").inserted():
        assert _poll_until(poller, 3).uid == "8FB27F2C"


def test_no_reader(pcscd):
    pcscd.start(no_reader=True)
    assert list_readers() == []
    with pytest.raises(ReaderFailure) as failure:
        CardPoller().poll(0.2)
    assert failure.value.kind == NO_READER
    assert "未检测到读卡器" in str(failure.value)

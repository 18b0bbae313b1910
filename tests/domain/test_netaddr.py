"""Client addresses: IPv4-mapped peers, networks of trusted proxies, forged X-Forwarded-For."""

import pytest

from clearance.adapters.netaddr import client_address, normalise_ip, parse_networks

TRUSTED = parse_networks(["127.0.0.1", "::1", "10.8.0.0/16"])


@pytest.mark.parametrize("text, ip", [
    ("::ffff:127.0.0.1", "127.0.0.1"), ("1.2.3.4:5678", "1.2.3.4"), ("[2001:db8::1]:443", "2001:db8::1"),
    (" 2001:db8::1 ", "2001:db8::1"), ("fe80::1%eth0", "fe80::1"), ("unknown", None), ("", None),
])
def test_addresses_are_normalised(text, ip):
    assert normalise_ip(text) == ip


def test_an_ipv4_mapped_proxy_is_trusted_and_its_header_used():
    assert client_address("::ffff:127.0.0.1", ["203.0.113.9"], TRUSTED) == "203.0.113.9"


def test_a_proxy_inside_a_trusted_network_is_believed():
    assert client_address("10.8.3.4", ["198.51.100.7"], TRUSTED) == "198.51.100.7"


def test_a_forged_header_from_an_untrusted_peer_is_ignored():
    assert client_address("198.51.100.7", ["1.1.1.1"], TRUSTED) == "198.51.100.7"
    assert client_address("::ffff:198.51.100.7", ["1.1.1.1"], TRUSTED) == "198.51.100.7"


def test_only_the_right_most_untrusted_hop_counts():
    # the client prepended "6.6.6.6"; our proxy appended the real peer 198.51.100.7
    assert client_address("127.0.0.1", ["6.6.6.6, 198.51.100.7"], TRUSTED) == "198.51.100.7"
    assert client_address("127.0.0.1", ["6.6.6.6", "198.51.100.7, 10.8.0.1"], TRUSTED) == "198.51.100.7"


def test_a_garbled_hop_falls_back_to_the_proxy():
    assert client_address("127.0.0.1", ["nonsense"], TRUSTED) == "127.0.0.1"


def test_no_peer_is_loopback():
    assert client_address(None, [], TRUSTED) == "127.0.0.1"


def test_a_bad_trusted_entry_is_refused():
    with pytest.raises(ValueError, match="trusted_proxies"):
        parse_networks(["10.0.0.0/33"])

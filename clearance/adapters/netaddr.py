"""Who is asking, as one normalised IP address: the rate limits and the audit's 终端 share it.

The socket peer is believed; X-Forwarded-For is believed only when the peer is one of the
trusted reverse proxies (networks, e.g. 10.0.0.0/8, not only literals), and then only its
right-most hop that is not itself a trusted proxy (entries further left are whatever the
client chose to send). An IPv4 address seen through an IPv6 socket (`::ffff:127.0.0.1`) is the
IPv4 address.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = "127.0.0.1"


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`["127.0.0.1", "::1", "10.0.0.0/8"]` → networks; a bad entry raises ValueError naming it."""
    networks = []
    for entry in entries:
        try:
            networks.append(_unmapped_network(ipaddress.ip_network(str(entry).strip(), strict=False)))
        except ValueError:
            raise ValueError(f"trusted_proxies 中的“{entry}”不是 IP 地址或网段") from None
    return tuple(networks)


def _unmapped_network(net: Network) -> Network:
    if isinstance(net, ipaddress.IPv6Network) and net.network_address.ipv4_mapped and net.prefixlen >= 96:
        return ipaddress.ip_network(f"{net.network_address.ipv4_mapped}/{net.prefixlen - 96}")
    return net


def normalise_ip(text: str | None) -> str | None:
    """An address as text, or None if it is not one. Strips a port (`1.2.3.4:5678`,
    `[::1]:80`), brackets, a zone id, and the IPv4-mapped prefix."""
    if not text:
        return None
    value = text.strip().strip('"')
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def is_trusted(address: str | None, trusted: Sequence[Network]) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip.version == net.version and ip in net for net in trusted)


def client_address(peer: str | None, forwarded: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address. `peer` is the socket peer (None counts as loopback: Streamlit
    reports no address for a loopback peer); `forwarded` the X-Forwarded-For header values in
    order (a repeated header is one list of hops)."""
    address = normalise_ip(peer) or LOOPBACK
    if not is_trusted(address, trusted):
        return address
    hops = [h for value in forwarded for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        hop_ip = normalise_ip(hop)
        if hop_ip is None:
            return address  # a garbled hop: the proxy's own address is all we know
        if not is_trusted(hop_ip, trusted):
            return hop_ip
        address = hop_ip
    return address

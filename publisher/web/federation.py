"""Where an allowed SERVICE call may go: no loopback or private address unless listed.

The allow-list names endpoints by IRI, but a name is only as good as what it resolves
to: `http://sparql.example.org/` may resolve to 127.0.0.1 or 10.0.0.5 (by mistake, or
because whoever runs that DNS wants our server to reach inside our network). So before a
query calls a listed endpoint, its host is resolved, and every address it resolves to
must be public, or itself listed: as the host of a listed IRI (`http://127.0.0.1:3030/`
names its address), or inside a listed network (`10.0.0.0/8`, `::1`).

pyoxigraph follows no redirects on SERVICE calls (its limit is 0: a 3xx fails the call),
so a listed endpoint cannot send the query elsewhere. It resolves the host again itself
when it connects; a DNS answer that changes in between (rebinding) is not caught here,
which is why the allow-list is off by default and should name hosts the operator trusts.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def network_entry(entry: str) -> Network | None:
    """An allow-list entry that is an address or a network (CIDR), else None."""
    try:
        return ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        return None


def listed_networks(allowlist: Iterable[str]) -> list[Network]:
    """The networks the allow-list opens: its CIDR entries and its IRIs' literal addresses."""
    networks = []
    for entry in allowlist:
        network = network_entry(entry)
        if network is None:
            host = urlsplit(entry).hostname or ""
            network = network_entry(host)
        if network is not None:
            networks.append(network)
    return networks


def is_internal(address: Address) -> bool:
    """Loopback, private, link-local, reserved and the like: not the public internet."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


async def refused_address(target: str, allowlist: Sequence[str]) -> str | None:
    """Why a call to `target` (an allowed endpoint IRI) must not be made, or None.

    Every address the host resolves to is checked: a client connects to any of them.
    """
    parts = urlsplit(target)
    host = parts.hostname
    if not host:
        return f"SERVICE <{target}> names no host"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"SERVICE <{target}> has an invalid port"
    literal = network_entry(host)
    if literal is not None:
        addresses: list[Address] = [literal.network_address]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as error:
            return f"SERVICE <{target}>: its host {host} does not resolve ({error})"
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    networks = listed_networks(allowlist)
    for address in addresses:
        if is_internal(address) and not any(address in network for network in networks):
            return (
                f"SERVICE <{target}>: its host {host} resolves to {address}, a loopback or"
                " private address; list the address or its network in the allow-list"
                " (PUBLISHER_SERVICE_ALLOWLIST) to call it"
            )
    return None

"""Where a feed may be fetched from: public addresses only (server-side request forgery).

A feed's address comes from a person, so the bot must not become their way into the server's
own network: loopback, private, link-local, unique-local, multicast, unspecified, reserved and
cloud metadata addresses are refused, and so is every address an IPv6 form carries inside
(::ffff:127.0.0.1, 6to4, Teredo, NAT64). The check sits where the connection is opened (an
httpcore network backend): the host name is resolved once, every address it resolves to must
pass, and the socket is opened to exactly those addresses, so a second DNS answer cannot slip
in between check and connect, and every redirect hop meets the same check.

Deployments that do poll an intranet feed, and the tests' fake servers on 127.0.0.1, list the
host (`host` or `host:port`, as the feed's address spells it) in
EMPIRIE_FUNDING_FEED_ALLOW_HOSTS, or allow every non-public address with
EMPIRIE_FUNDING_FEED_ALLOW_PRIVATE. Metadata, multicast and unspecified addresses stay refused.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from typing import Any

import httpcore
import httpx

from core.config import Settings

log = logging.getLogger("empirie.sources.guard")

IP = IPv4Address | IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Cloud instance metadata and host agents (AWS, ECS, Azure, GCP, Oracle, Alibaba): never.
METADATA = frozenset(
    ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.169.123",
        "169.254.170.2",
        "168.63.129.16",
        "100.100.100.200",
        "192.0.0.192",
        "fd00:ec2::254",
        "fd00:ec2::23",
    )
)
NAT64 = IPv6Network("64:ff9b::/96")


class Refused(httpcore.ConnectError):
    """The host's address is not one a feed may be fetched from (the reason goes to the log)."""


def _inside(address: IP) -> Iterator[IP]:
    """Every IPv4 address an IPv6 form carries inside it (the real destination), then itself."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            yield address.ipv4_mapped
        if address.sixtofour is not None:
            yield address.sixtofour
        if address.teredo is not None:
            yield from address.teredo
        if address in NAT64:
            yield IPv4Address(int(address) & 0xFFFFFFFF)
    yield address


def _kind(address: IP) -> str | None:
    if address in METADATA:
        return "metadata"
    if address.is_unspecified:
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "not global"
    return None


# what EMPIRIE_FUNDING_FEED_ALLOW_PRIVATE (or a listed host) may reach besides the internet
INTERNAL = frozenset({"loopback", "link-local", "private", "not global"})


def refusal(address: IP, *, internal_ok: bool = False) -> str | None:
    """Why a connection to `address` is refused (for the log), or None when it may go."""
    for inner in _inside(address):
        kind = _kind(inner)
        if kind is not None and not (internal_ok and kind in INTERNAL):
            return kind if inner == address else f"{kind} ({inner} inside)"
    return None


def _entry(text: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port` or a bare IPv6 address."""
    text = text.strip().lower()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host.rstrip("."), int(port) if port.isdigit() else None
    return text.rstrip("."), None


async def _system_resolve(host: str, port: int) -> list[str]:
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


@dataclass(frozen=True)
class AddressGuard:
    allow_private: bool = False
    allow_hosts: frozenset[tuple[str, int | None]] = frozenset()
    resolve: Resolver = field(default=_system_resolve)

    @classmethod
    def build(
        cls,
        allow_private: bool = False,
        allow_hosts: Iterable[str] = (),
        resolve: Resolver | None = None,
    ) -> AddressGuard:
        listed = frozenset(_entry(h) for h in allow_hosts if h.strip())
        return cls(allow_private, listed, resolve or _system_resolve)

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressGuard:
        return cls.build(
            settings.funding_feed_allow_private, settings.funding_feed_allow_hosts.split(",")
        )

    def _listed(self, host: str, port: int) -> bool:
        return (host, None) in self.allow_hosts or (host, port) in self.allow_hosts

    async def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses to connect to; Refused if any the name has is not allowed."""
        name = host.strip("[]").lower().rstrip(".")
        internal_ok = self.allow_private or self._listed(name, port)
        try:
            found: list[IP] = [ip_address(name)]
        except ValueError:
            try:
                found = [ip_address(a.split("%")[0]) for a in await self.resolve(name, port)]
            except (OSError, ValueError) as error:
                raise httpcore.ConnectError(f"{name}: cannot resolve ({error})") from error
        if not found:
            raise httpcore.ConnectError(f"{name}: no address")
        for address in found:
            why = refusal(address, internal_ok=internal_ok)
            if why is not None:
                log.warning(
                    "feeds.refused host=%s port=%s address=%s why=%s", name, port, address, why
                )
                raise Refused(f"{name}: {address} is {why}")
        return [str(a) for a in found]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens a TCP connection only to addresses the guard checked, one after another."""

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None):
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failed: Exception | None = None
        for address in await self.guard.addresses(host, port):
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failed = error
        assert failed is not None
        raise failed

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise Refused("a unix socket is not a feed")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (error mapping, streaming) over the guarded backend, no proxy."""

    def __init__(self, guard: AddressGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=GuardedBackend(guard),
        )


def guarded_client(guard: AddressGuard, timeout: float) -> httpx.AsyncClient:
    """A client for outside addresses: the guard on every connection, redirects by hand."""
    return httpx.AsyncClient(
        transport=GuardedTransport(guard),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )

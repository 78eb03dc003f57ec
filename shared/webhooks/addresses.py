"""Which addresses webhooks may be sent to.

A URL must be https (http too where private addresses are allowed: ENVIRONMENT=local, for a laptop's
own receivers). When sending, its host is resolved and every address must be globally routable: no
loopback, private, shared (100.64/10), link-local (the cloud metadata service at 169.254.169.254 among
them), multicast or reserved address, IPv4-mapped IPv6 included. Registration checks what it can
without resolving (the scheme, an address written in the URL); the check that counts is the one made
when sending, because a name can resolve elsewhere by then.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from shared.errors import Invalid


class AddressRefused(Exception):
    """The URL's host resolves to an address webhooks may not reach."""


def check_url(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's parts, if webhooks may be sent to it at all (its address is checked when sending)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Invalid(f"The webhook URL is not valid: {exc}.", code="invalid_webhook_url") from exc
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise Invalid("Webhook URLs must use https.", code="invalid_webhook_url")
    if not parts.hostname or parts.username or parts.password:
        raise Invalid("A webhook URL names a host and carries no credentials.", code="invalid_webhook_url")
    if port == 0:
        raise Invalid("The webhook URL's port is not valid.", code="invalid_webhook_url")
    if not allow_private:
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and not _routable(literal):
            shown = (
                literal.ipv4_mapped
                if isinstance(literal, ipaddress.IPv6Address) and literal.ipv4_mapped
                else literal
            )
            raise Invalid(
                f"Webhooks cannot be sent to {shown}: it is not a public address.",
                code="webhook_address_refused",
            )
    return parts


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses to try, in the resolver's order; AddressRefused when any address the host has is
    not allowed (a name with one public and one private address is refused: which one a connection
    would use is not ours to know)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AddressRefused(f"{host} does not resolve: {exc.strerror}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses:
        raise AddressRefused(f"{host} has no address")
    if not allow_private:
        for address in addresses:
            if not _routable(address):
                raise AddressRefused(f"{host} resolves to {address}, which webhooks may not reach")
    return list(dict.fromkeys(str(address) for address in addresses))


def _routable(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast

"""Who is asking: the client's address as the deployment's trusted proxies report it.

Behind a reverse proxy every request's REMOTE_ADDR is the proxy's, so a per-client limit keyed
on it counts everybody as one client; taking X-Forwarded-For as sent lets a client name any
address it likes. The deployment says how many proxies it trusts (settings.TRUSTED_PROXY_COUNT,
0 without one): the address the outermost of them saw is the client's, whatever a client wrote
to the left of it. DRF's throttles read the same setting (REST_FRAMEWORK["NUM_PROXIES"]).
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """REMOTE_ADDR without a trusted proxy; behind N, the N-th address from the right of X-Forwarded-For."""
    count = settings.TRUSTED_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR", "")
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            address = forwarded[-count]
    return address


def client_key(request) -> str:
    """The client to count for a rate limit: its address, an IPv6 client by its /64 (one host may hold it all)."""
    address = client_address(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)

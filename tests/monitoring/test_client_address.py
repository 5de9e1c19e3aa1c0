"""The public page counts clients as the trusted proxies report them (core/clients.py)."""

import pytest
from django.test import RequestFactory

from core.clients import client_address, client_key
from monitoring import leads
from monitoring.models import MonitoringLead

from .test_self_report import PHONE, challenge_of

PROXY = "10.9.9.9"


def report(client, village, forwarded: str):
    """A report through the proxy, for the client the proxy saw as `forwarded`'s last entry."""
    page = client.get(f"/report/{village.code}/").content.decode()
    token, answer = challenge_of(page)
    data = {
        "name": "马小红",
        "phone": PHONE,
        "description": "父亲脑梗住院，医药费自付三万多元，家里没有了收入。",
        "challenge": token,
        "challenge_answer": answer,
    }
    return client.post(f"/report/{village.code}/", data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def request_from(remote: str, forwarded: str = ""):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request_from("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


def test_behind_proxies_the_address_they_saw_counts_not_what_the_client_wrote(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote 1.2.3.4 itself; the proxy appended the address it saw.
    assert client_address(request_from(PROXY, "1.2.3.4, 203.0.113.5")) == "203.0.113.5"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request_from(PROXY, "1.2.3.4, 203.0.113.5, 10.0.0.8")) == "203.0.113.5"
    # Fewer entries than proxies: not through all of them, the direct peer counts.
    assert client_address(request_from(PROXY, "203.0.113.5")) == PROXY


def test_an_ipv6_client_counts_by_its_64_block(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    one = client_key(request_from("2001:db8:1:2::1"))
    assert one == client_key(request_from("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert client_key(request_from("2001:db8:1:3::1")) != one
    assert client_key(request_from("203.0.113.5")) == "203.0.113.5"


@pytest.mark.django_db
def test_behind_the_proxy_each_farmer_has_their_own_limit(client, village, settings):
    """Every request comes from the proxy: one farmer's limit must not close the page for the next."""
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(leads.REPORTS_PER_ADDRESS):
        assert report(client, village, "203.0.113.5").status_code == 200
    assert report(client, village, "203.0.113.5").status_code == 429
    # A spoofed entry to the left of the proxy's does not make a new client …
    assert report(client, village, "1.2.3.4, 203.0.113.5").status_code == 429
    # … and another farmer through the same proxy is served.
    assert report(client, village, "203.0.113.77").status_code == 200
    assert MonitoringLead.objects.count() == leads.REPORTS_PER_ADDRESS + 1

"""The left navigation's links (fupin/context_processors.py), reversed once per process."""

from django.test import override_settings
from django.urls import set_script_prefix

from fupin.context_processors import link


def test_a_link_follows_the_script_prefix_the_site_is_served_under():
    try:
        set_script_prefix("/fupin/")
        assert link("households:list") == "/fupin/households/"
        assert link("regions:detail", "622926000000") == "/fupin/regions/622926000000/"
    finally:
        set_script_prefix("/")
    assert link("households:list") == "/households/"
    assert link("regions:detail", "622926000000") == "/regions/622926000000/"


def test_a_link_follows_the_urlconf_in_use():
    assert link("households:list") == "/households/"  # reversed and kept under the project's URLconf first
    with override_settings(ROOT_URLCONF="tests.fupin.navigation_urls"):
        assert link("households:list") == "/registry/households/"
    assert link("households:list") == "/households/"

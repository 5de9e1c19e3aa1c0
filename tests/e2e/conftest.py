"""Browser tests in Debian's Chromium (apt-get install chromium fonts-noto-cjk), never a downloaded browser.

CHROMIUM names another executable; without one every test here is skipped.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the main thread; Django refuses ORM calls
# from a thread with a running loop unless told that this is safe (it is: no async code here).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
E2E_DIR = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch arguments, pointed at the system Chromium."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """pytest-playwright's fallback, as a plain function: its method form warns under pytest 9."""
    return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/e2e as e2e, and skip them all when Chromium is missing."""
    has_chromium = os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)
    skip = pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM}: apt-get install chromium fonts-noto-cjk, or set CHROMIUM"
    )
    for item in items:
        if E2E_DIR not in item.path.resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if not has_chromium:
            item.add_marker(skip)

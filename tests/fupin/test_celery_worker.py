import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from fupin.celery import app
from households.counts import subtree_counts
from households.tasks import refresh_region_counts
from tests.factories import household_with_members, region

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_worker_runs_the_region_count_task_through_redis():
    """The task goes through the Redis broker to a worker thread, not eager mode."""
    village = region("622926101201")
    household_with_members(village, size=4)
    household_with_members(region("622921102201"), size=2)
    assert cache.get("scope-summary:622926") is None
    assert not app.conf.task_always_eager
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        refresh_region_counts.delay()
        deadline = time.monotonic() + 20
        while cache.get("scope-summary:622926") is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert cache.get("scope-summary:622926") == subtree_counts("622926")
    assert cache.get("scope-summary:622926")["poor_population"] == 4
    assert cache.get("scope-summary:all")["poor_population"] == 6

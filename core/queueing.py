"""Queueing background work while the broker (Redis) may be away.

`TolerantTask` is the base of every Celery task (fupin/celery.py): when the broker cannot be
reached, `.delay()` logs a warning and returns None instead of raising into the request that
queued it; the change the user made is already committed and its page answers normally.
Recomputes are caught up by their nightly runs; a transfer job (import, export) is marked
with DISPATCH_DELAYED, which its page shows, and core.tasks.redispatch_transfer_jobs sends
it once the broker answers again.
"""

import logging

from celery import Task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

DISPATCH_DELAYED = "后台任务服务暂时无法连接，任务已登记，将在服务恢复后自动执行。"


class TolerantTask(Task):
    """A task whose queueing never fails the caller: None when the broker is unreachable."""

    def apply_async(self, *args, **kwargs):
        try:
            return super().apply_async(*args, **kwargs)
        except OperationalError as error:
            logger.warning("broker unreachable, %s not queued: %s", self.name, error.__class__.__name__)
            return None

"""What the registry tells the floors above it.

households sits below assessment, so it cannot call assessment's recompute tasks; it
announces which village's figures moved for which years, and assessment subscribes
(assessment/apps.py) and recomputes that region chain and those years.
"""

from django.db import transaction
from django.dispatch import Signal

# Sent after the transaction that moved a village's figures commits; kwargs: village_code, years.
figures_changed = Signal()


def announce_figures_changed(village_code: str, years) -> None:
    """After commit, tell the listeners that `village_code`'s figures of `years` moved.

    `years`: the years the change takes effect in (an adjustment's effective year, a
    household's years). Poor at the end of a year carries into the next, so the listener
    recomputes from the earliest of them up to this year; no need to list the later ones.
    """
    years = sorted({int(year) for year in years})
    if not village_code or not years:
        return
    transaction.on_commit(lambda: figures_changed.send(sender=None, village_code=village_code, years=years))

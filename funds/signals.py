"""What the ledger tells the floors above it.

funds sits below assessment, so it cannot call assessment's tasks; assessment subscribes to
`ledger_changed` instead (assessment/apps.py), because 报账率 feeds the ratings' 扶贫资金
indicator.
"""

from django.dispatch import Signal

# Sent after the transaction that changed a year's ledger commits; kwargs: year.
ledger_changed = Signal()

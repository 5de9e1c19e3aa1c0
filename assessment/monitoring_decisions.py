"""What a decided 监测识别 or 风险消除 does to its monitoring record (docs/domain.md §12.12), by kind.

The engine (assessment/services.py) calls these hooks where it applies an approval or closes an
application unapproved; each goes through monitoring.services.apply_decision, the only status
change of a record, in the engine's transaction.
"""

from collections.abc import Callable
from datetime import date

from monitoring.codes import MonitoringStatus
from monitoring.services import apply_decision

from .codes import ApplicationKind


def include(application, reason: str, today: date) -> None:
    """县级审定 approved the identification: 识别中 → 监测中, identified today."""
    apply_decision(
        monitoring_object_id=application.monitoring_object_id,
        to_status=MonitoringStatus.MONITORED,
        on=today,
        reason=reason,
    )


def eliminate(application, reason: str, today: date) -> None:
    """县级审定 approved 风险消除: 监测中 → 已消除风险, today, with the mode of the visit."""
    apply_decision(
        monitoring_object_id=application.monitoring_object_id,
        to_status=MonitoringStatus.ELIMINATED,
        on=today,
        elimination_mode=application.figures.get("mode", ""),
        reason=reason,
    )


def not_include(application, reason: str, today: date) -> None:
    """An identification refused, ended by an upheld 异议 or withdrawn: 识别中 → 未纳入, with the reason."""
    apply_decision(
        monitoring_object_id=application.monitoring_object_id,
        to_status=MonitoringStatus.NOT_INCLUDED,
        on=today,
        reason=reason,
    )


Hook = Callable[[object, str, date], None]
# On the final approval.
APPROVAL_HOOKS: dict[str, Hook] = {
    ApplicationKind.MONITORING_IDENTIFICATION: include,
    ApplicationKind.RISK_ELIMINATION: eliminate,
}
# On 不予通过, 终止 or 撤回; a refused 风险消除 leaves its record 监测中.
RELEASE_HOOKS: dict[str, Hook] = {
    ApplicationKind.MONITORING_IDENTIFICATION: not_include,
}

"""What the workflow engine tells people (站内消息, core/notifications.py), in words.

The engine (assessment/services.py) decides when and to whom — the reviewers of the waiting step
by its own rule, the applicant, the resolvers of an 异议 — and calls these; they only say it. The
text names the application, its target and the step, never an ID or phone number.
"""

from datetime import date

from django.urls import reverse

from core.notifications import Kind, notify

from .models import Application, ApplicationStep, Objection


def _url(application: Application) -> str:
    return reverse("assessment:detail", args=[application.pk])


def _about(application: Application) -> str:
    return f"{application.target_label} · {application.region.name} · {application.year}年度"


def step_waiting(application: Application, recipients, step_name: str) -> None:
    """An application has arrived at a step the recipients may take now."""
    notify(
        recipients=recipients,
        kind=Kind.REVIEW,
        title=f"{application}待您办理“{step_name}”",
        body=_about(application),
        url=_url(application),
    )


def sent_back(application: Application, comment: str) -> None:
    notify(
        recipients=[application.submitted_by_id],
        kind=Kind.RETURNED,
        title=f"{application}被退回修改",
        body=f"{_about(application)}。退回意见：{comment.rstrip('。.')}。请修改后重新提交，或撤回申请。",
        url=_url(application),
    )


def decided(application: Application, *, approved: bool, comment: str = "") -> None:
    """The applicant's application is approved at its last step, refused (不予通过) or ended by an 异议."""
    status = application.get_status_display()
    body = _about(application) + (f"。意见：{comment}" if comment else "")
    notify(
        recipients=[application.submitted_by_id],
        kind=Kind.APPROVED if approved else Kind.REJECTED,
        title=f"{application}{status}",
        body=body,
        url=_url(application),
    )


def objection_filed(application: Application, objection: Objection, recipients) -> None:
    notify(
        recipients=recipients,
        kind=Kind.OBJECTION,
        title=f"{application}在{objection.step.name}期间有异议待处理",
        body=f"{_about(application)}。异议处理前不能进入下一步。",
        url=_url(application),
    )


def publicity_ending(application: Application, step: ApplicationStep, recipients, today: date) -> None:
    """The daily reminder: a 公示 ends today or tomorrow; once per step and user (its key)."""
    when = "今天" if step.ends_on == today else "明天"
    notify(
        recipients=recipients,
        kind=Kind.PUBLICITY_ENDING,
        title=f"{application}的{step.name}{when}（{step.ends_on:%m月%d日}）期满",
        body=f"{_about(application)}。期满后可办理“{application.awaiting_step_name}”。",
        url=_url(application),
        key=f"publicity:{step.pk}",
    )

"""站内消息 and 我的待办: who the workflow engine and the job pipeline tell, and what each user may see of it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from assessment import services
from assessment.models import Application
from assessment.selectors import todo_counts, waiting_for
from core import notifications, tasks
from core.codes import Role
from core.models import ExportJob, Notification
from core.tasks import run_transfer_job
from households.models import ImportJob

from ..conftest import login
from ..factories import UserFactory, household_with_members
from .conftest import GUARANTEES_MET, elapse_publicity, today

API = "/api/v1/notifications/"


def notified(kind: str | None = None) -> dict[str, list[str]]:
    """username → the titles of the notices they received (of `kind`)."""
    rows = Notification.objects.select_related("recipient").order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    received: dict[str, list[str]] = {}
    for row in rows:
        received.setdefault(row.recipient.username, []).append(row.title)
    return received


def names(people, *keys) -> set[str]:
    return {people[key].username for key in keys}


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the engine's on-commit notices as the test's calls return (the test's transaction never commits)."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def submit_exit(on_commit, people, household):
    return on_commit(
        services.draft_and_submit,
        user=people["clerk"],
        kind="HOUSEHOLD_EXIT",
        year=2019,
        household_id=household.pk,
        figures={**GUARANTEES_MET, "consent": True},
        reason="民主评议通过，农户认可",
    )


def submit_closure(on_commit, people, household):
    """自然销户 has no 公示: 村报告 (the clerk) → 乡镇审核 (another clerk) → 县审定."""
    return on_commit(
        services.draft_and_submit,
        user=people["clerk"],
        kind="CLOSURE",
        year=2019,
        household_id=household.pk,
        reason="户主已故，死亡证明附后",
    )


@pytest.mark.django_db
def test_a_submission_tells_the_reviewers_of_its_step_in_scope_and_nobody_else(on_commit, people, poor_household):
    application = submit_closure(on_commit, people, poor_household)

    # 乡镇审核: the township's other clerk only (not the applicant, not the clerk of 乙镇, no county yet).
    assert set(notified(Notification.Kind.REVIEW)) == names(people, "clerk2")
    notice = Notification.objects.get(recipient=people["clerk2"])
    assert notice.title == f"自然销户申请 #{application.pk}待您办理“乡镇审核”"
    assert notice.url == reverse("assessment:detail", args=[application.pk])
    assert notice.read_at is None

    on_commit(services.approve_step, user=people["clerk2"], application_id=application.pk, comment="核实无误")
    # 县审定: the county of the village, not the neighbouring county, the city or the province.
    assert set(notified(Notification.Kind.REVIEW)) == names(people, "clerk2", "county")
    assert notified(Notification.Kind.REVIEW)[people["county"].username] == [
        f"自然销户申请 #{application.pk}待您办理“县审定”"
    ]

    on_commit(services.approve_step, user=people["county"], application_id=application.pk, comment="同意销户")
    assert notified(Notification.Kind.APPROVED) == {people["clerk"].username: [f"自然销户申请 #{application.pk}已批准"]}


@pytest.mark.django_db
def test_sending_back_and_refusing_tell_the_applicant(on_commit, people, poor_household, tree):
    application = submit_closure(on_commit, people, poor_household)
    on_commit(services.send_back_application, user=people["clerk2"], application_id=application.pk, comment="缺证明")

    assert set(notified(Notification.Kind.RETURNED)) == names(people, "clerk")
    returned = Notification.objects.get(kind=Notification.Kind.RETURNED)
    assert returned.title == f"自然销户申请 #{application.pk}被退回修改"
    assert "退回意见：缺证明" in returned.body

    # Resubmitted, the reviewer is told again (a new round); refused, the applicant is told why.
    on_commit(services.resubmit_application, user=people["clerk"], application_id=application.pk)
    assert (
        notified(Notification.Kind.REVIEW)[people["clerk2"].username]
        == [f"自然销户申请 #{application.pk}待您办理“乡镇审核”"] * 2
    )
    on_commit(services.reject_application, user=people["clerk2"], application_id=application.pk, comment="户主健在")
    refused = Notification.objects.get(kind=Notification.Kind.REJECTED)
    assert (refused.recipient, refused.title) == (people["clerk"], f"自然销户申请 #{application.pk}不予通过")
    assert "意见：户主健在" in refused.body


@pytest.mark.django_db
def test_a_notice_never_names_an_id_or_phone_number_in_clear(on_commit, people, poor_household):
    application = submit_closure(on_commit, people, poor_household)
    on_commit(
        services.send_back_application,
        user=people["clerk2"],
        application_id=application.pk,
        comment="身份证号622926198005171234有误，请联系13812345678",
    )
    body = Notification.objects.get(kind=Notification.Kind.RETURNED).body
    assert "622926198005171234" not in body and "13812345678" not in body
    assert "622926********1234" in body and "138****5678" in body


@pytest.mark.django_db
def test_an_objection_tells_whoever_must_resolve_it(on_commit, people, poor_household):
    application = submit_exit(on_commit, people, poor_household)  # 民主评议 is the clerk's: 村内公示 runs
    Notification.objects.all().delete()

    on_commit(services.file_objection, user=people["county"], application_id=application.pk, content="村民反映收入不实")

    # 乡镇审核 waits on it: the township's reviewer (never the applicant) must answer it.
    assert notified(Notification.Kind.OBJECTION) == {
        people["clerk2"].username: [f"户退出申请 #{application.pk}在村内公示期间有异议待处理"]
    }


@pytest.mark.django_db
def test_the_publicity_reminder_tells_the_next_reviewers_once_however_often_it_runs(on_commit, people, poor_household):
    application = submit_exit(on_commit, people, poor_household)  # 民主评议 is the clerk's: 村内公示 runs
    step = Application.objects.get(pk=application.pk).steps.get(round=1, index=1)
    assert step.name == "村内公示"

    assert on_commit(services.remind_publicity_ending, today=step.ends_on - timedelta(days=2)) == 0  # not yet
    assert on_commit(services.remind_publicity_ending, today=step.ends_on - timedelta(days=1)) == 1
    assert on_commit(services.remind_publicity_ending, today=step.ends_on - timedelta(days=1)) == 1
    assert on_commit(services.remind_publicity_ending, today=step.ends_on) == 1

    assert notified(Notification.Kind.PUBLICITY_ENDING) == {
        people["clerk2"].username: [f"户退出申请 #{application.pk}的村内公示明天（{step.ends_on:%m月%d日}）期满"]
    }
    assert on_commit(services.remind_publicity_ending, today=step.ends_on + timedelta(days=1)) == 0  # over


@pytest.mark.django_db
def test_todo_counts_of_a_hand_built_case(on_commit, people, poor_household, tree):
    other = household_with_members(tree["village_a"], size=2)
    third = household_with_members(tree["village_a"], size=2)
    closure = submit_closure(on_commit, people, poor_household)  # waits for clerk2 (乡镇审核)
    exit_running = submit_exit(on_commit, people, other)
    # 村内公示 running, ending within two days: 乡镇审核 (clerk2) after it; an 异议 clerk2 must answer.
    elapse_publicity(exit_running.pk)
    step = Application.objects.get(pk=exit_running.pk).steps.get(round=1, index=1)
    step.ends_on = today() + timedelta(days=1)
    step.save()
    Application.objects.filter(pk=exit_running.pk).update(awaiting_since=step.ends_on + timedelta(days=1))
    on_commit(services.file_objection, user=people["county"], application_id=exit_running.pk, content="收入不实")
    returned = on_commit(
        services.draft_and_submit,
        user=people["clerk2"],
        kind="CLOSURE",
        year=2019,
        household_id=third.pk,
        reason="户主已故",
    )
    on_commit(services.send_back_application, user=people["clerk"], application_id=returned.pk, comment="缺证明")

    counts = todo_counts(people["clerk2"], today())
    assert counts == {"waiting": 1, "publicity_ending": 1, "objections": 1, "returned": 1, "jobs": 0}
    assert waiting_for(people["clerk2"], today()).count() == 2  # the badge: the queue's rows (waiting + returned)
    assert todo_counts(people["clerk_b"], today()) == {
        "waiting": 0,
        "publicity_ending": 0,
        "objections": 0,
        "returned": 0,
        "jobs": 0,
    }
    # The applicant's own closure waits for clerk2, never for them.
    assert closure.awaiting_role == Role.TOWNSHIP_CLERK
    assert todo_counts(people["clerk"], today())["waiting"] == 0
    assert not waiting_for(people["clerk"], today()).exists()


@pytest.mark.django_db
def test_finished_and_failed_jobs_tell_their_user(clerk_a, on_commit):
    export = ExportJob.objects.create(user=clerk_a, report="households", params={"region": "622926101000"})
    upload = ImportJob.objects.create(user=clerk_a, original_name="采集表.xlsx")
    on_commit(run_transfer_job, "fupin.ExportJob", export.pk)
    on_commit(run_transfer_job, "households.ImportJob", upload.pk, {"commit": False})

    done, failed = Notification.objects.filter(recipient=clerk_a).order_by("id")
    assert (done.kind, done.title, done.url) == ("JOB_DONE", f"导出任务 #{export.pk}：已完成", "/exports/")
    assert (failed.kind, failed.title) == ("JOB_FAILED", f"导入任务 #{upload.pk}：失败")
    assert failed.url == reverse("households:import_detail", args=[upload.pk])
    assert failed.body.startswith("文件：采集表.xlsx\n")
    assert todo_counts(clerk_a, today())["jobs"] == 2


@pytest.mark.django_db
def test_mark_read_touches_only_my_own(api_client, on_commit, people):
    on_commit(notifications.notify, recipients=[people["clerk"], people["county"]], kind="REVIEW", title="甲", url="/")
    mine = Notification.objects.get(recipient=people["clerk"])
    theirs = Notification.objects.get(recipient=people["county"])

    assert notifications.mark_read(user=people["clerk"], ids=[mine.pk, theirs.pk]) == 1
    assert notifications.unread_count(people["clerk"]) == 0
    assert notifications.unread_count(people["county"]) == 1

    login(api_client, people["clerk"])
    response = api_client.post(f"{API}read/", {"ids": [theirs.pk]}, format="json")
    assert response.status_code == 200 and response.json() == {"marked": 0, "unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_a_user_never_sees_another_users_notice(client, api_client, on_commit, people):
    on_commit(notifications.notify, recipients=[people["county"]], kind="REVIEW", title="县里的消息", url="/")
    theirs = Notification.objects.get()

    login(client, people["clerk"])
    assert client.get(reverse("notification_open", args=[theirs.pk])).status_code == 404
    page = client.get(reverse("notifications"))
    assert page.status_code == 200 and "县里的消息" not in page.content.decode()
    login(api_client, people["clerk"])
    assert api_client.get(f"{API}{theirs.pk}/").status_code == 404
    assert api_client.get(API).json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_opening_a_notice_marks_it_read_and_follows_only_a_link_of_this_site(client, on_commit, people):
    on_commit(notifications.notify, recipients=[people["clerk"]], kind="REVIEW", title="本站", url="/assessment/queue/")
    on_commit(notifications.notify, recipients=[people["clerk"]], kind="REVIEW", title="外站", url="//evil.example/")
    inside, outside = Notification.objects.order_by("id")
    assert outside.url == ""  # refused when written

    login(client, people["clerk"])
    page = client.get(reverse("notifications")).content.decode()
    assert page.count("data-unread>") == 2 and "data-unread-count>2<" in page
    response = client.get(reverse("notification_open", args=[inside.pk]))
    assert (response.status_code, response["Location"]) == (302, "/assessment/queue/")
    assert client.get(reverse("notification_open", args=[outside.pk]))["Location"] == reverse("notifications")
    assert notifications.unread_count(people["clerk"]) == 0

    on_commit(notifications.notify, recipients=[people["clerk"]], kind="REVIEW", title="再一条")
    response = client.post(reverse("notifications_read_all"), follow=True)
    assert "已将1条消息标为已读。" in response.content.decode()
    assert notifications.unread_count(people["clerk"]) == 0


@pytest.mark.django_db
def test_home_shows_my_todos_and_the_navigation_counts_the_queue(client, on_commit, people, poor_household):
    submit_closure(on_commit, people, poor_household)
    login(client, people["clerk2"])
    page = client.get("/").content.decode()
    assert 'data-todo="waiting"' in page and "待我办理的申请" in page
    assert "data-queue-count>1<" in page
    assert "data-unread-count>1<" in page  # the bell

    other = UserFactory(role=Role.COUNTY_REVIEWER, region=people["other_county"].region)
    login(client, other)
    page = client.get("/").content.decode()
    assert "data-queue-count" not in page and "data-unread-count" not in page


@pytest.mark.django_db
def test_with_email_on_a_notice_is_mailed_masked_to_users_with_an_address(settings, monkeypatch, on_commit, people):
    settings.NOTIFICATION_EMAIL = True
    people["county"].email = "county@example.org"
    people["county"].save(update_fields=["email"])
    sent = []
    monkeypatch.setattr(
        tasks.send_notification_email, "delay", lambda *args: sent.append(tasks.send_notification_email(*args))
    )

    on_commit(
        notifications.notify,
        recipients=[people["clerk"], people["county"]],
        kind="RETURNED",
        title="申请被退回",
        body="请联系13812345678",
        url="/assessment/queue/",
    )

    assert sent == [1] and len(mail.outbox) == 1  # the clerk has no address
    message = mail.outbox[0]
    assert (message.to, message.subject) == (["county@example.org"], "[扶贫开发建档立卡系统] 申请被退回")
    assert "138****5678" in message.body and "13812345678" not in message.body
    assert "/assessment/queue/" in message.body

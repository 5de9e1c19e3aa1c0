from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .codes import ROLE_SCOPE_LEVEL, Evidence, NotificationKind, ParameterKey, Role
from .transfer import TransferJob


class User(AbstractUser):
    """A person using fupin: a role and the region whose subtree is their scope."""

    role = models.CharField("角色", max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "villages.Region",
        verbose_name="所属区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # Demo accounts log in only when FUPIN_DEMO=1 (core/auth.py).
    is_demo = models.BooleanField("演示账号", default=False)
    # A password an administrator handed out (a new account, a reset) is known to two people:
    # its owner changes it before using the system (fupin/middleware.py; core/auth.py for the API).
    must_change_password = models.BooleanField("须修改初始密码", default=False)

    objects = UserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="admin") | models.Q(region__isnull=False),
                name="user_non_admin_has_region",
            ),
        ]

    def clean(self):
        super().clean()
        level = ROLE_SCOPE_LEVEL.get(self.role)
        if level and self.region_id and self.region.level != level:
            raise ValidationError(
                {"region": f"{self.get_role_display()}的所属区划应为{dict(_LEVEL_LABELS)[level]}级。"}
            )

    @property
    def scope_label(self) -> str:
        return self.region.name if self.region_id else "全部"


_LEVEL_LABELS = {"province": "省", "city": "市", "county": "县", "township": "乡镇"}


class PolicyParameterQuerySet(models.QuerySet):
    def for_key(self, key: str):
        return self.filter(key=key)


class PolicyParameter(models.Model):
    """A policy number (poverty line, threshold, notice days) for a year and a region.

    `year` empty means every year; `region` empty means national. The most specific
    row wins (core/policy.py::policy_value). Provenance: the evidence labels of docs/domain.md §0.1.
    """

    key = models.CharField("参数", max_length=40, choices=ParameterKey.choices)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    region = models.ForeignKey(
        "villages.Region", verbose_name="适用区划", null=True, blank=True, on_delete=models.CASCADE
    )
    value = models.DecimalField("数值", max_digits=14, decimal_places=4)
    # The few parameters that are words, not numbers (a phone number keeps its leading 0); value is 0 for them.
    text = models.CharField("文字值", max_length=200, blank=True)
    source = models.CharField("依据", max_length=500, blank=True)
    evidence = models.CharField("可信度", max_length=10, choices=Evidence.choices, default=Evidence.SOURCE)
    is_verified = models.BooleanField("已核实", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PolicyParameterQuerySet.as_manager()

    class Meta:
        verbose_name = "政策参数"
        verbose_name_plural = "政策参数"
        ordering = ["key", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "year", "region"],
                nulls_distinct=False,
                name="policy_parameter_one_per_key_year_region",
            ),
            models.CheckConstraint(condition=models.Q(value__gte=Decimal(0)), name="policy_parameter_not_negative"),
        ]

    def __str__(self):
        where = self.region.name if self.region_id else "全国"
        return f"{self.get_key_display()} {self.year or '各年'} {where}: {self.value}"


class AccessAudit(models.Model):
    """Who saw or exported personal data in full, when, and how much (append-only)."""

    class Action(models.TextChoices):
        UNMASK = "unmask", "查看完整个人信息"
        EXPORT = "export", "导出"

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.PROTECT, related_name="+")
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=50)
    object_id = models.CharField("对象", max_length=50)
    detail = models.CharField("说明", max_length=500, blank=True)
    row_count = models.PositiveIntegerField("条数", default=1)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "个人信息访问记录"
        verbose_name_plural = "个人信息访问记录"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} {self.get_action_display()} {self.object_type}:{self.object_id}"


class ExportJob(TransferJob):
    """A report export run by Celery: who asked for what, progress, the file, how many rows.

    The job row is itself the audit record of the export; a full (unmasked) export also
    writes an AccessAudit entry. Its file lives TRANSFER_FILE_HOURS (core/transfer.py).
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "排队中"
        RUNNING = "RUNNING", "生成中"
        DONE = "DONE", "已完成"
        FAILED = "FAILED", "失败"
        EXPIRED = "EXPIRED", "已过期"

    user = models.ForeignKey(User, verbose_name="导出人", on_delete=models.PROTECT, related_name="export_jobs")
    report = models.CharField("报表", max_length=30)
    params = models.JSONField("条件", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField("预计行数", default=0)
    rows_written = models.PositiveIntegerField("已写行数", default=0)
    file_name = models.CharField("文件", max_length=200, blank=True)
    error = models.CharField("错误", max_length=500, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    directory = "exports"
    file_field = "file_name"
    file_time_field = "finished_at"  # the workbook is written when the job finishes
    done_field = "rows_written"
    total_field = "total_rows"
    message_field = "error"
    active_statuses = (Status.PENDING, Status.RUNNING)
    expires_with_file = (Status.DONE,)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.report} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("exports")


class Notification(models.Model):
    """站内消息: one notice to one user that something happened to their work (core/notifications.py).

    Written only by `core.notifications.notify`, on commit of the change it reports; its text never
    holds a clear ID or phone number (masked there). Not 公告公示 (projects.Notice): those are public.
    """

    Kind = NotificationKind

    recipient = models.ForeignKey(User, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("类别", max_length=20, choices=NotificationKind.choices)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    # What the notice is about, so that a daily reminder is sent once (e.g. "publicity:<step id>").
    key = models.CharField("去重键", max_length=100, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recent_idx"),
        ]
        constraints = [
            # A reminder about one thing reaches a user once, however often its task runs.
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~models.Q(key=""), name="notification_one_per_key"
            ),
        ]

    def __str__(self):
        return f"{self.recipient} {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

import time

from django.core.management.base import BaseCommand

from assessment.models import IncidenceRate
from fupin.demo import DEFAULT_HOUSEHOLDS, DEMO_PASSWORD, demo_is_loaded, ensure_demo_users, load_demo
from fupin.demo.assessment import recompute_demo_statistics, seed_demo_assessment
from fupin.demo.funds import seed_demo_funds
from households.models import Household
from households.services import refresh_warning_counts


class Command(BaseCommand):
    help = "加载演示省份数据（确定性、可重复运行）并创建演示账号。"

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS, help="户数（默认 20000）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（同一种子生成同样的数据）")

    def handle(self, *args, households, seed, **options):
        if households < 1:
            self.stderr.write("--households 应为正整数。")
            return
        if demo_is_loaded():
            self.stdout.write("演示数据已存在，跳过加载。")
        else:
            started = time.monotonic()

            def progress(household_count, member_count):
                self.stdout.write(f"  已写入 {household_count:,} 户，{member_count:,} 人", ending="\r")
                self.stdout.flush()

            written = load_demo(households=households, seed=seed, progress=progress)
            self.stdout.write(
                f"\n已加载演示数据：{written['villages']:,} 个村，{written['households']:,} 户，"
                f"{written['members']:,} 人，用时 {time.monotonic() - started:.1f} 秒。"
            )
        if Household.objects.filter(warning_count__isnull=True).exists():
            self.stdout.write(f"已检查疑点：{refresh_warning_counts():,} 户。")
        users = ensure_demo_users()
        if not seed_demo_assessment().get("skipped"):
            self.stdout.write("已生成今日待办的演示申请（自然销户：一件待县审定，一件退回修改）。")
        if not seed_demo_funds().get("skipped"):
            self.stdout.write("已生成演示项目（公示期满、已批复、实施中）、中央资金来源、分配和报账。")
        if not IncidenceRate.objects.exists():
            figures = recompute_demo_statistics()
            self.stdout.write(f"已计算贫困发生率（{len(figures['incidence'])}个年度）和县级考核评级。")
        self.stdout.write("演示账号（仅在 FUPIN_DEMO=1 时可登录），密码均为 " + DEMO_PASSWORD + "：")
        for user in users:
            self.stdout.write(f"  {user.username:<14} {user.get_role_display()}  {user.scope_label}")

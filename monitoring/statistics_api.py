"""/api/v1/monitoring-statistics/: the dashboard's figures for a region of the user's scope (docs/domain.md §12.13)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.db_routers import read_from_replica
from households.codes import MonitoringCategory

from . import statistics
from .codes import EliminationMode, RiskType
from .dashboard_views import chosen_region


def _counts(codes, help_text: str):
    """An object with one count per code (every code present, zeros included)."""
    return serializers.DictField(child=serializers.IntegerField(), help_text=f"{help_text}：{'、'.join(codes)}")


class StatusCountsSerializer(serializers.Serializer):
    IDENTIFYING = serializers.IntegerField(help_text="识别中")
    MONITORED = serializers.IntegerField(help_text="监测中")
    ELIMINATED = serializers.IntegerField(help_text="已消除风险")
    NOT_INCLUDED = serializers.IntegerField(help_text="未纳入")


class FiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="监测记录总数（户次）")
    by_status = StatusCountsSerializer(help_text="按状态")
    open = serializers.IntegerField(help_text="识别中、监测中")
    by_category = serializers.DictField(
        child=StatusCountsSerializer(), help_text=f"按类别（{'、'.join(MonitoringCategory.values)}），每类按状态"
    )
    by_risk_type = serializers.DictField(
        child=StatusCountsSerializer(),
        help_text=f"按风险类型（{'、'.join(RiskType.values)}），每类按状态；一条记录计入其每项风险",
    )
    new_this_month = serializers.IntegerField(help_text="发现日期在本月的记录")
    identified_this_month = serializers.IntegerField(help_text="识别日期（纳入监测）在本月的记录")
    eliminated_this_year = _counts(EliminationMode.values, "本年风险消除，按风险消除方式")
    identified_this_year = serializers.IntegerField(help_text="识别日期在本年的记录")
    median_days_to_identify = serializers.FloatField(
        allow_null=True, help_text="本年识别纳入的记录自发现至识别天数的中位数；无记录时为 null"
    )
    overdue = serializers.IntegerField(help_text="识别中且自发现之日起超过办结时限的记录")
    decision_limit_days = serializers.IntegerField(help_text="本区划本年的办结时限（天，MONITORING_DECISION_MAX_DAYS）")


class ChildFiguresSerializer(FiguresSerializer):
    decision_limit_days = None
    region = serializers.CharField(help_text="下级区划代码")
    name = serializers.CharField(help_text="下级区划名称")


@extend_schema_serializer(many=False)  # one object, though it is the viewset's `list`
class MonitoringStatisticsSerializer(serializers.Serializer):
    region = serializers.CharField(allow_null=True, help_text="区划代码（管理员未指定时为 null：全部区划）")
    name = serializers.CharField(help_text="区划名称")
    as_of = serializers.DateField(help_text="统计日期（本月、本年据此计）")
    figures = FiguresSerializer()
    children = ChildFiguresSerializer(many=True, help_text="下一级区划，每个一行，指标同上")


class MonitoringStatisticsViewSet(viewsets.ViewSet):
    """防返贫监测统计 of a region of the user's scope and of its child regions (the page /monitoring/dashboard/)."""

    serializer_class = MonitoringStatisticsSerializer  # for the schema generator

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "region",
                OpenApiTypes.STR,
                description="区划代码或其前缀（1至12位数字）；默认本人所属区划；管辖范围外或不存在为 404",
            )
        ],
        responses={200: MonitoringStatisticsSerializer},
    )
    @read_from_replica()
    def list(self, request):
        region = chosen_region(request.user, request.query_params)  # 400 malformed, 404 outside the scope
        today = timezone.localdate()
        children = statistics.child_region_figures(request.user, region, today)
        return Response(
            {
                "region": region.code if region else None,
                "name": region.name if region else "全部区划",
                "as_of": today,
                "figures": statistics.region_figures(request.user, region, today),
                "children": [{"region": child.code, "name": child.name, **figures} for child, figures in children],
            }
        )

"""The project library over the API: explicit serializers, every change through projects/services.py."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import IdCursorPagination
from core.parsing import date_validator
from core.years import YEAR_LIMITS

from . import selectors, services
from .codes import NoticeKind, ProjectCategory, ProjectStatus
from .models import Beneficiary, Notice, NoticeObjection, Project, ProjectEvent

REGION_CODE = r"^[0-9]{12}$"


# --- projects --------------------------------------------------------------------------------


class ProjectEventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ProjectEvent
        fields = ["from_status", "to_status", "user", "comment", "at"]
        read_only_fields = fields


class ProjectReadSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county_id", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    villages = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    next_status = serializers.SerializerMethodField()
    events = ProjectEventSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "county",
            "region",
            "villages",
            *services.PROJECT_FIELDS,
            "status",
            "next_status",
            "created_by",
            "created_at",
            "events",
        ]
        read_only_fields = fields

    def get_villages(self, project) -> list[str]:
        return [village.code for village in project.villages.all()]

    def get_next_status(self, project) -> str | None:
        return services.next_status(project)


class ProjectWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    category = serializers.ChoiceField(choices=ProjectCategory.choices, required=False)
    year = serializers.IntegerField(**YEAR_LIMITS, required=False)
    budget = serializers.CharField(max_length=20, required=False, help_text="金额（元），最多两位小数")
    implementing_unit = serializers.CharField(max_length=200, required=False)
    content = serializers.CharField(required=False, allow_blank=True)
    performance_target = serializers.CharField(required=False, allow_blank=True, help_text="入库前必须填写")
    poverty_link = serializers.CharField(required=False, allow_blank=True)
    villages = serializers.ListField(child=serializers.RegexField(REGION_CODE), required=False)
    county = serializers.RegexField(REGION_CODE, required=False, help_text="全县性项目（不选实施村）所在县")


class ProjectFilter(filters.FilterSet):
    year = filters.NumberFilter(method="noop")
    status = filters.ChoiceFilter(choices=ProjectStatus.choices, method="noop")
    category = filters.ChoiceFilter(choices=ProjectCategory.choices, method="noop")
    county = filters.CharFilter(method="noop", help_text="县的区划代码")

    class Meta:
        model = Project
        fields = []

    def noop(self, queryset, name, value):
        # The selector applies every filter (projects/selectors.py::project_list).
        return queryset


class BeneficiaryReadSerializer(serializers.ModelSerializer):
    household_no = serializers.CharField(source="household.household_no", read_only=True)
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    village = serializers.CharField(source="household.village_id", read_only=True)

    class Meta:
        model = Beneficiary
        fields = ["id", "household", "household_no", "head_name", "village", "planned_amount"]
        read_only_fields = fields


class BeneficiaryWriteSerializer(serializers.Serializer):
    household = serializers.IntegerField()
    planned_amount = serializers.CharField(max_length=20, help_text="金额（元），最多两位小数")


class BeneficiaryRemoveSerializer(serializers.Serializer):
    beneficiary = serializers.IntegerField()


class AdvanceSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """项目库: scoped list (filters year, status, category, county), 申报, 修改 before 入库, 办理 and 受益户."""

    filterset_class = ProjectFilter
    pagination_class = IdCursorPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if self.action == "list":
            return selectors.project_list(self.request.user, self.request.query_params).prefetch_related(
                "villages", "events__user"
            )
        return selectors.project_detail_queryset(self.request.user)

    def get_serializer_class(self):
        return ProjectWriteSerializer if self.action in ("create", "partial_update") else ProjectReadSerializer

    def respond(self, project, code=status.HTTP_200_OK):
        project = selectors.project_detail_queryset(self.request.user).get(pk=project.pk)
        return Response(ProjectReadSerializer(project).data, status=code)

    @extend_schema(request=ProjectWriteSerializer, responses={201: ProjectReadSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        project = services.declare_project(
            user=request.user,
            village_codes=data.pop("villages", []),
            county_code=data.pop("county", None),
            data=data,
        )
        return self.respond(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectWriteSerializer, responses={200: ProjectReadSerializer})
    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()
        serializer = ProjectWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("county", None)
        villages = data.pop("villages", None)
        if villages is None:
            villages = [village.code for village in project.villages.all()]
        project = services.update_project(user=request.user, project_id=project.pk, data=data, village_codes=villages)
        return self.respond(project)

    @extend_schema(request=AdvanceSerializer, responses={200: ProjectReadSerializer})
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        """办理下一步（乡审核、县论证、入库、批复、实施、验收、完成）；不能办理时 400 并说明原因。"""
        serializer = AdvanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.advance_project(
            user=request.user, project_id=self.get_object().pk, comment=serializer.validated_data.get("comment", "")
        )
        return self.respond(project)

    @extend_schema(methods=["GET"], request=None, responses={200: BeneficiaryReadSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=BeneficiaryWriteSerializer, responses={201: BeneficiaryReadSerializer(many=True)}
    )
    # All of them, never paged; the list's filters are not this action's.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def beneficiaries(self, request, pk=None):
        """受益户：GET 列出，POST 添加或修改计划受益金额（已实施的项目同时生成帮扶措施）。"""
        project = self.get_object()
        code = status.HTTP_200_OK
        if request.method == "POST":
            serializer = BeneficiaryWriteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.set_beneficiary(
                user=request.user,
                project_id=project.pk,
                household_id=serializer.validated_data["household"],
                planned_amount=serializer.validated_data["planned_amount"],
            )
            code = status.HTTP_201_CREATED
        rows = selectors.beneficiary_list(request.user, project)
        return Response(BeneficiaryReadSerializer(rows, many=True).data, status=code)

    @extend_schema(request=BeneficiaryRemoveSerializer, responses={200: BeneficiaryReadSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="remove-beneficiary", pagination_class=None, filter_backends=[])
    def remove_beneficiary(self, request, pk=None):
        """移除受益户（项目实施前）。"""
        project = self.get_object()
        serializer = BeneficiaryRemoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        beneficiary = get_object_or_404(
            selectors.beneficiary_list(request.user, project), pk=serializer.validated_data["beneficiary"]
        )
        services.remove_beneficiary(user=request.user, beneficiary_id=beneficiary.pk)
        rows = selectors.beneficiary_list(request.user, project)
        return Response(BeneficiaryReadSerializer(rows, many=True).data)


# --- notices ---------------------------------------------------------------------------------


class NoticeObjectionSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    resolved_by = serializers.CharField(source="resolved_by.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = NoticeObjection
        fields = ["id", "notice", "content", "received_on", "recorded_by", "outcome", "resolved_by", "resolved_at"]
        read_only_fields = fields


class NoticeReadSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    objections = NoticeObjectionSerializer(many=True, read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "kind",
            "project",
            "fund_source",
            "region",
            "title",
            "content",
            "place",
            "start_date",
            "end_date",
            "created_by",
            "created_at",
            "objections",
        ]
        read_only_fields = fields


class NoticeWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NoticeKind.choices, default=NoticeKind.PUBLICITY)
    project = serializers.IntegerField(required=False)
    fund_source = serializers.IntegerField(required=False)
    region = serializers.RegexField(REGION_CODE, help_text="公示区划（村、乡镇或县）")
    title = serializers.CharField(max_length=200)
    content = serializers.CharField()
    place = serializers.CharField(max_length=200)
    start_date = serializers.DateField(validators=[date_validator])
    end_date = serializers.DateField(
        validators=[date_validator], required=False, help_text="公示留空则按最短公示天数计算"
    )


class NoticeObjectionCreateSerializer(serializers.Serializer):
    content = serializers.CharField()
    received_on = serializers.DateField(validators=[date_validator], required=False, help_text="默认今天；须在公示期内")


class NoticeObjectionResolveSerializer(serializers.Serializer):
    objection = serializers.IntegerField()
    outcome = serializers.CharField()


class NoticeFilter(filters.FilterSet):
    class Meta:
        model = Notice
        fields = ["project", "fund_source", "kind"]


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """公告公示 of projects and funds in scope, with their objections (异议) and how each was resolved."""

    filterset_class = NoticeFilter
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return selectors.notices_with_objections(self.request.user)

    def get_serializer_class(self):
        return NoticeWriteSerializer if self.action == "create" else NoticeReadSerializer

    def respond(self, notice, code=status.HTTP_200_OK):
        notice = selectors.notices_with_objections(self.request.user).get(pk=notice.pk)
        return Response(NoticeReadSerializer(notice).data, status=code)

    @extend_schema(request=NoticeWriteSerializer, responses={201: NoticeReadSerializer})
    def create(self, request, *args, **kwargs):
        serializer = NoticeWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        notice = services.post_notice(
            user=request.user,
            region_code=data.pop("region"),
            project_id=data.pop("project", None),
            fund_source_id=data.pop("fund_source", None),
            **data,
        )
        return self.respond(notice, status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], request=None, responses={200: NoticeObjectionSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=NoticeObjectionCreateSerializer, responses={201: NoticeObjectionSerializer(many=True)}
    )
    # All of them, never paged; the list's filters are not this action's.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def objections(self, request, pk=None):
        """公示异议：GET 列出，POST 登记（须在公示期内收到）。"""
        notice = self.get_object()
        code = status.HTTP_200_OK
        if request.method == "POST":
            serializer = NoticeObjectionCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.record_notice_objection(
                user=request.user,
                notice_id=notice.pk,
                content=serializer.validated_data["content"],
                received_on=serializer.validated_data.get("received_on") or timezone.localdate(),
            )
            code = status.HTTP_201_CREATED
        rows = NoticeObjection.objects.visible_to(request.user).filter(notice=notice)
        rows = rows.select_related("recorded_by", "resolved_by")
        return Response(NoticeObjectionSerializer(rows, many=True).data, status=code)

    @extend_schema(request=NoticeObjectionResolveSerializer, responses={200: NoticeObjectionSerializer})
    @action(detail=True, methods=["post"], url_path="resolve-objection")
    def resolve_objection(self, request, pk=None):
        """处理异议：写明处理结果。"""
        notice = self.get_object()
        serializer = NoticeObjectionResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        objection = get_object_or_404(
            NoticeObjection.objects.visible_to(request.user).filter(notice=notice),
            pk=serializer.validated_data["objection"],
        )
        objection = services.resolve_notice_objection(
            user=request.user, objection_id=objection.pk, outcome=serializer.validated_data["outcome"]
        )
        return Response(NoticeObjectionSerializer(objection).data)

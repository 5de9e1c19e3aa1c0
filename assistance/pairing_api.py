"""The API of 结对帮扶 (docs/domain.md §9.1–§9.2): pairings (list, 批量结对, 调整结对, 结束) and the coverage.

Helpers are listed and registered at /api/v1/helpers/ (households/api.py). Scoped like the pages (a
pairing outside the user's region is absent: 404); every write goes through assistance/pairing.py
or households.services, which hold the rules (scope of the whole batch, the limit, year locks).
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import IdCursorPagination
from core.parsing import date_validator, optional_int, parse_region_code
from core.scoping import get_visible_or_404
from households.models import HelperAssignment
from households.services import end_helper_assignment
from villages.models import Region

from . import coverage, pairing

MAX_ID = 2**63 - 1


class PairingSerializer(serializers.ModelSerializer):
    helper_name = serializers.CharField(source="helper.name", read_only=True)
    household_no = serializers.CharField(source="household.household_no", read_only=True)

    class Meta:
        model = HelperAssignment
        fields = ["id", "helper", "helper_name", "household", "household_no", "start_date", "end_date"]
        read_only_fields = fields


class BulkPairSerializer(serializers.Serializer):
    """批量结对: one helper, many households of the user's scope, one start date; all or nothing."""

    helper = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    households = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=pairing.MAX_BATCH
    )
    start_date = serializers.DateField(validators=[date_validator])


class BulkPairResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="新结对户数")
    already_paired = serializers.ListField(
        child=serializers.CharField(), help_text="原已与该责任人结对的户编号（未重复结对）"
    )
    with_other_helper = serializers.IntegerField(help_text="新结对户中另有其他帮扶责任人的户数")
    message = serializers.CharField()


class MoveSerializer(serializers.Serializer):
    """调整结对: a helper's households (all when `households` is omitted) to another helper, with a reason."""

    from_helper = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    to_helper = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    households = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=pairing.MAX_BATCH,
        required=False,
    )
    reason = serializers.CharField(max_length=pairing.MAX_REASON)
    date = serializers.DateField(validators=[date_validator])


class MoveResultSerializer(serializers.Serializer):
    ended = serializers.IntegerField()
    opened = serializers.IntegerField()
    message = serializers.CharField()


class EndSerializer(serializers.Serializer):
    end_date = serializers.DateField(validators=[date_validator])


class PairingFilter(filters.FilterSet):
    helper = filters.NumberFilter(method="noop", help_text="帮扶责任人 id")
    household = filters.NumberFilter(method="noop", help_text="农户 id")
    current = filters.BooleanFilter(method="noop", help_text="true：只列未结束的结对")

    class Meta:
        model = HelperAssignment
        fields = []

    def noop(self, queryset, name, value):
        return queryset  # get_queryset reads them through core.parsing


class PairingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """结对帮扶 of the households in scope; POST …/bulk/ pairs many, …/move/ moves, …/{id}/end/ ends one."""

    queryset = HelperAssignment.objects.none()  # the model, for the schema generator; get_queryset scopes
    lookup_value_regex = "[^/]+"  # any segment reaches the view: the API's JSON 404
    pagination_class = IdCursorPagination
    filterset_class = PairingFilter
    serializer_class = PairingSerializer

    def get_queryset(self):
        found = HelperAssignment.objects.visible_to(self.request.user).select_related("helper", "household")
        if self.action == "list":
            params = self.request.query_params
            helper = optional_int(params, "helper", minimum=1, maximum=MAX_ID)
            household = optional_int(params, "household", minimum=1, maximum=MAX_ID)
            if helper is not None:
                found = found.filter(helper_id=helper)
            if household is not None:
                found = found.filter(household_id=household)
            if params.get("current") in ("true", "True", "1"):
                found = found.filter(end_date__isnull=True)
        return found

    def get_serializer_class(self):
        return {"bulk": BulkPairSerializer, "move": MoveSerializer, "end": EndSerializer}.get(
            self.action, PairingSerializer
        )

    @extend_schema(request=BulkPairSerializer, responses={201: BulkPairResultSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        serializer = BulkPairSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = pairing.pair_households(
            user=request.user, helper_id=data["helper"], household_ids=data["households"], start_date=data["start_date"]
        )
        body = {
            "created": len(result.created),
            "already_paired": result.already_paired,
            "with_other_helper": result.with_other_helper,
            "message": result.message,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=MoveSerializer, responses={200: MoveResultSerializer})
    @action(detail=False, methods=["post"])
    def move(self, request):
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = pairing.move_households(
            user=request.user,
            from_helper_id=data["from_helper"],
            to_helper_id=data["to_helper"],
            household_ids=data.get("households"),
            reason=data["reason"],
            on=data["date"],
        )
        return Response({"ended": result.ended, "opened": result.opened, "message": result.message})

    @extend_schema(request=EndSerializer, responses={200: PairingSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        assignment_id = self.get_object().pk  # scope first: 404 outside, whatever the body
        serializer = EndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = end_helper_assignment(
            user=request.user, assignment_id=assignment_id, end_date=serializer.validated_data["end_date"]
        )
        return Response(PairingSerializer(assignment).data)


class CoverageRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    needed = serializers.IntegerField(help_text="需要帮扶责任人的户数")
    covered = serializers.IntegerField(help_text="其中有当前帮扶责任人的户数")
    missing = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="覆盖率（%）；无需结对的户时为空")


@extend_schema_serializer(many=False)  # one object, though it is the viewset's `list`
class CoverageSerializer(serializers.Serializer):
    total = CoverageRowSerializer(allow_null=True, help_text="所选区划合计")
    children = CoverageRowSerializer(many=True, help_text="下一级区划，每个一行")


class CoverageViewSet(viewsets.ViewSet):
    """结对覆盖率 of a region's children (?region=12位代码, default the user's region), and the region's total."""

    serializer_class = CoverageSerializer  # for the schema generator

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description="12位区划代码（默认本人所在区划）"),
            OpenApiParameter("sort", str, enum=list(coverage.SORTS), description="排序字段"),
            OpenApiParameter("desc", bool, description="倒序"),
        ],
        responses={200: CoverageSerializer},
    )
    def list(self, request):
        params = request.query_params
        if params.get("region"):
            code = parse_region_code(params["region"], field="region")
            region = get_visible_or_404(Region.objects.all(), request.user, code=code)
        else:
            region = coverage.start_region(request.user)
        if region is None:
            return Response({"total": None, "children": []})
        sort = params.get("sort", "code")
        rows = coverage.coverage_rows(
            request.user,
            region,
            sort=sort if sort in coverage.SORTS else "code",
            descending=params.get("desc") == "true",
        )
        return Response(
            {
                "total": CoverageRowSerializer(coverage.total(request.user, region)).data,
                "children": CoverageRowSerializer(rows, many=True).data,
            }
        )

"""The API of a monitoring record's 帮扶措施 (/api/v1/monitoring-measures/) and of its findings' edit.

Scoped like the records (a measure outside the user's region is absent: 404); writes go through
monitoring/measures.py and services.update_findings, which hold every rule.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import IdCursorPagination
from core.parsing import date_validator, money_validator, optional_int

from . import measures
from .codes import AssistanceCategory, RiskType
from .models import AssistanceMeasure

MAX_ID = 2**63 - 1


class AssistanceMeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssistanceMeasure
        fields = [
            "id",
            "monitoring_object",
            "category",
            "risk_type",
            "description",
            "amount",
            "started_on",
            "ended_on",
            "created_at",
        ]
        read_only_fields = fields


class AddMeasureSerializer(serializers.Serializer):
    """登记帮扶措施: the record, the 2021 category, the record's risk it answers, from when."""

    monitoring_object = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    category = serializers.ChoiceField(choices=AssistanceCategory.choices)
    risk_type = serializers.ChoiceField(choices=RiskType.choices, help_text="该记录登记的风险之一")
    description = serializers.CharField(max_length=500)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, validators=[money_validator], default=0, help_text="金额（元）"
    )
    started_on = serializers.DateField(validators=[date_validator])
    ended_on = serializers.DateField(validators=[date_validator], required=False, allow_null=True)


class EndMeasureSerializer(serializers.Serializer):
    ended_on = serializers.DateField(validators=[date_validator])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class FindingsSerializer(serializers.Serializer):
    """修改风险和核实情况 of an open record; omitted fields keep their value. `updated_at` as read guards the edit."""

    updated_at = serializers.DateTimeField(help_text="读取时记录的 updated_at（他人已修改则 412）")
    risk_types = serializers.ListField(
        child=serializers.ChoiceField(choices=RiskType.choices), allow_empty=True, required=False, max_length=20
    )
    housing_unsafe = serializers.BooleanField(required=False)
    child_out_of_school = serializers.BooleanField(required=False)
    without_medical_insurance = serializers.BooleanField(required=False)
    water_unsafe = serializers.BooleanField(required=False)
    no_labour_capacity = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="修改原因，记入历史")

    EDITABLE = (
        "risk_types",
        "housing_unsafe",
        "child_out_of_school",
        "without_medical_insurance",
        "water_unsafe",
        "no_labour_capacity",
        "note",
    )

    def service_arguments(self, record) -> dict:
        """services.update_findings' arguments: what was sent, the record's current value for the rest."""
        data = self.validated_data
        return {
            "expected_updated_at": data["updated_at"],
            "reason": data.get("reason", ""),
            **{name: data[name] if name in data else getattr(record, name) for name in self.EDITABLE},
        }


class MeasureFilter(filters.FilterSet):
    monitoring_object = filters.NumberFilter(method="noop", help_text="监测记录 id")

    class Meta:
        model = AssistanceMeasure
        fields = []

    def noop(self, queryset, name, value):
        return queryset  # get_queryset reads it through core.parsing


class AssistanceMeasureViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """帮扶措施 of the monitoring records in scope (?monitoring_object=id); POST adds one, …/end/ ends one."""

    queryset = AssistanceMeasure.objects.none()  # the model, for the schema generator; get_queryset scopes
    # Any segment reaches the view, so …/2.5e-139/end/ is the API's JSON 404, not the site's HTML one.
    lookup_value_regex = "[^/]+"
    pagination_class = IdCursorPagination
    filterset_class = MeasureFilter

    def get_queryset(self):
        found = AssistanceMeasure.objects.visible_to(self.request.user)
        if self.action == "list":
            record = optional_int(self.request.query_params, "monitoring_object", minimum=1, maximum=MAX_ID)
            if record is not None:
                found = found.filter(monitoring_object_id=record)
        return found

    def get_serializer_class(self):
        if self.action == "create":
            return AddMeasureSerializer
        if self.action == "end":
            return EndMeasureSerializer
        return AssistanceMeasureSerializer

    @extend_schema(request=AddMeasureSerializer, responses={201: AssistanceMeasureSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AddMeasureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        measure = measures.add_measure(user=request.user, monitoring_object_id=data.pop("monitoring_object"), **data)
        return Response(AssistanceMeasureSerializer(measure).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EndMeasureSerializer, responses={200: AssistanceMeasureSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        measure_id = self.get_object().pk  # scope first: 404 outside, whatever the body
        serializer = EndMeasureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        measure = measures.end_measure(user=request.user, measure_id=measure_id, **serializer.validated_data)
        return Response(AssistanceMeasureSerializer(measure).data)

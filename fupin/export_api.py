"""/api/v1/exports/: create a job, poll it, download the file; a user sees only their own jobs."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import transfer
from core.models import ExportJob
from core.pagination import IdCursorPagination
from core.years import INCOME_YEAR_LIMITS

from .exports import request_export


class ExportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "report",
            "params",
            "status",
            "total_rows",
            "rows_written",
            "percent",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ExportRequestSerializer(serializers.Serializer):
    report = serializers.CharField()
    region = serializers.RegexField(r"^[0-9]{12}$")
    year = serializers.IntegerField(required=False, allow_null=True, **INCOME_YEAR_LIMITS)
    full = serializers.BooleanField(required=False, default=False)
    split_by_county = serializers.BooleanField(required=False, default=False)
    filters = serializers.DictField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text="筛选条件（仅部分报表支持；防返贫监测对象花名册：status、category、risk_type）",
    )


class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ExportJobSerializer
    pagination_class = IdCursorPagination
    queryset = ExportJob.objects.none()  # the model, for the schema generator; get_queryset scopes to the user

    def get_queryset(self):
        return ExportJob.objects.filter(user=self.request.user)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportJobSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        job = request_export(user=request.user, region_code=data.pop("region"), **data)
        return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The finished xlsx (404 until the job is done)."""
        job = self.get_object()
        return transfer.download(job, filename=job.file_name, missing="文件尚未生成。")

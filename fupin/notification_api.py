"""/api/v1/notifications/: my 站内消息 (core/notifications.py), newest first, and marking them read.

A user reads and marks only their own: another user's notice is absent (404 by id, never listed).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import notifications
from core.models import Notification
from core.pagination import IdCursorPagination


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=500,
        help_text="要标为已读的消息 id；不填则全部标为已读",
    )


class NewestFirst(IdCursorPagination):
    ordering = "-id"


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("unread", bool, description="为 true 时只列未读消息")])
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """我的站内消息：最新的在前；`unread` 查询参数为 true 时只列未读。"""

    serializer_class = NotificationSerializer
    pagination_class = NewestFirst
    queryset = Notification.objects.none()  # the model, for the schema generator; get_queryset is mine only

    def get_queryset(self):
        mine = notifications.for_user(self.request.user)
        if self.request.query_params.get("unread") in ("true", "1"):
            mine = mine.filter(read_at__isnull=True)
        return mine

    @extend_schema(
        request=MarkReadSerializer,
        responses=inline_serializer(
            "NotificationsMarkedRead", {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()}
        ),
        summary="将我的消息标为已读",
    )
    @action(detail=False, methods=["post"])
    def read(self, request):
        """标为已读：`ids` 中属于我的消息（不属于我的被忽略），或不填时我的全部消息。"""
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = notifications.mark_read(user=request.user, ids=serializer.validated_data.get("ids"))
        return Response({"marked": marked, "unread": notifications.unread_count(request.user)})

from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from core.pagination import CodeCursorPagination
from core.regions import RegionLevel

from .models import Region
from .selectors import region_list


class RegionSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "level_display", "parent"]
        read_only_fields = fields


class RegionFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=RegionLevel.choices)
    parent = filters.CharFilter(field_name="parent_id")

    class Meta:
        model = Region
        fields = ["level", "parent"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """区划: the regions in the caller's scope (others answer 404)."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{12}"
    pagination_class = CodeCursorPagination

    def get_queryset(self):
        return region_list(self.request.user)

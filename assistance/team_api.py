"""The API of 帮扶单位, 定点帮扶 and 驻村工作队 (/api/v1/aid-units/, unit-assignments/, village-teams/,
team-members/). Scoped like the pages (a row outside the user's scope is absent: 404); phones are
masked in every response; writes go through assistance/units.py and teams.py, which hold every rule.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import IdCursorPagination
from core.parsing import date_validator, optional_int, optional_region_prefix

from . import teams, units
from .codes import TeamRole, UnitLevel, UnitType
from .models import AidUnit, TeamMember, UnitAssignment, VillageTeam

MAX_ID = 2**63 - 1


class NoFilter(filters.FilterSet):
    """Declares a list's query parameters for the schema; get_queryset reads them through core.parsing."""

    def noop(self, queryset, name, value):
        return queryset


# --- output ------------------------------------------------------------------------------------


class AidUnitSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)

    class Meta:
        model = AidUnit
        fields = ["id", "name", "unit_type", "level", "region", "created_at"]
        read_only_fields = fields


class UnitAssignmentSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = UnitAssignment
        fields = ["id", "unit", "unit_name", "region", "start_date", "end_date"]
        read_only_fields = fields


class TeamMemberSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="phone_masked", read_only=True, help_text="联系电话（脱敏）")

    class Meta:
        model = TeamMember
        fields = ["id", "team", "name", "unit", "role", "phone", "start_date", "end_date", "end_reason", "successor"]
        read_only_fields = fields


class VillageTeamSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village_id", read_only=True)
    members = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = VillageTeam
        fields = ["id", "village", "unit", "start_date", "end_date", "created_at", "members"]
        read_only_fields = fields


# --- input -------------------------------------------------------------------------------------


class UnitInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    unit_type = serializers.ChoiceField(choices=UnitType.choices)
    level = serializers.ChoiceField(choices=UnitLevel.choices)
    region = serializers.CharField(
        max_length=12, required=False, allow_blank=True, help_text="登记区划代码（不填为本人所属区划）"
    )


class UnitEditInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    unit_type = serializers.ChoiceField(choices=UnitType.choices)
    level = serializers.ChoiceField(choices=UnitLevel.choices)


class AssignInput(serializers.Serializer):
    region = serializers.CharField(max_length=12, help_text="县或行政村的区划代码")
    start_date = serializers.DateField(validators=[date_validator])
    end_date = serializers.DateField(validators=[date_validator], required=False, allow_null=True)


class EndInput(serializers.Serializer):
    end_date = serializers.DateField(validators=[date_validator])


class TeamInput(serializers.Serializer):
    village = serializers.CharField(max_length=12, help_text="行政村区划代码")
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    start_date = serializers.DateField(validators=[date_validator])


class MemberInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    unit = serializers.CharField(max_length=100, help_text="工作单位")
    role = serializers.ChoiceField(choices=TeamRole.choices)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, write_only=True)
    start_date = serializers.DateField(validators=[date_validator])


class ReplaceInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    unit = serializers.CharField(max_length=100, help_text="接替人的工作单位")
    role = serializers.ChoiceField(choices=TeamRole.choices, required=False, help_text="不填则与原队员相同")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, write_only=True)
    start_date = serializers.DateField(validators=[date_validator], help_text="接替人到岗日期")
    end_date = serializers.DateField(
        validators=[date_validator], required=False, allow_null=True, help_text="原队员离岗日期（默认到岗前一日）"
    )
    reason = serializers.CharField(max_length=200)


class MemberEndInput(EndInput):
    reason = serializers.CharField(max_length=200)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- viewsets ----------------------------------------------------------------------------------


class UnitFilter(NoFilter):
    unit_type = filters.ChoiceFilter(choices=UnitType.choices, method="noop")

    class Meta:
        model = AidUnit
        fields = []


class AidUnitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """帮扶单位 the user may read (registered in scope, or working in it); POST registers one, PATCH
    edits one (by the registering region), …/assign/ records a 定点帮扶."""

    queryset = AidUnit.objects.none()  # the model, for the schema generator; get_queryset scopes
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = "[^/]+"
    pagination_class = IdCursorPagination
    filterset_class = UnitFilter
    serializer_class = AidUnitSerializer

    def get_queryset(self):
        found = units.units_for(self.request.user)
        chosen = self.request.query_params.get("unit_type") if self.action == "list" else None
        return found.filter(unit_type=chosen) if chosen in UnitType.values else found

    @extend_schema(request=UnitInput, responses={201: AidUnitSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(UnitInput, request.data)
        unit = units.create_unit(user=request.user, region_code=data.pop("region", "") or None, **data)
        return Response(AidUnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UnitEditInput, responses={200: AidUnitSerializer})
    def partial_update(self, request, *args, **kwargs):
        unit_id = self.get_object().pk  # scope first: 404 outside, whatever the body
        unit = units.edit_unit(user=request.user, unit_id=unit_id, **_valid(UnitEditInput, request.data))
        return Response(AidUnitSerializer(unit).data)

    @extend_schema(request=AssignInput, responses={201: UnitAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        unit_id = self.get_object().pk
        data = _valid(AssignInput, request.data)
        assignment = units.assign_unit(
            user=request.user,
            unit_id=unit_id,
            region_code=data["region"],
            start_date=data["start_date"],
            end_date=data.get("end_date"),
        )
        return Response(UnitAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class RegionFilter(NoFilter):
    region = filters.CharFilter(method="noop", help_text="区划代码前缀（1至12位数字）")


class AssignmentFilter(RegionFilter):
    class Meta:
        model = UnitAssignment
        fields = []


def _within(queryset, params):
    prefix = optional_region_prefix(params, "region")
    return queryset.within_prefix(prefix) if prefix else queryset


class UnitAssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """定点帮扶 of the counties and villages in scope (?region=prefix); …/end/ ends one."""

    queryset = UnitAssignment.objects.none()
    lookup_value_regex = "[^/]+"
    pagination_class = IdCursorPagination
    filterset_class = AssignmentFilter
    serializer_class = UnitAssignmentSerializer

    def get_queryset(self):
        found = units.assignments_for(self.request.user)
        return _within(found, self.request.query_params) if self.action == "list" else found

    @extend_schema(request=EndInput, responses={200: UnitAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        assignment_id = self.get_object().pk
        data = _valid(EndInput, request.data)
        assignment = units.end_assignment(user=request.user, assignment_id=assignment_id, **data)
        return Response(UnitAssignmentSerializer(assignment).data)


class TeamFilter(RegionFilter):
    in_post = filters.BooleanFilter(method="noop", help_text="只列今天在岗的工作队")

    class Meta:
        model = VillageTeam
        fields = []


class VillageTeamViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """驻村工作队 of the villages in scope, with their members (phones masked). POST 派驻 one; …/members/
    adds a member; …/end/ ends the team's term (members in post leave on the day)."""

    queryset = VillageTeam.objects.none()
    lookup_value_regex = "[^/]+"
    pagination_class = IdCursorPagination
    filterset_class = TeamFilter
    serializer_class = VillageTeamSerializer

    def get_queryset(self):
        found = teams.teams_for(self.request.user).prefetch_related("members")
        if self.action != "list":
            return found
        params = self.request.query_params
        in_post_only = str(params.get("in_post", "")).lower() in ("true", "1")
        return teams.team_list(
            self.request.user, prefix=optional_region_prefix(params, "region"), in_post_only=in_post_only
        ).prefetch_related("members")

    @extend_schema(request=TeamInput, responses={201: VillageTeamSerializer})
    def create(self, request, *args, **kwargs):
        data = _valid(TeamInput, request.data)
        team = teams.create_team(
            user=request.user, village_code=data["village"], start_date=data["start_date"], unit_id=data.get("unit")
        )
        return Response(VillageTeamSerializer(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberInput, responses={201: TeamMemberSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        team_id = self.get_object().pk
        member = teams.add_member(user=request.user, team_id=team_id, **_valid(MemberInput, request.data))
        return Response(TeamMemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EndInput, responses={200: VillageTeamSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        team_id = self.get_object().pk
        teams.end_team(user=request.user, team_id=team_id, **_valid(EndInput, request.data))
        return Response(VillageTeamSerializer(teams.teams_for(request.user).get(pk=team_id)).data)


class MemberFilter(NoFilter):
    team = filters.NumberFilter(method="noop", help_text="驻村工作队 id")

    class Meta:
        model = TeamMember
        fields = []


class TeamMemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """驻村工作队员 in scope (?team=id), phones masked; …/replace/ 更换 (returns the successor), …/end/ 离岗."""

    queryset = TeamMember.objects.none()
    lookup_value_regex = "[^/]+"
    pagination_class = IdCursorPagination
    filterset_class = MemberFilter
    serializer_class = TeamMemberSerializer

    def get_queryset(self):
        found = teams.members_for(self.request.user)
        if self.action == "list":
            team = optional_int(self.request.query_params, "team", minimum=1, maximum=MAX_ID)
            if team is not None:
                found = found.filter(team_id=team)
        return found

    @extend_schema(request=ReplaceInput, responses={201: TeamMemberSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        member_id = self.get_object().pk
        successor = teams.replace_member(user=request.user, member_id=member_id, **_valid(ReplaceInput, request.data))
        return Response(TeamMemberSerializer(successor).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberEndInput, responses={200: TeamMemberSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        member_id = self.get_object().pk
        member = teams.end_member(user=request.user, member_id=member_id, **_valid(MemberEndInput, request.data))
        return Response(TeamMemberSerializer(member).data)

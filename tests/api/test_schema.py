import json
import re

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from assessment.models import SampleSurvey
from core.codes import Role
from tests.conftest import login
from tests.factories import UserFactory, region

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_the_v1_api(client, clerk_a):
    login(client, clerk_a)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/regions/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]


def test_swagger_ui_is_served_without_a_cdn(client, clerk_a):
    login(client, clerk_a)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []


def test_pages_load_no_asset_from_another_host(client, clerk_a):
    for page in ("/login/", "/"):
        if page == "/":
            login(client, clerk_a)
        html = client.get(page).content.decode()
        assert re.findall(r'(?:src|href)="(https?://[^"]+)"', html) == [], page


# --- the schema says what the API answers (core/schema.py, SPECTACULAR_SETTINGS) ----------------


@pytest.fixture
def schema():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_the_schema_generates_without_a_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_every_operation_documents_the_errors_it_can_answer(schema):
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        if path == "/api/v1/auth/token/":
            assert {"400", "429"} <= responses.keys(), path
            continue
        expected = {"401", "403", "404"} | ({"400", "409", "412"} if method != "GET" else set())
        assert expected <= responses.keys(), (method, path)
        for code in expected:
            body = responses[code]["content"]["application/json"]["schema"]["$ref"]
            assert body.endswith("/FieldErrors" if code in ("400", "409") else "/ErrorDetail"), (method, path, code)


def test_an_update_without_the_version_is_documented(schema):
    for method in ("put", "patch"):
        assert "428" in schema["paths"]["/api/v1/households/{id}/"][method]["responses"]


def test_code_tables_keep_their_names_in_the_schema(schema, settings):
    """Each enum is named after its code table (ENUM_NAME_OVERRIDES), never a hash like StatusD52Enum."""
    enums = {name for name in schema["components"]["schemas"] if name.endswith("Enum")}
    named = set(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])
    # Not code tables: "" and null, the quarters 1–4, the adjustment kinds a client may request.
    field_named = {"BlankEnum", "NullEnum", "QuarterEnum", "AdjustmentWriteKindEnum"}
    assert enums - field_named <= named
    assert {"ApplicationStatusEnum", "HouseholdStatusEnum", "ProjectStatusEnum", "PovertyCauseEnum"} <= enums


def test_nested_lists_are_documented_as_the_bare_arrays_they_are(schema):
    nested = {
        ("get", "/api/v1/applications/{id}/objections/", "200"),
        ("post", "/api/v1/applications/{id}/objections/", "201"),
        ("post", "/api/v1/applications/batch-approve/", "200"),
        ("get", "/api/v1/households/{id}/incomes/", "200"),
        ("post", "/api/v1/households/{id}/incomes/", "201"),
        ("get", "/api/v1/projects/{id}/beneficiaries/", "200"),
        ("post", "/api/v1/projects/{id}/beneficiaries/", "201"),
        ("post", "/api/v1/projects/{id}/remove-beneficiary/", "200"),
        ("get", "/api/v1/notices/{id}/objections/", "200"),
        ("post", "/api/v1/notices/{id}/objections/", "201"),
    }
    for method, path, code in nested:
        operation = schema["paths"][path][method]
        assert operation["responses"][code]["content"]["application/json"]["schema"]["type"] == "array", path
        assert not [p for p in operation.get("parameters", []) if p["in"] == "query"], path


def test_a_blank_choice_the_api_answers_is_in_the_schema(schema):
    from_status = schema["components"]["schemas"]["AdjustmentRead"]["properties"]["from_status"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in from_status["oneOf"]


def test_sample_surveys_answer_the_county_code(api_client, two_townships):
    county = two_townships["county"]
    SampleSurvey.objects.create(
        county=county,
        year=2019,
        quarter=4,
        sampled_exited_population=1,
        wrong_exit_population=0,
        sampled_unregistered_population=1,
        omitted_population=0,
        surveyed_households=1,
        approving_households=1,
    )
    api_client.force_authenticate(UserFactory(role=Role.PROVINCE_STAFF, region=region("620000000000")))
    [row] = api_client.get("/api/v1/sample-surveys/").json()["results"]
    assert row["county"] == county.code

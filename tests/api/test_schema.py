import re

import pytest

from tests.conftest import login

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

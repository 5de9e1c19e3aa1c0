"""Serving like production: error pages, CSP, /health/, `check --deploy`, and gunicorn under 200 clients at once."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import include, path
from django.urls import reverse as url

from bench import concurrency
from core.codes import Role
from fupin import embedded, gunicorn_conf
from tests.conftest import login
from tests.factories import TEST_PASSWORD, UserFactory, household_with_members
from tests.fupin.servers import ROOT, Gunicorn, Session, collect_static, database_url, server_env

TEMPLATES = ROOT / "templates"


def boom(request):
    raise ValueError("a bug with settings in its message: SECRET_KEY")


def database_gone(request):
    raise OperationalError('connection failed: connection to server on socket "/x/.s.PGSQL.5432" failed')


def ok(request):
    return HttpResponse("ok")


# This module is also the URLconf of the tests marked `urls(__name__)`: the project's URLs plus failing views.
urlpatterns = [
    path("boom/", boom),
    path("database-gone/", database_gone),
    path("api/v1/database-gone/", database_gone),
    path("", include("fupin.urls")),
]
handler500 = "fupin.errors.server_error"


# --- Error pages --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_page_is_the_chinese_404_inside_the_layout(client, clerk_a):
    login(client, clerk_a)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在（404）" in page
    assert "所属单位" in page  # the layout with the user's navigation
    assert "Page not found" not in page and "Traceback" not in page


@pytest.mark.urls(__name__)
def test_a_bug_answers_the_chinese_500_page_without_a_traceback(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器错误（500）" in page and "服务器内部错误" in page
    assert "SECRET_KEY" not in page and "Traceback" not in page and "ValueError" not in page


@pytest.mark.urls(__name__)
def test_a_lost_database_answers_503_with_a_chinese_page_and_retry_after(client):
    client.raise_request_exception = False
    response = client.get("/database-gone/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "数据库暂时不可用，请稍后重试" in page
    assert "PGSQL" not in page and "Traceback" not in page
    api = client.get("/api/v1/database-gone/")
    assert api.status_code == 503
    assert api.json() == {"detail": "数据库暂时不可用，请稍后重试。"}


@pytest.mark.django_db
def test_the_403_page_is_chinese_and_has_no_javascript_url(client, two_townships):
    province = UserFactory(role=Role.PROVINCE_STAFF, region=two_townships["county"].parent.parent)
    login(client, province)
    response = client.get(url("households:create"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权操作（403）" in page
    assert "javascript:" not in page


@pytest.mark.django_db
def test_the_favicon_is_linked_and_served(client):
    page = client.get(url("login")).content.decode()
    assert re.search(r'<link rel="icon" href="/static/favicon[^"]*\.svg"', page)
    assert client.get("/static/favicon.svg").status_code == 200
    assert client.get("/favicon.ico").status_code == 302


# --- Content-Security-Policy ----------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_a_policy_without_inline_scripts(client, clerk_a):
    login(client, clerk_a)
    policy = client.get(url("home"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    # Swagger UI may add its one known <style> element on its own page, never run inline scripts.
    docs = client.get(url("swagger-ui"))["Content-Security-Policy"]
    assert "script-src 'self'" in docs and "style-src 'self' 'sha256-" in docs and "unsafe" not in docs
    assert client.get(url("swagger-ui"), {"script": ""}).status_code == 200


def template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("template", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_holds_inline_script_handler_or_style(template):
    """What the policy would block: <script> without src, on* attributes, style attributes, javascript: and js: URLs."""
    text = re.sub(r"\{#.*?#\}", "", template.read_text())  # comments may name what they avoid
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", text), "on* handler"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"\shx-on[:-]", text), "hx-on needs eval"
    assert "javascript:" not in text and "'js:" not in text and '"js:' not in text
    assert "<style" not in text


# --- /health/ -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_health_needs_no_login_and_names_only_its_checks(client):
    response = client.get("/health/", {"format": "json"})
    body = response.json()
    assert set(body) == {"Database(alias='default')", "Cache(alias='default')", "Redis()", "CeleryPing()"}
    assert body["Database(alias='default')"] == body["Cache(alias='default')"] == body["Redis()"] == "OK"
    # No Celery worker in this test: the endpoint says so and answers 503 (not ready; a 500 would
    # read as a fault of ours), as docker-compose and a load balancer need to see.
    assert body["CeleryPing()"] != "OK" and response.status_code == 503
    assert response["Cache-Control"].startswith("max-age=0")
    assert "Content-Security-Policy" in response


# --- check --deploy ---------------------------------------------------------------------------


def deploy_env(**extra: str) -> dict[str, str]:
    """Production: no demo, no DEBUG, real-looking keys, a host name."""
    # DJANGO_ALLOW_ASYNC_UNSAFE: set by tests/e2e/conftest.py for Playwright, never in production.
    dropped = ("DEBUG", "FUPIN_DEMO", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("PYTEST")}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        SALT_KEY=secrets.token_urlsafe(50),
        ID_HMAC_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="fupin.example.gov.cn",
        # Another var dir: the development keys in var/secrets.env must not be what is checked.
        FUPIN_VAR_DIR="/nonexistent-fupin-var",
    )
    env.update(extra)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = check_deploy(deploy_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_weak_key_and_a_deployment_without_hsts_or_https_redirect():
    weak = check_deploy(deploy_env(SECRET_KEY="short"))
    assert weak.returncode != 0 and "security.W009" in weak.stderr + weak.stdout
    plain = check_deploy(deploy_env(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0"))
    output = plain.stderr + plain.stdout
    assert plain.returncode != 0 and "security.W004" in output and "security.W008" in output


# --- gunicorn, as `make run` serves ----------------------------------------------------------


@pytest.fixture(scope="module")
def static_var_dir(tmp_path_factory):
    """make run's var dir with the collected (hashed, compressed) static files."""
    var_dir = tmp_path_factory.mktemp("serving-var")
    collect_static(var_dir, server_env(var_dir, database=os.environ["DATABASE_URL"]))
    return var_dir


@pytest.fixture
def gunicorn(static_var_dir, transactional_db, settings, tmp_path):
    env = server_env(static_var_dir, database=database_url(settings.DATABASES["default"]["NAME"]))
    server = Gunicorn(env, tmp_path / "gunicorn.log")
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_two_hundred_clients_at_once_all_get_the_household_list(gunicorn, two_townships, clerk_a):
    for size in (2, 3, 4, 5):
        household_with_members(two_townships["village_a"], size=size)
    cookie = concurrency.log_in(gunicorn.url, clerk_a.username, TEST_PASSWORD)
    result = concurrency.measure(gunicorn.url, cookie, requests=200, path="/households/")
    print(f"\n200 concurrent GETs of /households/: {result}")
    assert result.ok == 200, result
    assert result.errors == {}


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_without_debug_pages_with_masked_access_logs(gunicorn, clerk_a):
    status, headers, page = gunicorn.request("GET", "/no-such-page/")
    assert status == 404 and "页面不存在（404）" in page
    assert "Django" not in page and "URLconf" not in page  # not the debug 404
    assert headers["Server"] == "gunicorn"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    # Static files come hashed and compressed through whitenoise.
    css = re.search(r'href="(/static/css/fupin\.[0-9a-f]{12}\.css)"', page)
    assert css, page[:800]
    status, headers, _ = gunicorn.request("GET", css[1], headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]

    session = Session(gunicorn)
    session.log_in(clerk_a.username, TEST_PASSWORD)
    id_number = "62292619900101123X"
    status, _, _ = session.get(f"/households/?q={id_number}")
    assert status < 500  # listed, refused (400) or sent to the POST search (302): never a 500
    gunicorn.stop()
    log = gunicorn.log()
    assert "GET /households/?q=" in log
    assert id_number not in log and "622926********123X" in log


# --- How it is started: make run, the Dockerfile, docker-compose --------------------------------


def test_make_run_serves_with_debug_off_even_when_the_shell_exported_debug(monkeypatch):
    monkeypatch.setenv("DEBUG", "1")
    run = embedded.serving_environment({}, development=False)
    assert (run["DEBUG"], run["FUPIN_DEMO"]) == ("0", "1")
    assert embedded.serving_environment({}, development=True)["DEBUG"] == "1"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: .*\n\t\$\(PY\) -m fupin\.embedded run$", makefile, re.MULTILINE)
    assert re.search(r"^dev: .*\n\t\$\(PY\) -m fupin\.embedded dev$", makefile, re.MULTILINE)


def test_a_worker_has_imported_every_view_before_its_first_request(tmp_path):
    # gunicorn loads fupin.wsgi as a worker starts: the views are imported then, not in a user's request.
    env = server_env(tmp_path, database=os.environ["DATABASE_URL"])
    views = ("households.views", "assessment.views", "monitoring.views", "households.api")
    probe = f"import sys, fupin.wsgi; print(all(name in sys.modules for name in {views!r}))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "True"


def test_gunicorn_config_masks_its_loggers_and_queues_bursts():
    assert gunicorn_conf.worker_class == "gthread" and gunicorn_conf.workers * gunicorn_conf.threads >= 8
    assert gunicorn_conf.backlog >= 1024
    # Restarts (which close idle keep-alive connections) are rare: not every few minutes under load.
    assert gunicorn_conf.max_requests >= 10_000 and 0 < gunicorn_conf.max_requests_jitter < gunicorn_conf.max_requests
    config = gunicorn_conf.logconfig_dict
    assert config["filters"]["mask_personal_numbers"]["()"] == "core.logging.MaskPersonalNumbers"
    for name in ("gunicorn.error", "gunicorn.access"):
        logger = config["loggers"][name]
        assert "mask_personal_numbers" in logger["filters"]
        for handler in logger["handlers"]:
            assert "mask_personal_numbers" in config["handlers"][handler]["filters"]


def test_dockerfile_and_compose_use_the_gunicorn_config_and_the_health_endpoint():
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert '"--config", "python:fupin.gunicorn_conf"' in dockerfile
    web = compose["services"]["web"]
    assert "--config python:fupin.gunicorn_conf" in web["command"]
    assert "http://127.0.0.1:8000/health/" in " ".join(web["healthcheck"]["test"])
    assert "inspect ping" in " ".join(compose["services"]["worker"]["healthcheck"]["test"])
    assert "127.0.0.1" in web["environment"]["ALLOWED_HOSTS"]  # the healthcheck's Host

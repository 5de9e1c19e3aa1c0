"""docker-compose.yml cannot run here (no Docker engine), so these tests keep it from rotting."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_all_five_services_are_defined(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "redis"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")


def test_web_worker_and_beat_wait_for_a_healthy_database_and_redis(compose):
    for name in APP_SERVICES:
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert "pg_isready" in " ".join(compose["services"]["postgres"]["healthcheck"]["test"])
    assert "ping" in compose["services"]["redis"]["healthcheck"]["test"]


def test_web_migrates_before_starting_gunicorn(compose):
    command = compose["services"]["web"]["command"]
    assert command.index("migrate") < command.index("gunicorn")
    assert "8000:8000" in compose["services"]["web"]["ports"]


def test_app_services_get_database_redis_and_keys(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SALT_KEY", "ID_HMAC_KEY"):
            assert environment.get(key), f"{name} lacks {key}"
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    assert "celery -A fupin worker" in compose["services"]["worker"]["command"]
    assert "celery -A fupin beat" in compose["services"]["beat"]["command"]


def test_data_lives_in_named_volumes(compose):
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}


def test_the_image_is_pinned_and_collects_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = next(line for line in dockerfile.splitlines() if line.startswith("FROM "))
    assert ":latest" not in base and ":" in base
    assert "collectstatic --noinput" in dockerfile
    assert "--build-constraint build-constraints.txt" in dockerfile
    assert "USER fupin" in dockerfile


def test_docker_compose_config_parses_it_where_compose_exists():
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no `docker compose` on this machine")
    result = subprocess.run(
        [docker, "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={"SECRET_KEY": "x", "SALT_KEY": "x", "ID_HMAC_KEY": "x", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr

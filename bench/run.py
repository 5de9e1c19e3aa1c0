"""`make bench`: seed a province-scale database, then time named steps; JSON to bench/results/.

    BENCH_HOUSEHOLDS=2000000 make bench     # province scale (default 200,000)
    BENCH_REUSE=1 make bench                # keep an already seeded bench database
    BENCH_REUSE=1 BENCH_STEPS=import_households make bench   # only these steps (comma-separated)

It uses its own database (`<name>_bench` on the same server), never the demo one.
Each step records wall seconds, the rows it touched, and the peak RSS of this
process so far. Repeated steps report p50/p95 over their runs. With BENCH_STEPS the
named steps' results replace theirs in the last report of the same size, which keeps
the other steps' figures (a fresh database needs `migrate,seed` named too).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def use_bench_database() -> str:
    """Point Django at `<name>_bench` on the same server, creating it if needed."""
    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/") + "_bench"
    os.environ["DATABASE_URL"] = urlunsplit(url._replace(path="/" + name))
    return name


def reset_database(name: str, reuse: bool) -> None:
    import psycopg
    from django.conf import settings

    params = settings.DATABASES["default"]
    admin = psycopg.connect(
        dbname="postgres",
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    )
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    households = int(os.environ.get("BENCH_HOUSEHOLDS", "200000"))
    reuse = os.environ.get("BENCH_REUSE") == "1"
    only = {name.strip() for name in os.environ.get("BENCH_STEPS", "").split(",") if name.strip()}
    database = use_bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    import django

    django.setup()
    reset_database(database, reuse)

    from bench import steps  # noqa: F401 - registers the steps
    from bench.harness import STEPS, peak_rss_mib

    unknown = only - {name for name, _ in STEPS}
    if unknown:
        print(f"[bench] unknown steps in BENCH_STEPS: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    context = {"households": households, "reuse": reuse}
    results = []
    for name, function in STEPS:
        if only and name not in only:
            continue
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        outcome = function(context) or {}
        outcome.setdefault("seconds", round(time.perf_counter() - started, 3))
        outcome["peak_rss_mib"] = peak_rss_mib()
        results.append({"step": name, **outcome})
        print(f"[bench] {name}: {json.dumps(outcome, ensure_ascii=False)}", file=sys.stderr, flush=True)

    previous = RESULTS_DIR / f"bench-{households}.json"
    if only and previous.exists():
        kept = [result for result in json.loads(previous.read_text())["steps"] if result["step"] not in only]
        results = kept + results
    report = {
        "households": households,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "steps": results,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    (RESULTS_DIR / "latest.json").write_text(text + "\n")
    (RESULTS_DIR / f"bench-{households}.json").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

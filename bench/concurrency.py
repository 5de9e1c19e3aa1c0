"""N concurrent GETs of the household list as a logged-in clerk: how many answered, p50 and p95.

    python -m bench.concurrency --url http://127.0.0.1:8000 --requests 200   # `make bench-http`

Logs in through the login form (as a browser would), then opens `--requests` connections at
once (one thread each, released together by a barrier) and times each GET to its last byte.
A refused or reset connection counts as an error, never as a slow answer. Prints one JSON
line; tests/fupin/test_serving.py runs it against a gunicorn of its own.
"""

import argparse
import contextlib
import http.client
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

DEMO_USER = "demo_clerk"
DEMO_PASSWORD = "fupin-demo-2026"  # noqa: S105 - the published demo password (fupin/demo/province.py)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Result:
    requests: int
    ok: int
    errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    max_ms: float
    wall_s: float


def _connection(base: urllib.parse.SplitResult, timeout: float) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(base.hostname, base.port or 80, timeout=timeout)


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def log_in(url: str, username: str, password: str, timeout: float = 30) -> str:
    """The Cookie header of a logged-in session."""
    base = urllib.parse.urlsplit(url)
    connection = _connection(base, timeout)
    connection.request("GET", "/login/")
    page = connection.getresponse()
    body = page.read().decode()
    jar = _cookies(page)
    token = CSRF_INPUT.search(body)
    if page.status != 200 or token is None:
        raise RuntimeError(f"login page answered {page.status}")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token[1]})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        "Referer": f"{url}/login/",
    }
    connection.request("POST", "/login/", body=form, headers=headers)
    answer = connection.getresponse()
    answer.read()
    jar.update(_cookies(answer))
    connection.close()
    if answer.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"login as {username} failed ({answer.status})")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def measure(url: str, cookie: str, *, requests: int = 200, path: str = "/households/", timeout: float = 120) -> Result:
    base = urllib.parse.urlsplit(url)
    barrier = threading.Barrier(requests)
    statuses: list[str] = [""] * requests
    times: list[float] = [0.0] * requests

    def one(index: int) -> None:
        connection = _connection(base, timeout)
        with contextlib.suppress(threading.BrokenBarrierError):  # a slow thread must not stop the others
            barrier.wait(timeout=60)
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Cookie": cookie, "Connection": "close"})
            response = connection.getresponse()
            response.read()
            statuses[index] = str(response.status)
        except (OSError, http.client.HTTPException) as error:
            statuses[index] = type(error).__name__
        finally:
            times[index] = time.perf_counter() - started
            connection.close()

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=requests) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - wall
    ok_times = sorted(t * 1000 for t, status in zip(times, statuses, strict=True) if status == "200")
    errors: dict[str, int] = {}
    for status in statuses:
        if status != "200":
            errors[status] = errors.get(status, 0) + 1

    def percentile(share: float) -> float:
        if not ok_times:
            return 0.0
        return round(ok_times[min(len(ok_times) - 1, int(share * len(ok_times)))], 1)

    return Result(
        requests=requests,
        ok=len(ok_times),
        errors=errors,
        p50_ms=round(statistics.median(ok_times), 1) if ok_times else 0.0,
        p95_ms=percentile(0.95),
        max_ms=round(ok_times[-1], 1) if ok_times else 0.0,
        wall_s=round(wall, 2),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--path", default="/households/")
    parser.add_argument("--username", default=DEMO_USER)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args(argv)
    cookie = log_in(args.url, args.username, args.password)
    result = measure(args.url, cookie, requests=args.requests, path=args.path)
    print(json.dumps(asdict(result), ensure_ascii=False))
    return 0 if result.ok == result.requests else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""gunicorn settings for `make run`, the Dockerfile and docker-compose.yml (`--config python:fupin.gunicorn_conf`).

Sized for a 2-core machine: a few processes, each with a few threads, so a page waiting on
PostgreSQL does not hold a core. Every value can be overridden by the environment
(GUNICORN_WORKERS …) or on the command line. Log lines pass through the personal-number
mask (core.logging.MaskPersonalNumbers): an ID number typed into a URL never reaches a log.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Connections the kernel queues while every thread is busy: a burst of 200 clients must
# wait, not be refused (runserver's queue of 10 dropped them).
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
# Exports and imports run in Celery; a page that takes a minute is a fault, not work.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# An idle keep-alive connection is closed after this many seconds. Shorter than the gap between
# a client's requests (a clerk reading a page, Locust's 2–8 s, a proxy's pool), the server closes
# the connection just as the client sends on it, which the client sees as a reset. gthread keeps
# idle connections in its poller, not in a thread, so a long wait costs a file descriptor only.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# A worker is replaced after this many requests (with jitter so they do not all restart together),
# insurance against a slow leak. Rarely: a restart closes the worker's idle keep-alive connections,
# and a client that sends on one at that moment gets a reset (the load test saw one at 2,000, a
# restart every two minutes under 200 users); it also costs the new worker its warm-up.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a TLS proxy on the same host or network: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

MASK = {"()": "core.logging.MaskPersonalNumbers"}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_numbers": MASK},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
        "access": {"format": "%(message)s"},
    },
    # The filter sits on the handlers too: a record propagated from another logger is masked as well.
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "stream": "ext://sys.stderr",
            "filters": ["mask_personal_numbers"],
        },
        "access_console": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
            "filters": ["mask_personal_numbers"],
        },
    },
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "filters": ["mask_personal_numbers"],
            "propagate": False,
        },
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["access_console"],
            "filters": ["mask_personal_numbers"],
            "propagate": False,
        },
    },
    "root": {"level": "WARNING", "handlers": ["error_console"]},
}

"""fupin settings: one file, driven by the environment (django-environ).

Production sets SECRET_KEY, SALT_KEY, ID_HMAC_KEY, DATABASE_URL, REDIS_URL and
ALLOWED_HOSTS. For development and tests, `python -m fupin.embedded` starts the
embedded PostgreSQL and Redis and writes their URLs to var/services.env and the
development keys to var/secrets.env, which are read here only as a fallback: a
variable set in the environment always wins.
"""

import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
import xstatic.pkg.bootstrap
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env.str("FUPIN_VAR_DIR", default=str(BASE_DIR / "var")))
environ.Env.read_env(BASE_DIR / ".env")
environ.Env.read_env(VAR_DIR / "services.env")
environ.Env.read_env(VAR_DIR / "secrets.env")

# Only `make dev` (runserver) turns DEBUG on; `make run` serves the demo with it off.
DEBUG = env.bool("DEBUG", default=False)
# Demo logins (demo_clerk … demo_admin) work only with FUPIN_DEMO=1, which `make run` and `make dev` set.
FUPIN_DEMO = env.bool("FUPIN_DEMO", default=False)
TESTING = "pytest" in sys.modules

SECRET_KEY = env.str("SECRET_KEY")
# django-fernet-encrypted-fields derives its keys from SECRET_KEY + SALT_KEY: both are data keys.
SALT_KEY = env.list("SALT_KEY")
# Key of the HMAC "blind index" over ID numbers (exact search and uniqueness).
ID_HMAC_KEY = env.str("ID_HMAC_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A failed CSRF check is the project's Chinese 403 page, not Django's English one (fupin/errors.py).
CSRF_FAILURE_VIEW = "fupin.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "health_check",
    "pgtrigger",
    "pghistory",
    "axes",
    "core",
    "fupin",
    "villages",
    "households",
    "monitoring",
    "assistance",
    "projects",
    "funds",
    "assessment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "fupin.middleware.InitialPasswordMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fupin.urls"
WSGI_APPLICATION = "fupin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fupin.context_processors.navigation",
                "fupin.service_status.background_status",
            ],
        },
    },
]

# Django's form renderer with the plain widgets drawn in Python, the same markup (core/widget_rendering.py).
FORM_RENDERER = "core.widget_rendering.PlainWidgetRenderer"

# PostgreSQL only. A socket directory in the URL arrives percent-encoded.
for required in ("DATABASE_URL", "REDIS_URL"):
    if required not in env.ENVIRON:
        raise environ.ImproperlyConfigured(
            f"{required} is not set: start the embedded services with `make services` (or `make run`), "
            f"or set {required} to an external server."
        )
POOLERS = ("", "pgbouncer")


def database(url_variable: str, pooler_variable: str, default_pooler: str = "") -> dict:
    """One alias of DATABASES from its URL, with the options every alias shares.

    Behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer) a client's statements
    may run on a different server connection after every transaction, so nothing may outlive
    one: no server-side cursors (Django declares them WITH HOLD outside a transaction), and no
    prepared statements (Django's default, prepare_threshold None). Session advisory locks are
    taken inside a transaction instead (core/locks.py). README, "Read replica and PgBouncer".
    """
    config = env.db(url_variable)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise environ.ImproperlyConfigured(f"fupin runs on PostgreSQL only ({url_variable}).")
    config["HOST"] = unquote(config.get("HOST", ""))
    # Persistent connections are checked before each request reuses them: after a PostgreSQL
    # restart the next request reconnects instead of failing (fupin/errors.py answers 503 while it is down).
    config.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    pooler = env.str(pooler_variable, default=default_pooler)
    if pooler not in POOLERS:
        raise environ.ImproperlyConfigured(f"{pooler_variable} is 'pgbouncer' or empty, not {pooler!r}.")
    if pooler == "pgbouncer":
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        config["OPTIONS"]["prepare_threshold"] = None
    config["POOLER"] = pooler  # read by core/locks.py
    return config


DATABASES = {"default": database("DATABASE_URL", "DATABASE_POOLER")}
# A streaming read replica: only the reads a page or task asks for go there (core/db_routers.py,
# read_from_replica); writes, sessions, logins and whatever must read its own writes stay on the
# primary. Without DATABASE_REPLICA_URL there is no such alias and everything reads the primary.
if "DATABASE_REPLICA_URL" in env.ENVIRON or TESTING:
    DATABASES["replica"] = (
        database("DATABASE_REPLICA_URL", "DATABASE_REPLICA_POOLER", DATABASES["default"]["POOLER"])
        if "DATABASE_REPLICA_URL" in env.ENVIRON
        else dict(DATABASES["default"])
    )
    # Tests always have the alias, so every run routes through it. A mirror gets no test database
    # of its own: it is pointed at the primary's. Its connection alone would not see a test's
    # uncommitted transaction, so tests/conftest.py lends it the primary's connection; a real
    # standby is tested on its own (tests/fupin/test_replica.py).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.db_routers.ReplicaRouter"]

REDIS_URL = env.str("REDIS_URL")


def redis_cache_url(url: str) -> str:
    """The cache lives in Redis database 1, the Celery broker in database 0.

    redis-py spells a socket URL unix://; Celery (kombu) spells it redis+socket://.
    """
    if url.startswith("redis+socket://"):
        return "unix://" + url.removeprefix("redis+socket://").split("?")[0] + "?db=1"
    base, _, _ = url.rpartition("/") if url.count("/") > 2 else (url, "", "")
    return f"{base}/1"


CACHES = {
    "default": {
        # Redis down must not break a page: a miss is answered and writes are dropped (core/cache.py).
        "BACKEND": "core.cache.TolerantRedisCache",
        "LOCATION": redis_cache_url(REDIS_URL),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        # Parallel test workers (and test runs on other databases) share one Redis: each gets its own key space.
        "KEY_PREFIX": (
            f"fupin-test-{DATABASES['default']['NAME']}-{env.str('PYTEST_XDIST_WORKER', default='main')}"
            if TESTING
            else "fupin"
        ),
    }
}

AUTH_USER_MODEL = "fupin.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "core.auth.ScopedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "core.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},  # Django's, in Chinese
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Township clerks sit behind shared NAT: lock by username, not IP.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Locking by IP would lock whole township offices out.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Sessions stay in the database alone (Django's default): the cache drops writes while Redis is
# down (core/cache.py), and a session cached before a logout would then outlive it.
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Production is served behind TLS (a reverse proxy setting X-Forwarded-Proto): HTTPS only,
# HSTS for a year, Secure cookies; `manage.py check --deploy` is clean with these defaults
# (tests/fupin/test_serving.py). A deployment without TLS in front (the docker-compose quick
# start on localhost) sets SECURE_SSL_REDIRECT=false and SECURE_HSTS_SECONDS=0 instead.
# The demo (`make run`, plain HTTP on 127.0.0.1) and tests keep the HTTP defaults.
if not DEBUG and not TESTING and not FUPIN_DEMO:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # The flag only asks browsers' preload lists to take the domain; nothing happens until it is submitted.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front add to X-Forwarded-For (0: clients connect directly). The
# public self-report page's per-client limits and DRF's throttles count the client they report
# (core/clients.py); a wrong count makes every farmer one client, or lets a client pick its address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Probes (docker-compose, a load balancer) ask over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# Content-Security-Policy (django-csp): scripts, styles and everything else from this site only;
# no inline script, no inline style attribute, no eval. Pages keep their behaviour in static/js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its select arrows and check marks as data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Bootstrap comes from a pip package (xstatic-bootstrap): no CDN, no npm.
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# `make run` collects the static files first, like production; only runserver and tests read them in place.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = VAR_DIR / "media"
# Export files and import uploads carry personal data: deleted this many hours after they are made.
TRANSFER_FILE_HOURS = env.int("FUPIN_TRANSFER_FILE_HOURS", default=24)
# A running import or export beats every TRANSFER_HEARTBEAT_SECONDS; silent for TRANSFER_STALE_SECONDS,
# it is failed with a message (core.transfer.reap_stale_jobs).
TRANSFER_HEARTBEAT_SECONDS = env.int("FUPIN_TRANSFER_HEARTBEAT_SECONDS", default=30)
TRANSFER_STALE_SECONDS = env.int("FUPIN_TRANSFER_STALE_SECONDS", default=300)
# The child process that reads an uploaded workbook: address space and CPU it may use.
IMPORT_PARSE_MEMORY_BYTES = env.int("FUPIN_IMPORT_PARSE_MEMORY_BYTES", default=2**30)
IMPORT_PARSE_SECONDS = env.int("FUPIN_IMPORT_PARSE_SECONDS", default=300)
# Scanned files of the 帮扶日志 (core/attachments.py): outside MEDIA_ROOT and static, served only through a
# view that checks the scope; JPEG, PNG or PDF of at most ATTACHMENT_MAX_BYTES.
PRIVATE_ATTACHMENT_DIR = Path(env.str("FUPIN_PRIVATE_ATTACHMENT_DIR", default=str(VAR_DIR / "private" / "attachments")))
ATTACHMENT_MAX_BYTES = env.int("FUPIN_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# 站内消息 (core/notifications.py) also by e-mail to users with an address, when on; sent by the worker
# through EMAIL_URL (smtp://user:password@host:587, smtp+tls://…; consolemail:// prints them).
NOTIFICATION_EMAIL = env.bool("FUPIN_NOTIFICATION_EMAIL", default=False)
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="fupin@localhost")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a bad credential a 401, not a 403.
        "core.auth.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON nested deeper than core.parsers.MAX_DEPTH is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.schema.ErrorResponsesAutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # X-Forwarded-For is read only as far as the trusted proxies (core/clients.py); None would take it as sent.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/minute"),
        "user": env.str("THROTTLE_USER", default="6000/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fupin 建档立卡 API",
    "DESCRIPTION": "扶贫开发建档立卡系统接口。所有数据按用户的区划范围过滤。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get their own components, without the read-only fields a client never sends.
    "COMPONENT_SPLIT_REQUEST": True,
    # Each code table keeps its class's name, so a new field never renames an enum (StatusD52Enum).
    "ENUM_NAME_OVERRIDES": {
        "AdjustmentKindEnum": "households.codes.AdjustmentKind",
        "NotificationKindEnum": "core.codes.NotificationKind",
        "AidCategoryEnum": "households.codes.AidCategory",
        "ApplicationActionEnum": "assessment.codes.ApplicationAction",
        "ApplicationKindEnum": "assessment.codes.ApplicationKind",
        "ApplicationStatusEnum": "assessment.codes.ApplicationStatus",
        "AssistanceCategoryEnum": "monitoring.codes.AssistanceCategory",
        "DepartmentEnum": "monitoring.codes.Department",
        "DepartmentListStatusEnum": "monitoring.models.DepartmentList.Status",
        "DiscoveryWayEnum": "monitoring.codes.DiscoveryWay",
        "EducationEnum": "households.codes.Education",
        "EliminationModeEnum": "monitoring.codes.EliminationMode",
        "EntryRoadTypeEnum": "households.codes.EntryRoadType",
        "EthnicityEnum": "households.codes.Ethnicity",
        "ExportJobStatusEnum": "core.models.ExportJob.Status",
        "FuelTypeEnum": "households.codes.FuelType",
        "FundLevelEnum": "funds.codes.FundLevel",
        "GenderEnum": "households.codes.Gender",
        "GradeEnum": "assessment.codes.Grade",
        "HealthEnum": "households.codes.Health",
        "HelperLevelEnum": "households.codes.HelperLevel",
        "HouseholdAttributeEnum": "households.codes.HouseholdAttribute",
        "HouseholdStatusEnum": "households.codes.HouseholdStatus",
        "HouseSafetyGradeEnum": "households.codes.HouseSafetyGrade",
        "IdentificationStandardEnum": "households.codes.IdentificationStandard",
        "LaborSkillEnum": "households.codes.LaborSkill",
        "LeadStatusEnum": "monitoring.codes.LeadStatus",
        "LeadWayEnum": "monitoring.leads.LEAD_WAYS",
        "MemberChangeReasonEnum": "households.codes.MemberChangeReason",
        "MonitoringCategoryEnum": "households.codes.MonitoringCategory",
        "MonitoringStatusEnum": "monitoring.codes.MonitoringStatus",
        "NoticeKindEnum": "projects.codes.NoticeKind",
        "ObjectionConsequenceEnum": "assessment.codes.ObjectionConsequence",
        "PovertyCauseEnum": "households.codes.PovertyCause",
        "ProjectCategoryEnum": "projects.codes.ProjectCategory",
        "ProjectStatusEnum": "projects.codes.ProjectStatus",
        "RatingPeriodEnum": "assessment.codes.RatingPeriod",
        "RegionLevelEnum": "core.regions.RegionLevel",
        "RelationEnum": "households.codes.Relation",
        "RiskTypeEnum": "monitoring.codes.RiskType",
        "SchoolStatusEnum": "households.codes.SchoolStatus",
        "StepStatusEnum": "assessment.codes.StepStatus",
        "TeamRoleEnum": "assistance.codes.TeamRole",
        "UnitLevelEnum": "assistance.codes.UnitLevel",
        "UnitTypeEnum": "assistance.codes.UnitType",
        "WorkLocationEnum": "households.codes.WorkLocation",
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A page that queues work must not hang while Redis is away: a few quick tries, then the
# task is left to core.tasks.redispatch_transfer_jobs (core/queueing.py).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
if TESTING:
    # Parallel test workers share one Redis: each gets its own queues, so a real worker started by
    # one test (tests/fupin/test_celery_worker.py) never runs what another process's tests queued.
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = CACHES["default"]["KEY_PREFIX"] + ":"
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE = {
    "nightly-household-warnings": {
        "task": "households.tasks.refresh_warnings",
        "schedule": crontab(hour=2, minute=0),
    },
    "nightly-incidence": {
        "task": "assessment.tasks.recompute_incidence",
        "schedule": crontab(hour=3, minute=0),
    },
    "nightly-ratings": {
        "task": "assessment.tasks.recompute_ratings",
        "schedule": crontab(hour=3, minute=30),
    },
    "hourly-transfer-files": {
        "task": "fupin.tasks.purge_transfer_files",
        "schedule": crontab(minute=15),
    },
    "stale-transfer-jobs": {
        "task": "fupin.tasks.reap_stale_transfer_jobs",
        "schedule": crontab(),  # every minute: a job whose worker died is failed within minutes
    },
    # Jobs queued while the broker was away are sent once it answers again (core/queueing.py).
    "redispatch-transfer-jobs": {
        "task": "core.tasks.redispatch_transfer_jobs",
        "schedule": crontab(),
    },
    "nightly-scope-counts": {
        "task": "households.tasks.refresh_region_counts",
        "schedule": crontab(hour=1, minute=30),
    },
    # 站内消息: the reviewers after a 公示 ending today or tomorrow, once each (assessment/services.py).
    "daily-publicity-reminders": {
        "task": "fupin.tasks.remind_publicity_ending",
        "schedule": crontab(hour=7, minute=0),
    },
}

# Every handler masks ID-shaped and phone-shaped numbers (core/logging.py). Django's own handlers
# for "django" (console, mail_admins: a mailed request dump) and "django.server" are replaced,
# so no record reaches a handler without the mask.
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_numbers": {"()": "core.logging.MaskPersonalNumbers"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal_numbers"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_personal_numbers"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

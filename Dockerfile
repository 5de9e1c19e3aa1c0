# The fupin image for docker-compose.yml: web (gunicorn), Celery worker and beat.
# Bookworm, like the development machines; the 3.11 tag still takes Python patch releases.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, so this layer is rebuilt only when the pins change.
COPY requirements.txt build-constraints.txt ./
# pip >= 25.3 knows --build-constraint; the constraint keeps setuptools < 81 for the
# sdist-only xstatic-bootstrap, which still imports pkg_resources while it builds.
RUN pip install --upgrade "pip>=25.3" \
 && pip install --build-constraint build-constraints.txt -r requirements.txt

# Only what runs, one directory at a time: `COPY . .` would bake var/ (the development
# secrets.env and gigabytes of embedded PostgreSQL data), .venv and .git into the image.
# tests/test_docker_compose.py fails when an app in INSTALLED_APPS is missing here.
COPY manage.py ./
COPY core core
COPY fupin fupin
COPY villages villages
COPY households households
COPY monitoring monitoring
COPY assistance assistance
COPY projects projects
COPY funds funds
COPY assessment assessment
COPY templates templates
COPY static static

# Settings read these at import; collectstatic needs them present, never real.
RUN python -m fupin.vendor_assets \
 && SECRET_KEY=build SALT_KEY=build ID_HMAC_KEY=build \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 --no-create-home fupin \
 && mkdir -p var/media && chown fupin var/media

# Static files stay root-owned: the app reads them, never writes them.
USER fupin
EXPOSE 8000
# Workers, threads, backlog and the masked logs: fupin/gunicorn_conf.py (the same as `make run`).
CMD ["gunicorn", "fupin.wsgi:application", "--bind", "0.0.0.0:8000", "--config", "python:fupin.gunicorn_conf"]

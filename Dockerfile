# The fupin image for docker-compose.yml: web (gunicorn), Celery worker and beat.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt build-constraints.txt ./
# pip >= 25.3 for --build-constraint (xstatic-bootstrap still builds with pkg_resources).
RUN pip install --no-cache-dir "pip>=25.3" \
 && pip install --no-cache-dir --build-constraint build-constraints.txt -r requirements.txt

COPY . .
# Settings read these at import; collectstatic needs none of them for real.
RUN SECRET_KEY=build SALT_KEY=build ID_HMAC_KEY=build \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 fupin && mkdir -p /app/var && chown -R fupin /app/var

USER fupin
EXPOSE 8000
CMD ["gunicorn", "fupin.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]

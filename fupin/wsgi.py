import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
application = get_wsgi_application()

# Import every view now, while the worker starts, rather than in the first request it serves: a
# worker (re)started by gunicorn (max_requests, a deploy) would otherwise keep its first users
# waiting about 0.2 s more on this 2-core machine.
get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and its views

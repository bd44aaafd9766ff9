from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
application = get_wsgi_application()
# The URL configuration, and with it every view and the modules they use, loads now instead of in each worker's first
# request, which took a second longer than the rest; the legacy API's dummy hash is made then too (zones/selectors.py).
get_resolver().url_patterns  # noqa: B018  # the attribute's loading is the point
# Everything loaded so far lives as long as the process: moved out of the garbage collector's generations, so that its
# full collections (every few thousand requests) no longer walk some 150,000 objects, a pause of 40-80 ms in the
# middle of a request.
gc.collect()
gc.freeze()

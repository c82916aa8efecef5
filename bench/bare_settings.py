"""The anchors' bare insert project (``bareproj``) with Calmdesk's database settings.

``bench/harness.py`` passes Calmdesk's own ``DATABASES['default']`` (built by
``config/settings.py`` from ``DATABASE_URL``) as JSON, pointed at the bare project's database,
so the ceiling is measured under exactly the database settings of the app.
"""

import json
import os

from bareproj.settings import *  # noqa: F403

DATABASES = {"default": json.loads(os.environ["BENCH_DATABASE_JSON"])}

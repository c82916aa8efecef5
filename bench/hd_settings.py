"""The anchors' django-helpdesk project (``hdproj``) with Calmdesk's database settings.

Same trick as ``bare_settings.py``: the database entry is Calmdesk's own, only the database
name differs, so django-helpdesk runs on the same server and database settings as Calmdesk.
"""

import json
import os

from hdproj.settings import *  # noqa: F403

DATABASES = {"default": json.loads(os.environ["BENCH_DATABASE_JSON"])}

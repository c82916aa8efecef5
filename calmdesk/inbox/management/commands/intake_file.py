"""File the requests the form and the API accepted and the worker has not filed yet.

The worker does this by itself (``inbox.tasks``); the command is for a desk whose worker was
stopped, for imports, and for measuring how fast one process files (``bench/run_intake.py``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from calmdesk.inbox.models import Submission, SubmissionState
from calmdesk.inbox.services import FILING_BATCH, submissions_file


class Command(BaseCommand):
    help = "File the accepted requests that wait for the worker (with a progress bar)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="file at most this many")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, limit: int | None, quiet: bool, **options: Any) -> None:
        backlog = Submission.objects.filter(state__literal_in=[SubmissionState.RECEIVED]).count()
        total = min(backlog, limit) if limit is not None else backlog
        started = time.perf_counter()
        filed = 0
        with tqdm(total=total, unit="request", disable=quiet or not total) as bar:
            while limit is None or filed < limit:
                step = FILING_BATCH if limit is None else min(FILING_BATCH, limit - filed)
                done = submissions_file(limit=step)
                if not done:
                    break
                filed += done
                bar.update(done)
        seconds = time.perf_counter() - started
        failed = Submission.objects.filter(state=SubmissionState.FAILED).count()
        rate = filed / seconds if seconds > 0 else 0.0
        self.stdout.write(
            f"filed {filed} of {backlog} waiting in {seconds:.1f} s ({rate:.1f}/s); "
            f"failed in all: {failed}"
        )

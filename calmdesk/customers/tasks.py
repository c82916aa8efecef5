"""Thin Huey tasks of the customers app."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from huey.contrib.djhuey import db_task

from .imports import import_run
from .models import CustomerImport, ImportStatus


@db_task()
def run_customer_import(upload_id: int, actor_id: int | None = None) -> None:
    """Run an upload whose mapping was fixed by ``import_start`` (re-running is idempotent)."""
    upload = CustomerImport.objects.filter(pk=upload_id, status=ImportStatus.UPLOADED).first()
    if upload is None or not upload.mapping:
        return
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    import_run(upload=upload, mapping=upload.mapping, actor=actor)

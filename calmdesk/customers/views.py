"""Import screens for leads (/agent/imports/): upload, map columns, run, read the report.

Views parse, authorise (leads and administrators only; agents get 403), call one service of
``imports`` and render. A small list runs during the request; a large one runs in a Huey task
and the page polls its progress.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calmdesk.accounts.decorators import lead_required
from calmdesk.core.errors import DomainError
from calmdesk.tickets.selectors import open_alert_count

from . import imports
from .forms import MappingForm, UploadForm
from .models import CustomerImport, ImportStatus
from .tasks import run_customer_import

# Lists up to this size are imported during the request (about 2,000 rows); larger ones by
# the worker, with a progress figure on the page.
INLINE_MAX_BYTES = 256 * 1024
RECENT = 20


def _chrome(request: HttpRequest) -> dict[str, Any]:
    return {"open_alerts": open_alert_count(user=request.user), "active_nav": "imports"}


def _upload(import_id: int) -> CustomerImport:
    return get_object_or_404(CustomerImport.objects.select_related("incident"), pk=import_id)


@require_http_methods(["GET", "POST"])
@lead_required
def import_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload, _preview = imports.import_create(
                file=form.cleaned_data["file"],
                actor=request.user,
                incident=form.cleaned_data["incident"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("customers:import", import_id=upload.pk)
    recent = CustomerImport.objects.select_related("incident", "created_by")[:RECENT]
    status = 400 if form.errors else 200
    context = {**_chrome(request), "form": form, "recent": recent}
    return render(request, "customers/imports/list.html", context, status=status)


def _mapping_form(request: HttpRequest, headers: list[str]) -> MappingForm:
    if request.method == "POST":
        return MappingForm(request.POST, headers=headers)
    return MappingForm(initial=imports.guess_mapping(headers), headers=headers)


def _labelled(reasons: list[dict[str, str]]) -> list[dict[str, str]]:
    labels = {**imports.field_labels(), "file": _("File")}
    return [{"label": labels.get(r["field"], r["field"]), "message": r["message"]} for r in reasons]


def _row_preview(preview: imports.ImportPreview, form: MappingForm) -> list[dict[str, Any]]:
    """The first rows, each checked as it will be read with the form's mapping."""
    checked = form.is_valid()
    options = imports.Mapping(columns={})
    if checked:
        mapping = form.mapping()
        try:
            options = imports.validate_mapping(mapping, headers=preview.headers)
        except DomainError:
            options = imports.Mapping(
                columns={k: v for k, v in mapping.items() if k in imports.FIELDS}
            )
    index: dict[str, int] = {}
    for position, header in enumerate(preview.headers):
        index.setdefault(header, position)
    rows = []
    for number, cells in enumerate(preview.rows, start=2):
        row: dict[str, Any] = {"number": number, "cells": cells, "checked": checked}
        if checked:
            values = {f: cells[index[c]] for f, c in options.columns.items() if c in index}
            result = imports.clean_row(number, values, mapped=options.columns, options=options)
            row["reasons"] = (
                _labelled(result.reasons) if isinstance(result, imports.Rejected) else []
            )
        rows.append(row)
    return rows


def _report(upload: CustomerImport) -> list[dict[str, Any]]:
    return [
        {"row": entry.get("row"), "reasons": _labelled(entry.get("reasons") or [])}
        for entry in upload.report
    ]


@require_http_methods(["GET", "POST"])
@lead_required
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    upload = _upload(import_id)
    context: dict[str, Any] = {**_chrome(request), "upload": upload}
    if upload.mapping or upload.status != ImportStatus.UPLOADED:
        if request.method == "POST":
            return redirect("customers:import", import_id=upload.pk)
        context["running"] = imports.import_is_running(upload)
        context["report"] = _report(upload)
        return render(request, "customers/imports/detail.html", context)
    try:
        with upload.file.open("rb") as file:
            preview = imports.import_inspect(file, name=upload.filename)
    except (DomainError, OSError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        context["file_error"] = message
        return render(request, "customers/imports/detail.html", context, status=400)
    form = _mapping_form(request, preview.headers)
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_start(upload=upload, mapping=form.mapping(), headers=preview.headers)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            actor_id = request.user.pk
            if upload.file.size <= INLINE_MAX_BYTES:
                imports.import_run(upload=upload, mapping=upload.mapping, actor=request.user)
            else:
                transaction.on_commit(lambda: run_customer_import(upload.pk, actor_id))
            return redirect("customers:import", import_id=upload.pk)
    context.update(
        form=form,
        preview=preview,
        rows=_row_preview(preview, form),
    )
    status = 400 if form.errors else 200
    return render(request, "customers/imports/detail.html", context, status=status)


@require_POST
@lead_required
def import_preview(request: HttpRequest, import_id: int) -> HttpResponse:
    """The preview table for the mapping being chosen (HTMX, on every change of a select)."""
    upload = _upload(import_id)
    try:
        with upload.file.open("rb") as file:
            preview = imports.import_inspect(file, name=upload.filename)
    except (DomainError, OSError):
        return HttpResponse(status=204)
    form = MappingForm(request.POST, headers=preview.headers)
    context = {
        "preview": preview,
        "rows": _row_preview(preview, form),
        "labels": imports.field_labels(),
        "form": form,
        "upload": upload,
    }
    return render(request, "customers/imports/partials/_preview.html", context)


@require_GET
@lead_required
def import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The progress figure while a list runs; once done, the page reloads with the report."""
    upload = _upload(import_id)
    response = render(
        request,
        "customers/imports/partials/_progress.html",
        {"upload": upload, "running": imports.import_is_running(upload)},
    )
    if not imports.import_is_running(upload) and request.htmx:  # type: ignore[attr-defined]
        response["HX-Refresh"] = "true"
    return response


@require_GET
@lead_required
def import_rejected_csv(request: HttpRequest, import_id: int) -> StreamingHttpResponse:
    upload = _upload(import_id)
    response = StreamingHttpResponse(
        imports.rejected_rows_csv(upload), content_type="text/csv; charset=utf-8"
    )
    stem = upload.filename.rsplit(".", 1)[0] or "list"
    response["Content-Disposition"] = (
        f'attachment; filename="rejected-{upload.pk}-{_ascii(stem)}.csv"'
    )
    return response


def _ascii(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in text)[:60]

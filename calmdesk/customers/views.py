"""Import screens for leads (/agent/imports/): upload, map columns, run, read the report; and
the customer page for agents (/agent/customers/<id>/, routed in ``tickets/urls.py``): every
identity and contact, tickets, bookings, merges with "Undo", "Merge with another customer…".

Views parse, authorise (leads and administrators only; agents get 403), call one service of
``imports`` and render. A small list runs during the request; a large one runs in a Huey task
and the page polls its progress.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calmdesk.accounts.decorators import agent_required, forbidden, lead_required
from calmdesk.conversations.selectors import customer_page, customer_search
from calmdesk.core.errors import DomainError
from calmdesk.tickets.forms import CustomerMergeForm
from calmdesk.tickets.selectors import open_alert_count

from . import imports
from .forms import MappingForm, UploadForm
from .merging import (
    can_undo,
    customer_merge,
    customer_unmerge,
    final_customer,
    merge_preview,
)
from .models import Customer, CustomerImport, CustomerMerge, ImportStatus
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
                actor=_actor(request),
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
                imports.import_run(upload=upload, mapping=upload.mapping, actor=_actor(request))
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


# ------------------------------------------------------------------------------------------
# The customer page (agents; routes in tickets/urls.py under /agent/customers/)
# ------------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in agent (the views are behind ``agent_required``)."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)
    return user


def _customer_chrome(request: HttpRequest) -> dict[str, Any]:
    return {"open_alerts": open_alert_count(user=request.user), "now": timezone.now()}


def _customer_or_404(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404(_("No such customer."))
    return customer


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and 0 < len(value) < 6 else 1


def _customer_context(request: HttpRequest, customer_id: int, **extra: Any) -> dict[str, Any]:
    page = customer_page(customer_id=customer_id, user=request.user, page=_page_number(request))
    return {
        **_customer_chrome(request),
        "page": page,
        "customer": page.customer,
        "undoable": {m.pk for m in page.merges if can_undo(m, request.user)},
        **extra,
    }


@require_GET
@agent_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    if customer.merged_into_id is not None and "history" not in request.GET:
        # An old link to a merged customer: the one they were merged into (the merge history
        # of the merged record stays at ?history).
        target = final_customer(customer)
        messages.info(
            request,
            _("%(name)s was merged into %(target)s.") % {"name": customer, "target": target},
        )
        return redirect("tickets:customer", customer_id=target.pk)
    context = _customer_context(request, customer.pk)
    if getattr(request, "htmx", False) and request.htmx.target == "customer-contacts":  # type: ignore[attr-defined]
        return render(request, "customers/partials/_contacts.html", context)
    return render(request, "customers/detail.html", context)


@require_http_methods(["GET", "POST"])
@agent_required
def customer_merge_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """GET: search customers by email, phone or name; with ?other=<id>, a preview of what a
    merge moves. POST: merge (the other customer into this one, or this one into it)."""
    customer = _customer_or_404(customer_id)
    if customer.merged_into_id is not None:
        raise Http404(_("This customer was merged into another one."))
    errors: list[str] = []
    if request.method == "POST":
        form = CustomerMergeForm(request.POST)
        other = None
        if form.is_valid():
            other = Customer.objects.filter(pk=form.cleaned_data["other"]).first()
        if other is None:
            errors.append(_("Choose the other customer."))
        else:
            keep_other = form.cleaned_data["keep"] == "other"
            source, target = (customer, other) if keep_other else (other, customer)
            try:
                customer_merge(
                    source=source,
                    target=target,
                    actor=_actor(request),
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                errors.append(exc.message)
            else:
                messages.success(
                    request,
                    _("%(source)s was merged into %(target)s.")
                    % {"source": source, "target": target},
                )
                url = reverse("tickets:customer", args=[target.pk])
                if getattr(request, "htmx", False):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
    q = request.GET.get("q", request.POST.get("q", ""))[:200]
    other_id = request.GET.get("other", request.POST.get("other", ""))
    other = None
    if other_id.isdigit():
        other = (
            Customer.objects.filter(pk=int(other_id), merged_into__isnull=True)
            .exclude(pk=customer.pk)
            .first()
        )
    context = {
        **_customer_chrome(request),
        "customer": customer,
        "q": q,
        "results": customer_search(q=q, exclude=customer.pk) if q and other is None else [],
        "other": other,
        "preview_in": merge_preview(source=other, target=customer) if other else {},
        "preview_out": merge_preview(source=customer, target=other) if other else {},
        "errors": errors,
    }
    partial = getattr(request, "htmx", False) and request.htmx.target == "customer-merge-results"  # type: ignore[attr-defined]
    template = "customers/partials/_merge_results.html" if partial else "customers/merge.html"
    return render(request, template, context, status=400 if errors else 200)


@require_POST
@agent_required
def customer_unmerge_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    merge = CustomerMerge.objects.select_related("source", "target").filter(pk=merge_id).first()
    if merge is None:
        raise Http404(_("No such merge."))
    if not can_undo(merge, request.user):
        return forbidden(request)
    try:
        customer_unmerge(merge=merge, actor=_actor(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Merge undone: %(source)s is a customer of their own again.")
            % {"source": merge.source},
        )
    url = reverse("tickets:customer", args=[merge.target_id])
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)

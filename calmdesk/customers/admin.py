"""Bookings and customer imports in the admin (read the import report; fix a booking)."""

from __future__ import annotations

from django.contrib import admin

from .models import Booking, CustomerImport


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("reference", "customer", "ship", "route", "trip", "departure_date", "source")
    list_filter = ("departure_date",)
    search_fields = ("reference", "ship", "route", "trip")
    raw_id_fields = ("customer", "source")
    list_select_related = ("customer", "source")


@admin.register(CustomerImport)
class CustomerImportAdmin(admin.ModelAdmin):
    list_display = ("filename", "status", "total_rows", "accepted", "rejected", "created_at")
    list_filter = ("status",)
    readonly_fields = ("total_rows", "accepted", "rejected", "report", "mapping", "created_by")
    raw_id_fields = ("incident",)

"""The seed's request form: its fields, the four request types, their teams and an alias.

``install_default_form()`` is idempotent and keeps what an admin has changed: rows that exist
(by key, slug or path) are left alone, missing ones are created; the only repair is that one of
the seed's request types left without a team is routed to its seed team again.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from calmdesk.accounts.models import Team
from calmdesk.tickets.models import RequestType

from .models import FieldType, FormAlias, FormField

DEFAULT_FIELDS: list[dict[str, Any]] = [
    {
        "key": "name",
        "field_type": FieldType.TEXT,
        "required": True,
        "max_length": 200,
        "labels": {
            "en": "Your name",
            "fa": "نام و نام خانوادگی",
            "tr": "Adınız ve soyadınız",
            "lt": "Vardas ir pavardė",
        },
        "help_texts": {},
    },
    {
        "key": "email",
        "field_type": FieldType.EMAIL,
        "required": True,
        "labels": {
            "en": "Email address",
            "fa": "نشانی ایمیل",
            "tr": "E-posta adresiniz",
            "lt": "El. pašto adresas",
        },
        "help_texts": {
            "en": "We send the confirmation and our replies to this address.",
            "fa": "تأییدیه و پاسخ‌های ما به این نشانی فرستاده می‌شود.",
            "tr": "Onay e-postasını ve yanıtlarımızı bu adrese göndeririz.",
            "lt": "Šiuo adresu atsiųsime patvirtinimą ir atsakymus.",
        },
    },
    {
        "key": "phone",
        "field_type": FieldType.PHONE,
        "required": False,
        "labels": {
            "en": "Phone number",
            "fa": "شماره تلفن",
            "tr": "Telefon numarası",
            "lt": "Telefono numeris",
        },
        "help_texts": {
            "en": "Optional. With the country code, e.g. +44 20 7946 0958.",
            "fa": "اختیاری. همراه با کد کشور، مثلاً ‎+98 912 345 6789.",
            "tr": "İsteğe bağlı. Ülke koduyla birlikte, ör. +90 532 123 45 67.",
            "lt": "Neprivaloma. Su šalies kodu, pvz., +370 612 34567.",
        },
    },
    {
        "key": "request_type",
        "field_type": FieldType.CHOICE,
        "required": True,
        "labels": {
            "en": "What is your request about?",
            "fa": "درخواست شما دربارهٔ چیست؟",
            "tr": "Talebiniz ne ile ilgili?",
            "lt": "Dėl ko kreipiatės?",
        },
        "help_texts": {},
    },
    {
        "key": "departure_date",
        "field_type": FieldType.DATE,
        "required": False,
        "labels": {
            "en": "Departure date",
            "fa": "تاریخ حرکت",
            "tr": "Gidiş tarihi",
            "lt": "Išvykimo data",
        },
        "help_texts": {
            "en": "If you travel within the next few days, we handle your request first.",
            "fa": "اگر در چند روز آینده سفر می‌کنید، درخواست شما در اولویت قرار می‌گیرد.",
            "tr": "Önümüzdeki birkaç gün içinde seyahat ediyorsanız talebinize öncelik veririz.",
            "lt": "Jei keliaujate per artimiausias dienas, jūsų prašymą nagrinėsime pirmiausia.",
        },
    },
    {
        "key": "booking_reference",
        "field_type": FieldType.TEXT,
        "required": False,
        "max_length": 20,
        "labels": {
            "en": "Booking reference",
            "fa": "کد رزرو",
            "tr": "Rezervasyon kodu (PNR)",
            "lt": "Rezervacijos kodas",
        },
        "help_texts": {
            "en": "Optional. You find it in your booking confirmation, e.g. ABC123.",
            "fa": "اختیاری. این کد در تأییدیهٔ رزرو شما آمده است، مثلاً ABC123.",
            "tr": "İsteğe bağlı. Rezervasyon onayınızda yer alır, ör. ABC123.",
            "lt": "Neprivaloma. Jį rasite rezervacijos patvirtinime, pvz., ABC123.",
        },
    },
    {
        "key": "message",
        "field_type": FieldType.LONG_TEXT,
        "required": True,
        "labels": {
            "en": "How can we help?",
            "fa": "چطور می‌توانیم کمکتان کنیم؟",
            "tr": "Size nasıl yardımcı olabiliriz?",
            "lt": "Kuo galime padėti?",
        },
        "help_texts": {
            "en": "Tell us what happened and what you would like us to do.",
            "fa": "بنویسید چه پیش آمده و از ما چه می‌خواهید.",
            "tr": "Ne olduğunu ve sizin için ne yapmamızı istediğinizi yazın.",
            "lt": "Parašykite, kas nutiko ir ko norėtumėte iš mūsų.",
        },
    },
    {
        "key": "attachments",
        "field_type": FieldType.FILE,
        "required": False,
        "labels": {
            "en": "Attachments",
            "fa": "پیوست‌ها",
            "tr": "Ekler",
            "lt": "Priedai",
        },
        "help_texts": {
            "en": "Optional: tickets, receipts or screenshots.",
            "fa": "اختیاری: بلیت، رسید یا تصویر صفحه.",
            "tr": "İsteğe bağlı: bilet, makbuz veya ekran görüntüsü.",
            "lt": "Neprivaloma: bilietai, kvitai ar ekrano nuotraukos.",
        },
    },
]

# (team slug, team name) per request type, in form order.
DEFAULT_REQUEST_TYPES: list[dict[str, Any]] = [
    {
        "key": "refund",
        "team": ("refunds", "Refunds"),
        "names": {
            "en": "Refund",
            "fa": "استرداد وجه",
            "tr": "Para iadesi",
            "lt": "Pinigų grąžinimas",
        },
    },
    {
        "key": "cancellation",
        "team": ("cancellations", "Cancellations"),
        "names": {
            "en": "Cancellation",
            "fa": "لغو رزرو",
            "tr": "İptal",
            "lt": "Atšaukimas",
        },
    },
    {
        "key": "change",
        "team": ("changes", "Trip changes"),
        "names": {
            "en": "Change of a future trip",
            "fa": "تغییر سفر آینده",
            "tr": "Gelecekteki seyahatte değişiklik",
            "lt": "Būsimos kelionės pakeitimas",
        },
    },
    {
        "key": "other",
        "team": ("general", "General"),
        "names": {
            "en": "Something else",
            "fa": "موضوع دیگر",
            "tr": "Diğer",
            "lt": "Kita",
        },
    },
]

DEFAULT_ALIASES: list[dict[str, Any]] = [
    {
        "path": "refund",
        "request_type": "refund",
        "titles": {
            "en": "Ask for a refund",
            "fa": "درخواست استرداد وجه",
            "tr": "Para iadesi talebi",
            "lt": "Prašymas grąžinti pinigus",
        },
        "intros": {
            "en": "Tell us about your booking and we will take care of your refund.",
            "fa": "دربارهٔ رزرو خود بنویسید تا استرداد وجه شما را پیگیری کنیم.",
            "tr": "Rezervasyonunuzu anlatın, para iadenizle biz ilgilenelim.",
            "lt": "Papasakokite apie savo rezervaciją, o mes pasirūpinsime pinigų grąžinimu.",
        },
    },
]


def _team(slug: str, name: str) -> Team:
    team = Team.objects.filter(slug=slug).first() or Team.objects.filter(name=name).first()
    if team is None:
        team = Team.objects.create(slug=slug, name=name)
    return team


@transaction.atomic
def install_default_form() -> None:
    """Create the seed's form fields, request types (routed to their teams) and alias."""
    for order, spec in enumerate(DEFAULT_FIELDS, start=1):
        FormField.objects.get_or_create(
            key=spec["key"],
            defaults={
                "field_type": spec["field_type"],
                "required": spec["required"],
                "max_length": spec.get("max_length"),
                "labels": spec["labels"],
                "help_texts": spec["help_texts"],
                "order": order * 10,
            },
        )
    for order, spec in enumerate(DEFAULT_REQUEST_TYPES, start=1):
        team = _team(*spec["team"])
        request_type, created = RequestType.objects.get_or_create(
            key=spec["key"], defaults={"names": spec["names"], "team": team, "order": order * 10}
        )
        if not created and request_type.team_id is None:
            request_type.team = team
            request_type.save(update_fields=["team"])
    for spec in DEFAULT_ALIASES:
        FormAlias.objects.get_or_create(
            path=spec["path"],
            defaults={
                "request_type": RequestType.objects.filter(key=spec["request_type"]).first(),
                "titles": spec["titles"],
                "intros": spec["intros"],
            },
        )

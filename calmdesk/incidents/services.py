"""WRITES for incidents: declare, edit, change status, post updates.

Every change runs in one transaction, locks the incident row, appends an ``IncidentEvent``
with the before/after values, and bumps ``updated_at`` (the crisis page's ETag and
Last-Modified). Saving the incident invalidates the public-incident cache (the model does it).
Bad input raises ``DomainError(field=...)`` before anything is written.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from calmdesk.accounts.models import Team
from calmdesk.core.errors import DomainError
from calmdesk.customers.segments import validate_segment
from calmdesk.tickets.models import RequestType

from .models import (
    Incident,
    IncidentEvent,
    IncidentEventType,
    IncidentStatus,
    IncidentText,
    IncidentUpdate,
)

# The parts of an incident's text per language; title and summary are required.
TEXT_FIELDS = ("title", "summary", "what_to_do", "policy", "guidance")
REQUIRED_TEXT_FIELDS = ("title", "summary")
TEXT_MAX_LENGTH = {"title": 200}
TEXT_LIMIT = 20_000
UPDATE_LIMIT = 5_000
KEYWORD_LIMIT = 60
MAX_KEYWORDS = 50

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 60
# Short names that are paths of the lead screens or the public page.
RESERVED_SLUGS = frozenset({"new", "wait", "feed", "static"})

# Lifecycle: active → monitoring → resolved, and back to active when it flares up again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    IncidentStatus.ACTIVE: (IncidentStatus.MONITORING, IncidentStatus.RESOLVED),
    IncidentStatus.MONITORING: (IncidentStatus.ACTIVE, IncidentStatus.RESOLVED),
    IncidentStatus.RESOLVED: (IncidentStatus.ACTIVE,),
}


def text_field_name(name: str, language: str) -> str:
    """The ``DomainError.field`` (and form field) of one text part: ``title_en``."""
    return f"{name}_{language}"


def update_field_name(language: str) -> str:
    return f"text_{language}"


def _known_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _record(
    incident: Incident,
    type: IncidentEventType,
    *,
    actor: Any,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident, type=type, actor=_user(actor), at=at, data=data or {}
    )


# ------------------------------------------------------------------------------------------
# Validation (pure: nothing is written)
# ------------------------------------------------------------------------------------------


def _clean_slug(slug: str) -> str:
    cleaned = (slug or "").strip().lower()
    if not cleaned:
        raise DomainError(_("Give the incident a short name."), field="slug", code="required")
    if len(cleaned) > SLUG_MAX_LENGTH or not SLUG_RE.match(cleaned):
        raise DomainError(
            _(
                "Use lowercase letters, digits and single hyphens (at most %(max)d characters), "
                "e.g. ship-fire-2026."
            )
            % {"max": SLUG_MAX_LENGTH},
            field="slug",
        )
    if cleaned in RESERVED_SLUGS:
        raise DomainError(_("This short name is reserved; choose another."), field="slug")
    if Incident.objects.filter(slug=cleaned).exists():
        raise DomainError(
            _("An incident with this short name exists already."), field="slug", code="duplicate"
        )
    return cleaned


def _clean_languages(languages: list[str]) -> list[str]:
    known = _known_languages()
    cleaned: list[str] = []
    for code in languages or []:
        code = str(code).strip()
        if code not in known:
            raise DomainError(
                _("Unknown language: %(code)s.") % {"code": code or "—"}, field="languages"
            )
        if code not in cleaned:
            cleaned.append(code)
    if not cleaned:
        raise DomainError(
            _("Choose at least one language to publish in."), field="languages", code="required"
        )
    return cleaned


def _clean_texts(
    texts: dict[str, dict[str, str]], languages: list[str]
) -> dict[str, dict[str, str]]:
    """The texts of the published languages, stripped; every one has a title and a summary.

    Texts written for a language that is not published are left out (the form keeps a tab per
    language; unticking one must not keep its text on the public page)."""
    known = _known_languages()
    for code in texts or {}:
        if code not in known:
            raise DomainError(_("Unknown language: %(code)s.") % {"code": code}, field="languages")
    cleaned: dict[str, dict[str, str]] = {}
    for code in languages:
        given = (texts or {}).get(code) or {}
        parts = {name: str(given.get(name) or "").strip() for name in TEXT_FIELDS}
        for name in REQUIRED_TEXT_FIELDS:
            if not parts[name]:
                raise DomainError(
                    _("Required for every published language."),
                    field=text_field_name(name, code),
                    code="required",
                )
        for name, value in parts.items():
            limit = TEXT_MAX_LENGTH.get(name, TEXT_LIMIT)
            if len(value) > limit:
                raise DomainError(
                    _("At most %(max)d characters.") % {"max": limit},
                    field=text_field_name(name, code),
                )
        cleaned[code] = parts
    return cleaned


def _clean_keywords(keywords: list[str] | None) -> list[str]:
    cleaned: list[str] = []
    seen: set[str] = set()
    for word in keywords or []:
        word = " ".join(str(word).split())
        if not word:
            continue
        if len(word) > KEYWORD_LIMIT:
            raise DomainError(
                _("A keyword has at most %(max)d characters.") % {"max": KEYWORD_LIMIT},
                field="keywords",
            )
        if word.casefold() not in seen:
            seen.add(word.casefold())
            cleaned.append(word)
    if len(cleaned) > MAX_KEYWORDS:
        raise DomainError(_("At most %(max)d keywords.") % {"max": MAX_KEYWORDS}, field="keywords")
    return cleaned


def _clean_team(team: Team | None) -> Team | None:
    if team is not None and (team.pk is None or not Team.objects.filter(pk=team.pk).exists()):
        raise DomainError(_("Choose an existing team."), field="team")
    return team


def _clean_request_type(request_type: RequestType | None) -> RequestType | None:
    if request_type is None:
        return None
    if (
        request_type.pk is None
        or not RequestType.objects.filter(pk=request_type.pk, active=True).exists()
    ):
        raise DomainError(_("Choose an active request type."), field="request_type")
    return request_type


def _clean_segment(segment: dict[str, Any] | None) -> dict[str, Any]:
    return validate_segment(dict(segment or {})) if segment else {}


# ------------------------------------------------------------------------------------------
# Declare and edit
# ------------------------------------------------------------------------------------------


def incident_declare(
    *,
    actor: Any,
    slug: str,
    team: Team | None,
    languages: list[str],
    texts: dict[str, dict[str, str]],  # {lang: {title, summary, what_to_do, policy, guidance}}
    segment: dict[str, Any] | None = None,
    keywords: list[str] | None = None,
    request_type: RequestType | None = None,
    now: datetime | None = None,
) -> Incident:
    """Declare an active incident with its texts per published language (event DECLARED)."""
    now = now or timezone.now()
    slug = _clean_slug(slug)
    languages = _clean_languages(languages)
    cleaned_texts = _clean_texts(texts, languages)
    segment = _clean_segment(segment)
    keywords = _clean_keywords(keywords)
    team = _clean_team(team)
    request_type = _clean_request_type(request_type)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                slug=slug,
                status=IncidentStatus.ACTIVE,
                team=team,
                languages=languages,
                segment=segment,
                keywords=keywords,
                request_type=request_type,
                declared_by=_user(actor),
                declared_at=now,
                updated_at=now,
            )
            IncidentText.objects.bulk_create(
                IncidentText(incident=incident, language=code, **parts)
                for code, parts in cleaned_texts.items()
            )
            _record(
                incident,
                IncidentEventType.DECLARED,
                actor=actor,
                at=now,
                data={
                    "slug": slug,
                    "status": IncidentStatus.ACTIVE.value,
                    "team": team.pk if team else None,
                    "languages": languages,
                    "segment": segment,
                    "keywords": keywords,
                    "request_type": request_type.pk if request_type else None,
                },
            )
    except IntegrityError as exc:
        # Declared at the same moment by someone else: the unique slug decides.
        raise DomainError(
            _("An incident with this short name exists already."), field="slug", code="duplicate"
        ) from exc
    return incident


def incident_edit(
    *,
    incident: Incident,
    actor: Any,
    team: Team | None,
    languages: list[str],
    texts: dict[str, dict[str, str]],
    segment: dict[str, Any] | None = None,
    keywords: list[str] | None = None,
    request_type: RequestType | None = None,
    now: datetime | None = None,
) -> Incident:
    """Change what an incident says and whom it concerns (the short name stays: it is the
    public URL). One EDITED event lists every changed field with its before and after."""
    now = now or timezone.now()
    languages = _clean_languages(languages)
    cleaned_texts = _clean_texts(texts, languages)
    segment = _clean_segment(segment)
    keywords = _clean_keywords(keywords)
    team = _clean_team(team)
    request_type = _clean_request_type(request_type)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        changes: dict[str, dict[str, Any]] = {}
        new_values = {
            "team": team.pk if team else None,
            "languages": languages,
            "segment": segment,
            "keywords": keywords,
            "request_type": request_type.pk if request_type else None,
        }
        old_values = {
            "team": incident.team_id,
            "languages": incident.languages,
            "segment": incident.segment,
            "keywords": incident.keywords,
            "request_type": incident.request_type_id,
        }
        for name, after in new_values.items():
            if old_values[name] != after:
                changes[name] = {"from": old_values[name], "to": after}

        existing = {t.language: t for t in incident.texts.all()}
        changed_texts: list[str] = []
        for code, parts in cleaned_texts.items():
            text = existing.pop(code, None)
            if text is None:
                IncidentText.objects.create(incident=incident, language=code, **parts)
                changed_texts.append(code)
            elif any(getattr(text, name) != value for name, value in parts.items()):
                for name, value in parts.items():
                    setattr(text, name, value)
                text.save(update_fields=list(TEXT_FIELDS))
                changed_texts.append(code)
        for code, text in existing.items():
            # No longer published: its text leaves the public page.
            text.delete()
            changed_texts.append(code)
        if changed_texts:
            changes["texts"] = {"languages": sorted(changed_texts)}
        if not changes:
            return incident

        incident.team = team
        incident.languages = languages
        incident.segment = segment
        incident.keywords = keywords
        incident.request_type = request_type
        incident.updated_at = now
        incident.save(
            update_fields=[
                "team",
                "languages",
                "segment",
                "keywords",
                "request_type",
                "updated_at",
            ]
        )
        _record(incident, IncidentEventType.EDITED, actor=actor, at=now, data=changes)
    return incident


# ------------------------------------------------------------------------------------------
# Lifecycle
# ------------------------------------------------------------------------------------------


def allowed_statuses(incident: Incident) -> tuple[str, ...]:
    """The statuses this incident can move to now."""
    return TRANSITIONS.get(incident.status, ())


def incident_set_status(
    *, incident: Incident, status: str, actor: Any, now: datetime | None = None
) -> Incident:
    """Move along the lifecycle (event STATUS with from/to); resolving stamps ``resolved_at``,
    reactivating clears it."""
    now = now or timezone.now()
    if status not in IncidentStatus.values:
        raise DomainError(_("Unknown status."), field="status")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        before = incident.status
        if status == before:
            raise DomainError(
                _("The incident is %(status)s already.") % {"status": IncidentStatus(status).label},
                field="status",
                code="unchanged",
            )
        if status not in allowed_statuses(incident):
            raise DomainError(
                _("A %(before)s incident cannot become %(after)s.")
                % {
                    "before": IncidentStatus(before).label,
                    "after": IncidentStatus(status).label,
                },
                field="status",
            )
        incident.status = status
        incident.resolved_at = now if status == IncidentStatus.RESOLVED else None
        incident.updated_at = now
        incident.save(update_fields=["status", "resolved_at", "updated_at"])
        _record(
            incident,
            IncidentEventType.STATUS,
            actor=actor,
            at=now,
            data={"from": before, "to": status},
        )
    return incident


# ------------------------------------------------------------------------------------------
# Updates
# ------------------------------------------------------------------------------------------


def _clean_update_texts(incident: Incident, texts: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for code, value in (texts or {}).items():
        value = str(value or "").strip()
        if not value:
            continue
        if code not in incident.languages:
            raise DomainError(
                _("The incident is not published in this language."),
                field=update_field_name(code),
            )
        if len(value) > UPDATE_LIMIT:
            raise DomainError(
                _("At most %(max)d characters.") % {"max": UPDATE_LIMIT},
                field=update_field_name(code),
            )
        cleaned[code] = value
    if not cleaned:
        raise DomainError(
            _("Write the update in at least one language."), field="texts", code="required"
        )
    return cleaned


def _update_broadcast_templates(
    incident: Incident, texts: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The mail of an update per language: subject "[title] Update", the update as body."""
    titles = {t.language: t.title for t in incident.texts.all()}
    fallback_title = next(iter(titles.values()), incident.slug)
    templates: dict[str, dict[str, str]] = {}
    for code, body in texts.items():
        with translation.override(code):
            subject = _("[%(title)s] Update") % {"title": titles.get(code, fallback_title)}
        templates[code] = {"subject": subject, "body": body}
    return templates


def incident_post_update(
    *,
    incident: Incident,
    actor: Any,
    texts: dict[str, str],
    send_to_affected: bool = False,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Post a dated update (event UPDATE_POSTED); with ``send_to_affected`` it is also broadcast
    by email to the incident's segment: the update, the broadcast (``broadcast_create``) and the
    BROADCAST event linking them are written in one transaction, then ``broadcast_start``
    materialises the recipients in its own chunked transactions (a segment of 50,000 must not
    hold the write lock of the lead's request). A broadcast that failed to start stays a
    draft, linked to the update, and can be started from the broadcasts screen."""
    from .broadcasts import broadcast_create, broadcast_start

    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        cleaned = _clean_update_texts(incident, texts)
        if send_to_affected and not incident.segment:
            raise DomainError(
                _(
                    "This incident has no affected segment yet: edit the incident to choose "
                    "whom it concerns before sending."
                ),
                field="send_to_affected",
            )
        update = IncidentUpdate.objects.create(
            incident=incident, texts=cleaned, posted_by=_user(actor), posted_at=now
        )
        incident.updated_at = now
        incident.save(update_fields=["updated_at"])
        _record(
            incident,
            IncidentEventType.UPDATE_POSTED,
            actor=actor,
            at=now,
            data={"update": update.pk, "languages": sorted(cleaned)},
        )
        if not send_to_affected:
            return update
        with translation.override(incident.languages[0] if incident.languages else "en"):
            name = _("%(incident)s: update of %(date)s") % {
                "incident": incident.slug,
                "date": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
            }
        broadcast = broadcast_create(
            actor=actor,
            name=name,
            channel="email",
            segment=incident.segment,
            templates=_update_broadcast_templates(incident, cleaned),
            incident=incident,
        )
        update.broadcast = broadcast
        update.save(update_fields=["broadcast"])
        _record(
            incident,
            IncidentEventType.BROADCAST,
            actor=actor,
            at=now,
            data={
                "broadcast": broadcast.pk,
                "action": "update",
                "update": update.pk,
                "channel": "email",
            },
        )
    broadcast_start(broadcast=broadcast, actor=actor)
    return update

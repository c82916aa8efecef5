"""Forms of the agent workspace: they parse and validate input; the services decide."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from calmdesk.accounts.models import Team

from .enums import Channel, Priority, TicketStatus
from .models import RequestType, Ticket
from .selectors import QueueFilters, QueueOptions, View

User = get_user_model()

PAGE_SIZE = 50
MAX_PAGE = 1000

VIEW_LABELS = {
    View.QUEUE: _("Queue"),
    View.MINE: _("Mine"),
    View.UNASSIGNED: _("Unassigned"),
    View.URGENT: _("Urgent"),
    View.OVERDUE: _("Overdue"),
    View.SUGGESTIONS: _("Merge suggestions"),
    View.ALL: _("All"),
}


def agent_label(user: Any) -> str:
    profile = getattr(user, "agent", None)
    return (profile.display_name if profile else "") or user.get_full_name() or user.get_username()


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return agent_label(obj)


class RequestTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name()


# ------------------------------------------------------------------------------------------
# The queue's filters (GET)
# ------------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """GET filters of the queue. An invalid value drops that filter instead of failing."""

    view = forms.ChoiceField(
        choices=[(v, VIEW_LABELS[v]) for v in View.choices],
        required=False,
        widget=forms.HiddenInput,
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Reference or subject"),
                "autocomplete": "off",
            }
        ),
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    request_type = forms.TypedChoiceField(
        label=_("Request type"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *TicketStatus.choices],
    )
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=60)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    page = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, options: QueueOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["team"].choices = [("", _("All my teams")), *[(t.pk, t.name) for t in options.teams]]  # type: ignore[attr-defined]
        fields["request_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Any type")),
            *[(r.pk, r.name()) for r in options.request_types],
        ]
        fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            *[(u.pk, agent_label(u)) for u in options.agents],
        ]

    def filters(self) -> QueueFilters:
        """The valid filters; fields with errors are left out."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return QueueFilters(
            view=data.get("view") or View.QUEUE,
            team=data.get("team"),
            request_type=data.get("request_type"),
            status=data.get("status") or None,
            assignee=data.get("assignee"),
            tag=(data.get("tag") or "").strip() or None,
            channel=data.get("channel") or None,
            q=(data.get("q") or "").strip() or None,
        )

    def page_number(self) -> int:
        page = self.cleaned_data.get("page") if "page" not in self.errors else None
        return page or 1


# ------------------------------------------------------------------------------------------
# Ticket actions (POST)
# ------------------------------------------------------------------------------------------


class TicketActionForm(forms.Form):
    """Base of the ticket page's forms: they know the ticket and the acting agent."""

    # Several forms share a page: element ids are prefixed per form (field names are not).
    id_prefix = "action"

    def __init__(self, *args: Any, ticket: Ticket, user: Any, **kwargs: Any) -> None:
        self.ticket = ticket
        self.user = user
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def check_attachments(files: list[UploadedFile]) -> list[UploadedFile]:
    conf = settings.CALMDESK
    if len(files) > conf["ATTACHMENT_MAX_FILES"]:
        raise forms.ValidationError(
            _("Attach at most %(count)d files."), params={"count": conf["ATTACHMENT_MAX_FILES"]}
        )
    allowed = {e.lower() for e in conf["ATTACHMENT_EXTENSIONS"]}
    for upload in files:
        ext = PurePath(upload.name or "").suffix.lower().lstrip(".")
        if ext not in allowed:
            raise forms.ValidationError(
                _("%(name)s: files of this type cannot be attached."), params={"name": upload.name}
            )
        if (upload.size or 0) > conf["ATTACHMENT_MAX_BYTES"]:
            raise forms.ValidationError(
                _("%(name)s is larger than %(limit)s."),
                params={"name": upload.name, "limit": filesizeformat(conf["ATTACHMENT_MAX_BYTES"])},
            )
    return files


class ReplyForm(TicketActionForm):
    id_prefix = "reply"
    # Not required here: the service says "Write a reply first." (one source of that rule).
    body = forms.CharField(
        label=_("Reply to the customer"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    status_after = forms.ChoiceField(
        label=_("Send and"),
        required=False,
        choices=[
            ("", _("keep the status")),
            (TicketStatus.PENDING, _("set pending (waiting on the customer)")),
            (TicketStatus.SOLVED, _("set solved")),
        ],
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def clean_attachments(self) -> list[UploadedFile]:
        return check_attachments(self.cleaned_data.get("attachments") or [])


class NoteForm(TicketActionForm):
    id_prefix = "note"
    body = forms.CharField(
        label=_("Internal note (never shown to the customer)"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def clean_attachments(self) -> list[UploadedFile]:
        return check_attachments(self.cleaned_data.get("attachments") or [])


class StatusForm(TicketActionForm):
    id_prefix = "status"
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].initial = self.ticket.status


class PriorityForm(TicketActionForm):
    id_prefix = "priority"
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["priority"].initial = self.ticket.priority


class RequestTypeForm(TicketActionForm):
    id_prefix = "type"
    request_type = RequestTypeChoiceField(
        label=_("Request type"),
        queryset=RequestType.objects.none(),
        required=False,
        empty_label=_("(none)"),
    )

    def __init__(
        self, *args: Any, request_types: list[RequestType] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["request_type"])
        current = self.ticket.request_type_id
        # Inactive types cannot be chosen, but the ticket's current one stays on the list.
        field.queryset = RequestType.objects.filter(Q(active=True) | Q(pk=current))
        if request_types is not None:
            field.choices = [
                ("", _("(none)")),
                *[(r.pk, r.name()) for r in request_types if r.active or r.pk == current],
            ]
        field.initial = current


class TransferForm(TicketActionForm):
    id_prefix = "transfer"
    team = forms.ModelChoiceField(label=_("Transfer to team"), queryset=Team.objects.all())
    # The service requires the reason and says so; transfers are analysed by their reasons.
    reason = forms.CharField(
        label=_("Reason for the transfer"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, teams: list[Team] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["team"])
        current = self.ticket.team_id
        field.queryset = Team.objects.exclude(pk=current) if current else Team.objects.all()
        if teams is not None:
            field.choices = [
                ("", "---------"),
                *[(t.pk, t.name) for t in teams if t.pk != self.ticket.team_id],
            ]


class AssignForm(TicketActionForm):
    id_prefix = "assign"
    assignee = AgentChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("(unassigned)"),
    )

    def __init__(self, *args: Any, team_agents: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        qs = User.objects.filter(is_active=True, agent__isnull=False)
        if self.ticket.team_id is not None:
            qs = qs.filter(agent__teams=self.ticket.team_id)
        field.queryset = qs.distinct()  # type: ignore[attr-defined]
        if team_agents is not None:
            field.choices = [  # type: ignore[attr-defined]
                ("", _("(unassigned)")),
                *[(u.pk, agent_label(u)) for u in team_agents],
            ]
        field.initial = self.ticket.assignee_id


class TakeForm(TicketActionForm):
    """No fields: the acting agent takes the ticket."""

    id_prefix = "take"


# ------------------------------------------------------------------------------------------
# One conversation per problem: merge, split, suggestions, customers
# ------------------------------------------------------------------------------------------


class MergeForm(forms.Form):
    """Merge this ticket into ``target`` (a reference or an id), or — ``direction=here`` —
    merge ``target`` into this one."""

    target = forms.CharField(label=_("Ticket to merge with"), max_length=40)
    direction = forms.ChoiceField(
        label=_("Keep"),
        required=False,
        choices=[
            ("into", _("the other ticket (this one is merged into it)")),
            ("here", _("this ticket (the other one is merged into it)")),
        ],
    )
    reason = forms.CharField(label=_("Why (optional)"), required=False, max_length=500)

    def clean_target(self) -> int:
        from .models import parse_reference

        value = parse_reference(self.cleaned_data["target"])
        if value is None:
            raise forms.ValidationError(_("Enter a ticket reference such as CD-000123."))
        return value


class SuggestionMergeForm(forms.Form):
    """Accept a suggestion: ``into`` is the ticket kept (default: the older one)."""

    into = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SplitForm(forms.Form):
    messages = forms.TypedMultipleChoiceField(
        label=_("Customer messages to split off"), coerce=int, required=False
    )
    subject = forms.CharField(label=_("Subject of the new ticket"), required=False, max_length=300)

    def __init__(self, *args: Any, message_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["messages"])
        field.choices = [(pk, str(pk)) for pk in message_ids]


class CustomerMergeForm(forms.Form):
    """Merge ``other`` into the customer of the page, or (``keep=other``) this one into it."""

    other = forms.IntegerField(widget=forms.HiddenInput)
    keep = forms.ChoiceField(
        label=_("Keep"),
        choices=[("this", _("this customer")), ("other", _("the other customer"))],
        initial="this",
        required=False,
    )
    reason = forms.CharField(
        label=_("Why are they the same person?"), required=False, max_length=300
    )

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from calmdesk.inbox.defaults import install_default_form
from calmdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_post_without_a_valid_form_token_explains_itself_and_stores_nothing() -> None:
    install_default_form()
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(reverse("inbox:help"), {"name": "Ana", "message": "Hello"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert Ticket.objects.count() == 0

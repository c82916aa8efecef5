"""Calmdesk's SQLite database backend: Django's, plus a writer gate (see ``gate.py``)."""

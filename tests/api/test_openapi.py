"""The OpenAPI schema generates cleanly and is served with a local Swagger UI."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_or_errors(tmp_path):
    """`manage.py spectacular --fail-on-warn --validate` succeeds (a warning fails it)."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text()
    assert "tokenAuth" in text and "/api/v1/packs/upload/" in text and "/api/v1/workflows/" in text


def test_schema_and_swagger_ui_are_served_locally():
    """/api/schema/ answers the schema; /api/docs/ loads Swagger UI from our static files."""
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_superuser("admin", password="x"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and schema.json()["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui" in page and "cdn.jsdelivr.net" not in page

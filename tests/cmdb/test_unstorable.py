"""Values PostgreSQL cannot store (NUL characters, infinite numbers) are bad input everywhere:
the services refuse them, so pages and imports answer with a form error, never a 500."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cmdb.models import CIClass, ConfigurationItem
from cmdb.services import ci_create, ci_update


@pytest.fixture
def server(db):
    return CIClass.objects.create(
        name="Box",
        slug="box",
        attribute_schema={"properties": {"ram_gb": {"type": "number"}}},
    )


@pytest.mark.parametrize(
    "values",
    [
        {"name": "srv\x00"},
        {"name": "srv", "serial": "A\x00B"},
        {"name": "srv", "attributes": {"ram_gb": float("inf")}},
        {"name": "srv", "attributes": {"ram_gb": float("nan")}},
    ],
)
def test_a_nul_character_or_an_infinite_number_is_refused_and_nothing_saved(
    demo, users, server, values
):
    with pytest.raises(ValidationError):
        ci_create(by=users["ivan"], ci_class=server, managed_by=demo.organizations["internal"],
                  **values)  # fmt: skip
    assert not ConfigurationItem.objects.exists()


def test_an_edit_with_a_nul_character_changes_nothing(demo, users, server):
    ci = ci_create(
        by=users["ivan"], name="srv", ci_class=server, managed_by=demo.organizations["internal"]
    )
    with pytest.raises(ValidationError):
        ci_update(ci=ci, by=users["ivan"], description="bad\x00text")
    ci.refresh_from_db()
    assert (ci.description, ci.version) == ("", 1)

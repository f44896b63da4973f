"""The CMDB's people are told (SPEC 2.6, 2.3): each side's runbook owner about a version to
acknowledge, the owner about a review that is due, the CI's internal owner about a provider's
proposal — once each, in their language, with a link on their side."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cmdb.models import CIClass
from cmdb.runbooks import runbook_create, runbook_publish, runbook_review_tasks_due
from cmdb.services import ci_create, ci_update
from cogest.models import UserProfile
from escalation.models import Notification


@pytest.fixture
def switch(demo, users):
    klass = CIClass.objects.create(name="Switch", slug="switch", functional_area="networks")
    return ci_create(
        by=users["ivan"],
        name="SW-BCN-P1-01",
        ci_class=klass,
        managed_by=demo.organizations["internal"],
        internal_owner=users["ivan"],
    )


@pytest.fixture
def runbook(users, switch):
    UserProfile.objects.update(language="en")
    return runbook_create(
        by=users["ivan"],
        title="Core switch failure",
        kind="contingency",
        body="1. Check the stack.",
        internal_owner=users["ivan"],
        provider_owner=users["pablo"],
        cis=[switch],
        areas=["networks"],
    )


def _of(user):
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def test_each_sides_owner_but_the_author_is_asked_to_acknowledge_a_version(users, runbook):
    # the creation (version 1) by ivan: pablo is asked, ivan is not
    (first,) = _of(users["pablo"])
    assert first.kind == "runbook.published"
    assert first.url == f"/partner/cmdb/runbooks/{runbook.pk}/"
    assert "Core switch failure" in first.title and "1" in first.title
    assert _of(users["ivan"]) == []
    # when marta publishes version 2, both owners are asked, each with a link on their side
    runbook_publish(runbook=runbook, by=users["marta"], body="1. Check the stack.\n2. Call TAC.")
    assert [n.url for n in _of(users["ivan"])] == [f"/cmdb/runbooks/{runbook.pk}/"]
    assert len(_of(users["pablo"])) == 2
    assert _of(users["marta"]) == []


def test_a_due_review_is_told_to_the_owner_once_in_their_language(users, runbook):
    UserProfile.objects.filter(user=users["ivan"]).update(language="es")
    runbook.review_on = timezone.localdate() - dt.timedelta(days=1)
    runbook.save(update_fields=["review_on"])
    # when the daily job runs twice
    runbook_review_tasks_due(today=timezone.localdate())
    runbook_review_tasks_due(today=timezone.localdate())
    # then ivan has one notification, in Spanish
    (due,) = [n for n in _of(users["ivan"]) if n.kind == "runbook.review_due"]
    assert due.title == "Revisión de runbook pendiente: Core switch failure"
    assert due.url == f"/cmdb/runbooks/{runbook.pk}/"


def test_a_providers_proposal_is_told_to_the_cis_internal_owner(users, switch):
    UserProfile.objects.update(language="en")
    result = ci_update(ci=switch, by=users["pablo"], site="Girona", reason="Moved last week")
    (told,) = _of(users["ivan"])
    assert told.kind == "ci.change_proposed"
    assert told.url == f"/cmdb/proposals/{result.proposal.pk}/"
    assert "SW-BCN-P1-01" in told.title and "Acme" in told.title
    assert told.body == "Moved last week"
    assert _of(users["marta"]) == [] and _of(users["pablo"]) == []


def test_without_an_internal_owner_the_internal_managers_are_told(users, switch):
    switch.internal_owner = None
    switch.save(update_fields=["internal_owner"])
    ci_update(ci=switch, by=users["pablo"], site="Girona", reason="Moved")
    assert [n.kind for n in _of(users["marta"])] == ["ci.change_proposed"]
    assert _of(users["ana"]) == []

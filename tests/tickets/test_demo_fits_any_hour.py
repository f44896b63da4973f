"""The demo's stories fit in the past whatever the hour and day ``seed_demo`` runs at: a
newcomer's ``make run`` at 05:00 on a Monday seeds like one at noon."""

from __future__ import annotations

import datetime as dt

import pytest

from cmdb import demo as cmdb_demo
from tickets import demo as tickets_demo

MADRID = tickets_demo.MADRID


@pytest.mark.parametrize("day", range(7))
def test_every_story_fits_at_every_hour_of_the_week(demo, day):
    cmdb_demo.seed(demo)
    monday = dt.datetime(2026, 11, 23, tzinfo=MADRID)
    for hour in range(24):
        now = (monday + dt.timedelta(days=day, hours=hour, minutes=20)).astimezone(dt.UTC)
        stories = tickets_demo.plan_stories(now=now, world=demo)
        assert len(stories) == tickets_demo.DEMO_TICKETS
        assert all(story.steps[-1].at <= now for story in stories)

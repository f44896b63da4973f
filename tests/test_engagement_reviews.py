import datetime as dt

import pytest

from cogest.models import Engagement


@pytest.mark.parametrize(
    ("starts", "cadence", "today", "expected"),
    [
        (dt.date(2026, 1, 1), "monthly", dt.date(2026, 11, 24), dt.date(2026, 12, 1)),
        (dt.date(2026, 1, 1), "monthly", dt.date(2026, 12, 1), dt.date(2026, 12, 1)),
        (dt.date(2026, 1, 31), "monthly", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 1), "quarterly", dt.date(2026, 11, 24), dt.date(2027, 1, 1)),
        (dt.date(2026, 3, 15), "semiannual", dt.date(2026, 3, 16), dt.date(2026, 9, 15)),
        (dt.date(2024, 2, 29), "annual", dt.date(2025, 1, 1), dt.date(2025, 2, 28)),
    ],
)
def test_next_review_is_whole_cadence_periods_after_the_start(starts, cadence, today, expected):
    engagement = Engagement(starts_on=starts, review_cadence=cadence)
    assert engagement.next_review_on(today) == expected


def test_an_ended_engagement_has_no_next_review():
    engagement = Engagement(
        starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 6, 30), review_cadence="monthly"
    )
    assert engagement.next_review_on(dt.date(2026, 1, 1)) is None


def test_kpi_rows_follow_the_metric_order_with_direction():
    engagement = Engagement(kpi_targets={"mttr_hours": 6, "sla_compliance_pct": 95})
    rows = engagement.kpi_rows
    assert [r["metric"] for r in rows] == ["sla_compliance_pct", "mttr_hours"]
    assert [r["higher_is_better"] for r in rows] == [True, False]

"""Business calendars: when a team works. The SLA engine does the business-time arithmetic."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cogest.choices import Weekday
from cogest.querysets import RestrictedQuerySet, Viewer


class CalendarQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """Calendars are read by everyone signed in (clocks are explained with them).

        Internal managers maintain them (SPEC 3: configuration).
        """
        if action == "change":
            return Q() if viewer.is_internal and viewer.is_manager else None
        return Q()


class BusinessCalendar(models.Model):
    """Working time: a timezone, weekly intervals and holidays, or round the clock (24x7)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/Madrid")
    is_24x7 = models.BooleanField(_("24x7"), default=False)
    holiday_country = models.CharField(
        _("holiday country"),
        max_length=2,
        blank=True,
        help_text=_(
            "ISO country code whose public holidays apply (the holidays package), e.g. ES."
        ),
    )
    holiday_region = models.CharField(
        _("holiday region"),
        max_length=10,
        blank=True,
        help_text=_("Optional region or subdivision, e.g. MD for Madrid."),
    )

    objects = CalendarQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"timezone": _("Unknown timezone.")}) from None
        if self.holiday_region and not self.holiday_country:
            raise ValidationError({"holiday_region": _("A region needs a country.")})
        if self.holiday_country:
            import holidays

            try:
                holidays.country_holidays(
                    self.holiday_country.upper(), subdiv=self.holiday_region or None
                )
            except (NotImplementedError, KeyError, ValueError):
                raise ValidationError(
                    {
                        "holiday_country": _(
                            "The holidays package does not know this country/region."
                        )
                    }
                ) from None


class CalendarInterval(models.Model):
    """One working interval of a weekday, in the calendar's timezone; may end after midnight."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(
        _("ends"),
        help_text=_("An end earlier than the start runs past midnight into the next day."),
    )

    class Meta:
        ordering = ["calendar", "weekday", "starts"]
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")
        constraints = [
            models.CheckConstraint(
                condition=~Q(starts=models.F("ends")), name="interval_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class CalendarHoliday(models.Model):
    """A day off the calendar observes besides its country's public holidays."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"

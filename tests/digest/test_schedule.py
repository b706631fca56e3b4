"""The worker's schedule: pure functions of the settings and the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from paperfeed.config import DigestSettings, Settings, WorkerSettings
from paperfeed.digest.periods import containing, just_ended
from paperfeed.worker.schedule import is_due, jobs, latest_due, next_due


def _settings(**worker: object) -> Settings:
    return Settings(digest=DigestSettings(send_at="07:30", timezone="Europe/Berlin",
                                          weekly_on="monday"),
                    worker=WorkerSettings(**worker))  # type: ignore[arg-type]


def _job(settings: Settings, name: str):  # type: ignore[no-untyped-def]
    return next(job for job in jobs(settings) if job.name == name)


def test_periods_are_days_and_iso_weeks() -> None:
    wednesday = datetime(2026, 12, 2, tzinfo=UTC).date()
    week = containing("weekly", wednesday)
    assert (week.start.isoformat(), week.end.isoformat()) == ("2026-11-30", "2026-12-06")
    assert just_ended("daily", wednesday).start.isoformat() == "2026-12-01"
    assert just_ended("weekly", wednesday).start.isoformat() == "2026-11-23"


def test_digests_are_due_at_their_local_hour() -> None:
    daily = _job(_settings(), "digest-daily")
    # 07:30 in Berlin is 06:30 UTC in winter.
    before = datetime(2026, 12, 3, 6, 29, tzinfo=UTC)
    after = datetime(2026, 12, 3, 6, 31, tzinfo=UTC)
    assert latest_due(daily, after) == datetime(2026, 12, 3, 6, 30, tzinfo=UTC)
    assert next_due(daily, before) == datetime(2026, 12, 3, 6, 30, tzinfo=UTC)
    ran = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    assert not is_due(daily, before, ran)
    assert is_due(daily, after, ran)
    assert not is_due(daily, after, after)  # ran already today


def test_the_weekly_digest_is_due_on_its_day_only() -> None:
    weekly = _job(_settings(), "digest-weekly")
    thursday = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)
    assert latest_due(weekly, thursday) == monday
    assert is_due(weekly, thursday, None) is False  # three days ago: too late to catch up
    assert is_due(weekly, monday + timedelta(hours=2), None)


def test_harvest_follows_arxivs_announcement_days() -> None:
    settings = _settings(harvest_categories=["cs.LG"], harvest_at="20:30",
                         harvest_timezone="America/New_York")
    harvest = _job(settings, "harvest")
    friday_night = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # Friday 22:00 in New York
    # No announcement on Friday or Saturday evenings: the latest is Thursday's.
    assert latest_due(harvest, friday_night) == datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
    assert "harvest" not in [job.name for job in jobs(_settings())]  # no categories
    assert "Sunday" in harvest.when() and "Friday" not in harvest.when()


@pytest.mark.parametrize(("section", "values", "problem"), [
    (DigestSettings, {"send_at": "7.30"}, "07:30"),
    (DigestSettings, {"send_at": "24:00"}, "07:30"),
    (DigestSettings, {"timezone": "Mars/Olympus"}, "unknown time zone"),
    (DigestSettings, {"weekly_on": "funday"}, "not a day of the week"),
    (WorkerSettings, {"harvest_days": ["monday", "mon"]}, "not a day of the week"),
    (WorkerSettings, {"harvest_at": "8pm"}, "07:30"),
])
def test_schedule_settings_are_checked(section: type, values: dict[str, object],
                                       problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        section(**values)


def test_schedule_settings_are_tidied() -> None:
    assert DigestSettings(send_at="7:05", weekly_on=" Friday").send_at == "07:05"
    assert DigestSettings(weekly_on=" Friday").weekly_on == "friday"
    assert WorkerSettings(harvest_days=["Monday", "tuesday "]).harvest_days == [
        "monday", "tuesday"]

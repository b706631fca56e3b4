"""When the worker's jobs are due. Pure functions of the settings and the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from paperfeed.config import WEEKDAYS, Settings

# A job missed while no worker ran is still run if it was due this recently.
CATCH_UP = timedelta(hours=20)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    at: time
    zone: str
    days: frozenset[int]  # weekday numbers, Monday = 0
    description: str

    def when(self) -> str:
        days = ("every day" if len(self.days) == 7
                else ", ".join(WEEKDAYS[d].capitalize() for d in sorted(self.days)))
        return f"{days} at {self.at:%H:%M} {self.zone}"


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def jobs(settings: Settings) -> list[Job]:
    """The worker's jobs under these settings (no harvest without categories)."""
    out: list[Job] = []
    worker, digest = settings.worker, settings.digest
    if worker.harvest_categories:
        out.append(Job(
            "harvest", _clock(worker.harvest_at), worker.harvest_timezone,
            frozenset(WEEKDAYS.index(d) for d in worker.harvest_days),
            f"harvest arXiv RSS ({', '.join(worker.harvest_categories)}), then embed the "
            "new papers and rank the new list entries"))
    out.append(Job("digest-daily", _clock(digest.send_at), digest.timezone,
                   frozenset(range(7)), "send yesterday's daily digests"))
    out.append(Job("digest-weekly", _clock(digest.send_at), digest.timezone,
                   frozenset({WEEKDAYS.index(digest.weekly_on)}),
                   "send last week's weekly digests"))
    return out


def latest_due(job: Job, now: datetime) -> datetime:
    """The job's latest scheduled moment at or before `now` (aware UTC), as aware UTC."""
    zone = ZoneInfo(job.zone)
    local = now.astimezone(zone)
    for back in range(8):
        day = local.date() - timedelta(days=back)
        if day.weekday() not in job.days:
            continue
        moment = datetime.combine(day, job.at, tzinfo=zone)
        if moment <= local:
            return moment.astimezone(UTC)
    raise ValueError(f"job {job.name} has no day to run on")


def next_due(job: Job, now: datetime) -> datetime:
    """The job's next scheduled moment after `now`, as aware UTC."""
    zone = ZoneInfo(job.zone)
    local = now.astimezone(zone)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        moment = datetime.combine(day, job.at, tzinfo=zone)
        if day.weekday() in job.days and moment > local:
            return moment.astimezone(UTC)
    raise ValueError(f"job {job.name} has no day to run on")


def is_due(job: Job, now: datetime, last_run: datetime | None) -> bool:
    """Whether the job should run now: its latest moment has passed since it last ran
    (and, for a worker that never ran it, not longer ago than CATCH_UP)."""
    moment = latest_due(job, now)
    if last_run is None:
        return now - moment <= CATCH_UP
    return last_run < moment

"""Times as people type and read them: a wall-clock time in the viewer's zone in, UTC stored, zone shown."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tracedojo.course_models import as_utc


class TimeInputError(ValueError):
    pass


def zone(name: str) -> ZoneInfo:
    """An IANA time zone by name ('Europe/Paris', 'UTC'), or a clear error."""
    name = name.strip()
    if not name:
        raise TimeInputError("time_zone: is empty; give an IANA zone such as 'Europe/Paris' or 'UTC'")
    if name not in _zone_names():
        raise TimeInputError(f"time_zone: {name[:64]!r} is not a known time zone; use an IANA name like 'Europe/Paris'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeInputError(f"time_zone: {name[:64]!r} is not a known time zone") from None


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES  # computed once: the zone database does not change while the server runs
    if _ZONES is None:
        _ZONES = frozenset(available_timezones() | {"UTC"})
    return _ZONES


def in_zone(moment: datetime, time_zone: str | None, *, field: str) -> datetime:
    """A time as UTC: one that names its offset stands as it is; a wall-clock time is read in ``time_zone``."""
    if moment.tzinfo is not None:
        return as_utc(moment)
    if not time_zone:
        raise TimeInputError(f"{field}: has no time zone; add an offset (2031-03-14T23:59:00+01:00) or send time_zone")
    local = moment.replace(tzinfo=zone(time_zone))
    # A wall-clock time skipped by a clock change ("fold" gaps) does not exist there; say so instead of guessing.
    if as_utc(local).astimezone(local.tzinfo).replace(tzinfo=None) != moment:
        raise TimeInputError(f"{field}: {moment:%Y-%m-%d %H:%M} does not exist in {time_zone} (the clocks skip it)")
    return as_utc(local)


def parse_local(text: str, time_zone: str | None, *, field: str) -> datetime:
    """A form's datetime-local value ('2031-03-14T23:59') or an ISO 8601 time, as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeInputError(f"{field}: {text[:40]!r} is not a date and time like 2031-03-14T23:59") from None
    return in_zone(moment, time_zone, field=field)


def utc_text(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def now_utc() -> datetime:
    return datetime.now(UTC)

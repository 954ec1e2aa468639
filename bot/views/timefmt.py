"""Human times for chat texts: durations like '1 h 20 min', clock times like '23:59 UTC'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.views.i18n import Translator

_MINUTE = 60
_HOUR = 3600
_DAY = 86400


def duration(t: Translator, delta: timedelta) -> str:
    """'3 d 4 h', '1 h 20 min', '20 min' or 'less than a minute' (minutes round up)."""
    total_s = max(0, int(delta.total_seconds()))
    if total_s < _MINUTE:
        return t.gettext("less than a minute")
    minutes_total = -(-total_s // _MINUTE)  # ceiling: "in 1 min" until it is really over
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        if hours:
            return t.gettext("{days} d {hours} h").format(days=days, hours=hours)
        return t.gettext("{days} d").format(days=days)
    if hours:
        if minutes:
            return t.gettext("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
        return t.gettext("{hours} h").format(hours=hours)
    return t.gettext("{minutes} min").format(minutes=minutes)


def clock(t: Translator, when: datetime, now: datetime) -> str:
    """'23:59 UTC' within a day of `now`, else '2025-03-05 23:59 UTC'."""
    utc = when.astimezone(UTC)
    hhmm = utc.strftime("%H:%M")
    if abs((when - now).total_seconds()) < _DAY:
        return t.gettext("{time} UTC").format(time=hhmm)
    return t.gettext("{date} {time} UTC").format(date=utc.strftime("%Y-%m-%d"), time=hhmm)


def stamp(t: Translator, when: datetime) -> str:
    """A full timestamp for receipts and history: '2025-03-05 23:59 UTC'."""
    utc = when.astimezone(UTC)
    return t.gettext("{date} {time} UTC").format(
        date=utc.strftime("%Y-%m-%d"), time=utc.strftime("%H:%M")
    )


def time_left(t: Translator, deadline: datetime, now: datetime) -> str:
    """'in 1 h 20 min (23:59 UTC)', or 'now' once the deadline has passed (a sweep is due)."""
    if deadline <= now:
        return t.gettext("now")
    return t.gettext("in {duration} ({time})").format(
        duration=duration(t, deadline - now), time=clock(t, deadline, now)
    )

"""The endpoint registry: every endpoint account with its latest health, whether it is online,
where it is, how good its link is, and whether it is missing from a meeting it is due in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import Role, User
from core.units import meeting_point_order
from endpoints.meeting_view import live_meetings
from endpoints.models import EndpointAlert, EndpointHealth

OFFLINE_AFTER = timedelta(seconds=15)  # three missed reports (they come every 5 s)
# Columns filled from a report (validated by api.HealthReport); anything else goes to `detail`.
HEALTH_FIELDS = ("status", "meeting_id", "meeting_title", "camera", "microphone", "cpu_pct", "bitrate_out_kbps",
                 "bitrate_in_kbps", "loss_pct", "rtt_ms", "software_version", "rejoins", "last_rejoin_s",
                 "last_error")


def aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def link_quality(loss_pct: float | None, rtt_ms: float | None) -> str | None:
    if loss_pct is None and rtt_ms is None:
        return None
    loss, rtt = loss_pct or 0.0, rtt_ms or 0.0
    if loss < 2 and rtt < 150:
        return "good"
    if loss < 5 and rtt < 400:
        return "fair"
    return "poor"


def record_health(session: Session, user: User, report: dict[str, Any], address: str,
                  now: datetime | None = None) -> EndpointHealth:
    now = now or datetime.now(UTC)
    row = session.get(EndpointHealth, user.id)
    if row is None:
        row = EndpointHealth(user_id=user.id, last_seen=now, status="", detail={})
        session.add(row)
    row.last_seen = now
    row.address = address[:64]
    for name in HEALTH_FIELDS:
        setattr(row, name, report.get(name))
    row.detail = {k: v for k, v in report.items() if k not in HEALTH_FIELDS}
    session.flush()
    return row


@dataclass
class RegistryRow:
    username: str
    name: str
    unit: str | None
    unit_name: str | None
    online: bool
    last_seen: datetime | None
    status: str
    meeting_id: int | None
    meeting_title: str | None
    due_meeting_id: int | None
    quality: str | None
    health: EndpointHealth | None
    alert: EndpointAlert | None
    client: str | None = None  # "agent" (reports its health) or "browser" (the room page), while connected
    due_meeting_title: str | None = None
    alert_title: str | None = None

    def as_json(self) -> dict[str, Any]:
        h = self.health
        return {
            "username": self.username, "name": self.name, "unit": self.unit, "unit_name": self.unit_name,
            "online": self.online, "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "status": self.status, "meeting_id": self.meeting_id, "meeting_title": self.meeting_title,
            "due_meeting_id": self.due_meeting_id, "quality": self.quality, "client": self.client,
            "camera": h.camera if h else None, "microphone": h.microphone if h else None,
            "cpu_pct": h.cpu_pct if h else None, "bitrate_out_kbps": h.bitrate_out_kbps if h else None,
            "bitrate_in_kbps": h.bitrate_in_kbps if h else None, "loss_pct": h.loss_pct if h else None,
            "rtt_ms": h.rtt_ms if h else None, "software_version": h.software_version if h else None,
            "rejoins": h.rejoins if h else 0, "last_rejoin_s": h.last_rejoin_s if h else None,
            "last_error": h.last_error if h else "", "address": h.address if h else None,
            "alert": {"meeting_id": self.alert.meeting_id, "raised_at": aware(self.alert.raised_at).isoformat()}
            if self.alert else None,
        }


def endpoint_users(session: Session) -> list[User]:
    """In the province's order of units (districts first), not by login name."""
    users = list(session.execute(select(User).where(User.role == Role.endpoint.value).order_by(User.username))
                 .scalars())
    return sorted(users, key=lambda u: meeting_point_order(u.unit))


def registry(session: Session, now: datetime | None = None) -> list[RegistryRow]:
    now = now or datetime.now(UTC)
    health = {h.user_id: h for h in session.execute(select(EndpointHealth)).scalars()}
    alerts = {a.user_id: a for a in session.execute(select(EndpointAlert).where(EndpointAlert.cleared_at.is_(None)))
              .scalars()}
    meetings = live_meetings(session)
    rows = []
    for user in endpoint_users(session):
        h = health.get(user.id)
        reported = aware(h.last_seen) if h else None
        agent_online = reported is not None and now - reported <= OFFLINE_AFTER
        attending = meetings.attending.get(user.id)
        # The unit's meeting point is connected if its agent reports, or if it is in a meeting from
        # the browser room (which sends no health reports); last seen is the later of both.
        attended = now if attending is not None else meetings.last_attended.get(user.id)
        seen = max((m for m in (reported, attended) if m is not None), default=None)
        online = agent_online or attending is not None
        client = ("agent" if agent_online else "browser") if online else None
        due = meetings.invited.get(user.id, [])
        meeting_id = attending if attending is not None else (h.meeting_id if h and online else None)
        if not online:
            status = "offline"
        elif agent_online and h is not None:
            status = h.status
        else:
            status = "in_meeting"
        quality = link_quality(h.loss_pct, h.rtt_ms) if h and agent_online and status == "in_meeting" else None
        rows.append(RegistryRow(
            username=user.username, name=user.full_name, unit=user.unit.code if user.unit else None,
            unit_name=user.unit.short_name if user.unit else None, online=online, last_seen=seen, status=status,
            meeting_id=meeting_id, meeting_title=meetings.titles.get(meeting_id) if meeting_id else None,
            due_meeting_id=due[0] if due else None, quality=quality, health=h,
            alert=alerts.get(user.id), client=client,
            due_meeting_title=meetings.titles.get(due[0]) if due else None,
            alert_title=meetings.titles.get(alerts[user.id].meeting_id) if user.id in alerts else None))
    return rows

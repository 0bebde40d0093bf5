"""Alerts in the database: raise (deduplicated), resolve, acknowledge with a comment, escalate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record
from core.errors import DomainError, Kind
from core.people import User
from ops_center.alerts.rules import DEFAULT_RULES, AlertDraft, AlertKind, RuleConfig, Severity
from ops_center.models import Alert, AlertRuleRow, as_utc, utcnow

OPEN_STATES = ("open", "acknowledged")


class AlertError(DomainError):
    """Something an operator asked that cannot be done to this alert."""


@dataclass(frozen=True)
class EscalationPolicy:
    """How long an alert may wait unacknowledged before it goes up a level, and to whom."""

    after_s: dict[str, float | None]
    levels: tuple[str, ...] = ("admin", "chair")  # roles notified at level 1, 2

    @classmethod
    def default(cls) -> EscalationPolicy:
        return cls(after_s={Severity.CRITICAL: 120.0, Severity.WARNING: 600.0, Severity.INFO: None})


def load_rules(session: Session) -> dict[AlertKind, RuleConfig]:
    rules = dict(DEFAULT_RULES)
    for row in session.execute(select(AlertRuleRow)).scalars():
        kind = AlertKind(row.kind)
        rules[kind] = RuleConfig(kind, row.enabled, Severity(row.severity), dict(row.params or {}),
                                 tuple(str(c) for c in row.camera_ids or ()))
    return rules


def save_rule(session: Session, rule: RuleConfig, actor: str) -> AlertRuleRow:
    row = session.get(AlertRuleRow, str(rule.kind))
    if row is None:
        row = AlertRuleRow(kind=str(rule.kind))
        session.add(row)
    row.enabled, row.severity = rule.enabled, str(rule.severity)
    row.params, row.camera_ids, row.updated_by = dict(rule.params), list(rule.camera_ids), actor
    row.updated_at = utcnow()
    record(session, actor=actor, action="ops.rule.update", target=str(rule.kind),
           detail={"enabled": rule.enabled, "severity": str(rule.severity), "params": dict(rule.params)})
    return row


def apply_draft(session: Session, draft: AlertDraft, now: datetime | None = None) -> tuple[Alert, str] | None:
    """Store one draft. Returns the alert and what happened: raised, repeated or resolved."""
    now = now or utcnow()
    current = session.execute(
        select(Alert).where(Alert.key == draft.key, Alert.status.in_(OPEN_STATES)).order_by(Alert.id.desc())
    ).scalars().first()
    if draft.resolve:
        if current is None:
            return None
        current.status, current.resolved_at = "resolved", now
        current.detail = {**(current.detail or {}), "resolution": draft.detail}
        return current, "resolved"
    if current is not None:
        current.count += 1
        current.last_seen_at = now
        current.detail = {**(current.detail or {}), **draft.detail}
        return current, "repeated"
    alert = Alert(kind=str(draft.kind), key=draft.key, severity=str(draft.severity), title=draft.title,
                  source=draft.source, detail=dict(draft.detail), status="open", count=1,
                  raised_at=now, last_seen_at=now)
    session.add(alert)
    session.flush()
    return alert, "raised"


def apply_drafts(session: Session, drafts: list[AlertDraft]) -> list[tuple[str, dict[str, Any]]]:
    """Store drafts; returns the bus events announcing what happened (``ops.alert.raised`` ...)."""
    out = []
    for draft in drafts:
        applied = apply_draft(session, draft)
        if applied is not None:
            alert, what = applied
            session.flush()
            out.append((f"ops.alert.{what}", alert_json(alert)))
    return out


def resolve_prefix(session: Session, prefix: str, reason: dict[str, Any],
                   now: datetime | None = None) -> list[Alert]:
    """Clear every open alert whose key starts with ``prefix`` (e.g. all of a meeting that ended)."""
    now = now or utcnow()
    alerts = list(session.execute(select(Alert).where(Alert.key.startswith(prefix, autoescape=True),
                                                      Alert.status.in_(OPEN_STATES))).scalars())
    for alert in alerts:
        alert.status, alert.resolved_at = "resolved", now
        alert.detail = {**(alert.detail or {}), "resolution": reason}
    return alerts


def open_keys(session: Session, prefix: str) -> set[str]:
    return set(session.execute(select(Alert.key).where(Alert.key.startswith(prefix, autoescape=True),
                                                       Alert.status.in_(OPEN_STATES))).scalars())


def acknowledge(session: Session, *, alert_id: int, user: User, comment: str, ip: str = "") -> Alert:
    comment = (comment or "").strip()
    if not comment:
        raise AlertError(Kind.invalid, "comment: cần ghi chú khi xác nhận / a comment is required to acknowledge")
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(Kind.not_found, f"không có cảnh báo {alert_id} / no alert {alert_id}")
    if alert.status != "open":
        raise AlertError(Kind.conflict, f"cảnh báo đã {alert.status} / the alert is already {alert.status}")
    alert.status, alert.acked_by_id, alert.acked_at, alert.ack_comment = "acknowledged", user.id, utcnow(), comment
    record(session, actor=user.username, action="ops.alert.acknowledge", target=str(alert.id),
           detail={"kind": alert.kind, "comment": comment}, ip=ip)
    return alert


def escalate_due(session: Session, policy: EscalationPolicy, now: datetime | None = None) -> list[Alert]:
    """Raise the level of open alerts left unacknowledged past their severity's limit."""
    now = now or utcnow()
    escalated = []
    for alert in session.execute(select(Alert).where(Alert.status == "open")).scalars():
        wait = policy.after_s.get(alert.severity)
        if wait is None or alert.escalation_level >= len(policy.levels):
            continue
        since = as_utc(alert.escalated_at) or as_utc(alert.raised_at)
        assert since is not None
        if now - since >= timedelta(seconds=wait):
            alert.escalation_level += 1
            alert.escalated_at = now
            escalated.append(alert)
    return escalated


def alert_json(alert: Alert, policy: EscalationPolicy | None = None) -> dict[str, Any]:
    policy = policy or EscalationPolicy.default()
    level = alert.escalation_level
    return {
        "id": alert.id, "kind": alert.kind, "severity": alert.severity, "title": alert.title,
        "source": alert.source, "detail": alert.detail, "status": alert.status, "count": alert.count,
        "raised_at": _iso(alert.raised_at), "last_seen_at": _iso(alert.last_seen_at),
        "acked_by_id": alert.acked_by_id, "acked_at": _iso(alert.acked_at), "ack_comment": alert.ack_comment,
        "escalation_level": level, "escalated_to": policy.levels[level - 1] if level else None,
        "escalated_at": _iso(alert.escalated_at), "resolved_at": _iso(alert.resolved_at),
    }


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None

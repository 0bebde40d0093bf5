"""The append-only audit log. Each entry carries an HMAC over its content and the previous entry's
MAC, keyed by the installation secret (kept outside the database), and a head row records the last
entry: a changed, inserted or deleted row, including the newest one, breaks the chain visibly."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

GENESIS = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str] = mapped_column(String(64), default="")
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_mac: Mapped[str] = mapped_column(String(64))


def _mac(key: str, prev: str, seq: int, at: str, actor: str, action: str, target: str, detail: str, ip: str) -> str:
    message = json.dumps([prev, seq, at, actor, action, target, detail, ip], ensure_ascii=False)
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def _stamp(moment: datetime) -> str:
    # SQLite hands back naive datetimes; every stored time is UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
    key: str | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the change)."""
    if key is None:
        from core.settings import get_settings

        key = get_settings().secret_key
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_mac=GENESIS)
        session.add(head)
    at = datetime.now(UTC)
    text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    seq = head.last_seq + 1
    entry = AuditEntry(
        seq=seq, at=at, actor=actor[:64], action=action[:64], target=target[:200], detail=text, ip=ip[:64],
        prev_mac=head.last_mac,
    )
    entry.mac = _mac(key, head.last_mac, seq, _stamp(at), entry.actor, entry.action, entry.target, text, entry.ip)
    session.add(entry)
    head.last_seq, head.last_mac = seq, entry.mac
    session.flush()
    return entry


def entries_after(session: Session, seq: int, actions: tuple[str, ...], limit: int = 500) -> list[AuditEntry]:
    """Entries of these actions written after entry `seq`, oldest first (for readers following the log)."""
    return list(session.execute(select(AuditEntry).where(AuditEntry.seq > seq, AuditEntry.action.in_(actions))
                                .order_by(AuditEntry.seq).limit(limit)).scalars())


def last_seq_before(session: Session, moment: datetime) -> int:
    """The number of the last entry written before `moment` (0 if none): where a reader starts following."""
    return session.execute(select(func.max(AuditEntry.seq)).where(AuditEntry.at < moment)).scalar_one() or 0


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    entries: int
    problem: str = ""
    seq: int | None = None


def verify(session: Session, key: str | None = None) -> AuditVerdict:
    """Walk the whole chain; the first break is reported with the entry number where it shows."""
    if key is None:
        from core.settings import get_settings

        key = get_settings().secret_key
    prev, expected_seq, count = GENESIS, 1, 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().yield_per(2000):
        if entry.seq != expected_seq:
            problem = f"entry {expected_seq} is missing (next found is {entry.seq})"
            return AuditVerdict(False, count, problem, expected_seq)
        if entry.prev_mac != prev:
            return AuditVerdict(False, count, f"entry {entry.seq} does not follow the previous entry", entry.seq)
        mac = _mac(key, prev, entry.seq, _stamp(entry.at), entry.actor, entry.action, entry.target, entry.detail,
                   entry.ip)
        if not hmac.compare_digest(mac, entry.mac):
            return AuditVerdict(False, count, f"entry {entry.seq} was altered", entry.seq)
        prev, expected_seq, count = entry.mac, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    last_seq, last_mac = (head.last_seq, head.last_mac) if head else (0, GENESIS)
    if last_seq != count or last_mac != prev:
        return AuditVerdict(False, count, f"the log ends at entry {count} but {last_seq} were written", count + 1)
    return AuditVerdict(True, count)

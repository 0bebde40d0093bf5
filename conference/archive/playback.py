"""Playing a sealed archive back: what the page needs (the files, each placed on the meeting's own
clock, and the timeline: agenda items, speaking turns with names, host actions, attendance gaps,
each at its second from the program's start), and the files themselves from the store, with HTTP
range requests (Starlette's FileResponse answers them) so a player can seek.

Access is the minutes' rule (core.record_access, via `scheduling.may_read_record`); opening the
archive and starting a file are audited (a player's later range requests for the same file are not:
they would bury the log)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from core.access import staff
from core.audit import record as audit
from core.bounds import RowId
from core.db import session_scope
from core.filestore import FileStore
from core.i18n import register
from core.pages import render
from core.people import User
from core.record_access import REFUSAL
from core.request_db import db, sessionmaker_of
from core.settings import get_settings

from ..models import Meeting
from ..record import meeting_record
from ..scheduling import may_read_record, meeting_json, visible_meeting
from .models import ArchiveState, MeetingArchive
from .seal import VIETNAM, load_manifest

router = APIRouter()
MIXED = "program-mixed.webm"
MEDIA_TYPES = {("video", "webm"): "video/webm", ("audio", "webm"): "audio/webm", ("video", "mkv"): "video/x-matroska"}

register({
    "arc.title": ("Bản ghi cuộc họp", "Meeting recording"),
    "arc.program": ("Hình ảnh cuộc họp (theo người phát biểu)", "The meeting as seen (follows the floor)"),
    "arc.timeline": ("Diễn biến cuộc họp", "Timeline"),
    "arc.tracks": ("Bản ghi từng điểm cầu", "Each participant's recording"),
    "arc.play_track": ("Mở", "Open"),
    "arc.seal": ("Mã niêm phong (SHA-256 của bản kê)", "Seal (SHA-256 of the manifest)"),
    "arc.state.recording": ("Đang ghi / đang niêm phong", "Recording or being sealed"),
    "arc.state.sealed": ("Đã niêm phong", "Sealed"),
    "arc.state.failed": ("Niêm phong lỗi", "Sealing failed"),
    "arc.state.pruned": ("Đã xóa tệp ghi theo thời hạn lưu trữ", "Recordings removed after retention"),
    "arc.none": ("Cuộc họp này không được ghi hình", "This meeting was not recorded"),
    "arc.keep_until": ("Lưu trữ đến", "Kept until"),
    "arc.stopped": ("Ghi hình dừng sớm", "Recording stopped early"),
    "arc.open": ("Xem bản ghi", "Play the recording"),
    "arc.kind.agenda": ("Nội dung", "Agenda item"),
    "arc.kind.turn": ("Phát biểu", "Speaking turn"),
    "arc.kind.action": ("Điều hành", "Host action"),
    "arc.kind.gap": ("Mất kết nối", "Connection gap"),
    "arc.planned": ("dự kiến", "planned"),
    "arc.audio": ("âm thanh", "audio"),
    "arc.video": ("hình ảnh", "video"),
})


def _readable(session: Session, meeting_id: int, user: User) -> Meeting:
    meeting = visible_meeting(session, meeting_id, user)
    if not may_read_record(session, meeting, user):
        raise HTTPException(403, REFUSAL)
    return meeting


def _audit(request: Request, user: User, action: str, meeting_id: int, detail: dict[str, Any]) -> None:
    with session_scope(sessionmaker_of(request, write=True)) as session:
        audit(session, actor=user.username, action=action, target=f"meeting:{meeting_id}", detail=detail,
              ip=request.client.host if request.client else "")


def _seconds(at: datetime | None, origin: float) -> float | None:
    return None if at is None else round(at.timestamp() - origin, 3)


def archive_view(session: Session, meeting: Meeting) -> dict[str, Any]:
    """The archive as the playback page uses it."""
    row = session.get(MeetingArchive, meeting.id)
    if row is None:
        return {"meeting": meeting.id, "state": None, "files": [], "timeline": []}
    out: dict[str, Any] = {"meeting": meeting.id, "state": row.state, "manifest_sha256": row.manifest_sha256,
                           "reason": row.reason, "keep_until": row.keep_until.isoformat() if row.keep_until else None,
                           "files": [], "timeline": []}
    if row.state not in (ArchiveState.sealed.value, ArchiveState.pruned.value) or not row.manifest_sha256:
        return out
    manifest = load_manifest(FileStore(get_settings().files_dir), row.manifest_sha256)
    files = manifest["files"]
    program = next((f for f in files if f["name"].startswith("program-video")), None)
    starts = [f["start_unix"] for f in files if f.get("start_unix")]
    origin = program["start_unix"] if program and program.get("start_unix") else (min(starts) if starts else 0.0)
    out["origin"] = origin
    for f in files:
        out["files"].append({
            "name": f["name"], "kind": f["kind"], "codec": f["codec"], "track": f["track"],
            "participant": f["participant"], "participant_name": f.get("participant_name") or f["participant"],
            "duration": f["duration"], "start": f["start"], "end": f["end"], "complete": f["complete"],
            "offset": round((f.get("start_unix") or origin) - origin, 3),
            "url": None if row.state == ArchiveState.pruned.value else
            f"/meetings/{meeting.id}/archive/files/{f['name']}",
        })
    out["mixed_url"] = (f"/meetings/{meeting.id}/archive/files/{MIXED}"
                        if row.mix_sha256 and row.state == ArchiveState.sealed.value and program else None)
    out["timeline"] = timeline(session, meeting, origin)
    return out


def timeline(session: Session, meeting: Meeting, origin: float) -> list[dict[str, Any]]:
    """Agenda items (at their planned start: the record has no actual times for them), speaking
    turns with names, host actions, attendance gaps; in order, each at its second on the program."""
    record = meeting_record(session, meeting.id)
    items: list[dict[str, Any]] = []
    if record.started_at is not None:
        planned = record.started_at.timestamp()
        for item in record.agenda:
            items.append({"kind": "agenda", "at": round(planned - origin, 3), "label": item.title,
                          "detail": item.presenter, "planned": True})
            planned += 60 * (item.minutes or 0)
    for speaker in record.speaking:
        for turn in speaker.turns:
            items.append({"kind": "turn", "at": _seconds(turn.started_at, origin), "label": speaker.name,
                          "participant": speaker.participant, "detail": speaker.unit.short_name or "",
                          "seconds": turn.seconds})
    for action in record.host_actions:
        items.append({"kind": "action", "at": _seconds(action.at, origin), "label": action.action,
                      "participant": action.actor, "detail": action.target})
    for unit in record.attendance:
        intervals = sorted(unit.intervals, key=lambda i: i.joined_at)
        for before, after in zip(intervals, intervals[1:], strict=False):
            if before.left_at is not None and after.joined_at > before.left_at:
                items.append({"kind": "gap", "at": _seconds(before.left_at, origin),
                              "until": _seconds(after.joined_at, origin), "label": unit.unit.short_name
                              or before.participant, "participant": before.participant, "detail": before.reason})
    items.sort(key=lambda i: (i["at"] if i["at"] is not None else 0.0))
    return items


@router.get("/api/meetings/{meeting_id}/archive", tags=["meetings"])
def archive_api(meeting_id: RowId, request: Request, user: User = Depends(staff),
                session: Session = Depends(db)) -> dict[str, Any]:
    """The meeting's archive: state, seal, files placed on the meeting's clock, and its timeline."""
    meeting = _readable(session, meeting_id, user)
    view = archive_view(session, meeting)
    _audit(request, user, "archive.view", meeting_id, {"state": view["state"]})
    return view


@router.get("/meetings/{meeting_id}/archive", include_in_schema=False)
def archive_page(meeting_id: RowId, request: Request, user: User = Depends(staff),
                 session: Session = Depends(db)) -> Response:
    meeting = _readable(session, meeting_id, user)
    view = archive_view(session, meeting)
    _audit(request, user, "archive.view", meeting_id, {"state": view["state"], "page": True})
    began = meeting.started_at or meeting.scheduled_at
    began = began if began.tzinfo else began.replace(tzinfo=UTC)
    return render(request, "conference/archive.html", {
        "meeting": meeting_json(meeting), "archive": view,
        "began": began.astimezone(VIETNAM).strftime("%H:%M ngày %d/%m/%Y")})


@router.get("/meetings/{meeting_id}/archive/files/{name}", include_in_schema=False)
def archive_file(meeting_id: RowId, name: str, request: Request, user: User = Depends(staff),
                 session: Session = Depends(db)) -> Response:
    """One recorded file from the store; Range requests are answered (seeking)."""
    meeting = _readable(session, meeting_id, user)
    row = session.get(MeetingArchive, meeting.id)
    if row is None or row.state != ArchiveState.sealed.value or not row.manifest_sha256:
        raise HTTPException(404, "Bản ghi chưa được niêm phong / the archive is not sealed (or was pruned)")
    store = FileStore(get_settings().files_dir)
    range_header = request.headers.get("range", "")
    if not range_header or range_header.replace(" ", "").startswith("bytes=0-"):
        _audit(request, user, "archive.play", meeting_id, {"file": name})
    if name == MIXED and row.mix_sha256:  # derived after sealing: the voices mixed beside the program video
        path = store.path_of(row.mix_sha256)
        if not path.exists():
            raise HTTPException(410, "Tệp trộn tiếng không còn trong kho / the mixed program is gone from the store")
        return FileResponse(path, media_type="video/webm", headers={"Cache-Control": "private, max-age=3600"})
    entry = next((f for f in load_manifest(store, row.manifest_sha256)["files"] if f["name"] == name), None)
    if entry is None:
        raise HTTPException(404, f"Không có tệp {name!r} trong bản ghi / no such file in the archive")
    path: Path = store.path_of(entry["sha256"])
    if not path.exists():
        raise HTTPException(410, f"Tệp {name!r} không còn trong kho / the file is gone from the store")
    ext = name.rsplit(".", 1)[-1]
    return FileResponse(path, media_type=MEDIA_TYPES.get((entry["kind"], ext), "application/octet-stream"),
                        headers={"Cache-Control": "private, max-age=3600"})

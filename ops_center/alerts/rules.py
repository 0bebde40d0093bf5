"""Alert rules: which signals (bus topics) raise or clear which alerts.

Rules are pure: a topic and its payload in, drafts out. Storing, deduplicating
and escalating is :mod:`ops_center.alerts.store`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving in Vietnam


class AlertKind(StrEnum):
    MOTION_NIGHT = "motion_night"
    PEOPLE_OVER = "people_over"
    CAMERA_OFFLINE = "camera_offline"
    ENDPOINT_OFFLINE = "endpoint_offline"
    DOSSIER_DUE = "dossier_due"
    URGENT_DOCUMENT = "urgent_document"
    LOGIN_ATTACK = "login_attack"
    RECORDING_STOPPED = "recording_stopped"
    CAMERA_CODEC = "camera_codec"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


KIND_TITLES = {
    AlertKind.MOTION_NIGHT: "Chuyển động ban đêm",
    AlertKind.PEOPLE_OVER: "Tụ tập đông người",
    AlertKind.CAMERA_OFFLINE: "Camera mất tín hiệu",
    AlertKind.ENDPOINT_OFFLINE: "Điểm cầu mất kết nối trong cuộc họp",
    AlertKind.DOSSIER_DUE: "Hồ sơ sắp quá hạn",
    AlertKind.URGENT_DOCUMENT: "Văn bản hỏa tốc chưa được chỉ đạo",
    AlertKind.LOGIN_ATTACK: "Đăng nhập sai nhiều lần",
    AlertKind.RECORDING_STOPPED: "Dừng ghi hình cuộc họp (cuộc họp vẫn tiếp tục)",
    AlertKind.CAMERA_CODEC: "Camera không xem trực tiếp được (luồng chính không phải H.264)",
}

# FFmpeg's codec names as people know them.
CODEC_NAMES = {"h264": "H.264", "hevc": "H.265", "mjpeg": "MJPEG", "mpeg4": "MPEG-4", "vp8": "VP8", "vp9": "VP9",
               "av1": "AV1", "theora": "Theora", "h263": "H.263"}


def codec_name(codec: str | None) -> str:
    return CODEC_NAMES.get(codec or "", (codec or "?").upper())


# Incoming documents' states before and from the leader's direction (documents.transitions).
UNDIRECTED_STATES = ("received", "registered", "submitted")
DIRECTED_STATES = ("directed", "processing", "done", "returned")
URGENT = ("hoa_toc", "thuong_khan")  # hỏa tốc, thượng khẩn


@dataclass(frozen=True)
class RuleConfig:
    kind: AlertKind
    enabled: bool = True
    severity: Severity = Severity.WARNING
    params: dict[str, Any] = field(default_factory=dict)
    camera_ids: tuple[str, ...] = ()  # empty: every camera

    def applies_to(self, camera_id: str) -> bool:
        return not self.camera_ids or camera_id in self.camera_ids


DEFAULT_RULES: dict[AlertKind, RuleConfig] = {
    AlertKind.MOTION_NIGHT: RuleConfig(AlertKind.MOTION_NIGHT, severity=Severity.WARNING,
                                       params={"night_start_hour": 22, "night_end_hour": 5}),
    AlertKind.PEOPLE_OVER: RuleConfig(AlertKind.PEOPLE_OVER, severity=Severity.WARNING, params={"threshold": 5}),
    AlertKind.CAMERA_OFFLINE: RuleConfig(AlertKind.CAMERA_OFFLINE, severity=Severity.CRITICAL),
    AlertKind.ENDPOINT_OFFLINE: RuleConfig(AlertKind.ENDPOINT_OFFLINE, severity=Severity.CRITICAL),
    AlertKind.DOSSIER_DUE: RuleConfig(AlertKind.DOSSIER_DUE, severity=Severity.WARNING,
                                      params={"within_working_days": 1}),
    AlertKind.URGENT_DOCUMENT: RuleConfig(AlertKind.URGENT_DOCUMENT, severity=Severity.CRITICAL,
                                          params={"urgencies": list(URGENT)}),
    AlertKind.LOGIN_ATTACK: RuleConfig(AlertKind.LOGIN_ATTACK, severity=Severity.CRITICAL),
    AlertKind.RECORDING_STOPPED: RuleConfig(AlertKind.RECORDING_STOPPED, severity=Severity.CRITICAL),
    # The camera is still analysed and recorded from its substream; only live viewing is degraded.
    AlertKind.CAMERA_CODEC: RuleConfig(AlertKind.CAMERA_CODEC, severity=Severity.WARNING),
}


@dataclass(frozen=True)
class AlertDraft:
    """Raise (or, with ``resolve``, clear) the alert identified by ``key``."""

    kind: AlertKind
    key: str  # one open alert per key: repeats bump its count instead of piling up
    severity: Severity
    title: str
    source: str
    detail: dict[str, Any] = field(default_factory=dict)
    resolve: bool = False


def is_night(at: float, start_hour: int, end_hour: int) -> bool:
    hour = datetime.fromtimestamp(at, UTC).astimezone(VIETNAM).hour
    if start_hour <= end_hour:
        return start_hour <= hour < end_hour
    return hour >= start_hour or hour < end_hour


def evaluate(topic: str, payload: dict[str, Any], rules: dict[AlertKind, RuleConfig],
             names: dict[str, str] | None = None) -> list[AlertDraft]:
    """Drafts for one signal. ``names`` maps camera ids to display names for titles."""
    names = names or {}

    def rule(kind: AlertKind) -> RuleConfig | None:
        r = rules.get(kind)
        return r if r is not None and r.enabled else None

    def draft(r: RuleConfig, key: str, source: str, label: str, detail: dict[str, Any],
              resolve: bool = False) -> AlertDraft:
        return AlertDraft(r.kind, key, r.severity, f"{KIND_TITLES[r.kind]}: {label}", source, detail, resolve)

    cam = str(payload.get("camera_id", ""))
    cam_name = names.get(cam, cam)
    out: list[AlertDraft] = []
    if topic in ("ops.camera.offline", "ops.camera.misconfigured", "ops.camera.online"):
        if (r := rule(AlertKind.CAMERA_OFFLINE)) and r.applies_to(cam):
            out.append(draft(r, f"camera_offline:{cam}", f"camera:{cam}", cam_name,
                             {k: payload.get(k) for k in ("at", "error", "last_frame_at", "downtime_s")
                              if payload.get(k) is not None},
                             resolve=topic == "ops.camera.online"))
    elif topic == "ops.camera.codec":
        # The wall forwards H.264 only: another codec on the main stream leaves the tile on substream pictures.
        if (r := rule(AlertKind.CAMERA_CODEC)) and r.applies_to(cam):
            codec = str(payload.get("codec") or "")
            out.append(draft(r, f"camera_codec:{cam}", f"camera:{cam}", f"{cam_name} gửi {codec_name(codec)}",
                             {"codec": codec, "at": payload.get("at")}, resolve=codec == "h264"))
    elif topic == "ops.motion.start":
        r = rule(AlertKind.MOTION_NIGHT)
        if r and r.applies_to(cam) and is_night(float(payload["at"]), int(r.params.get("night_start_hour", 22)),
                                                 int(r.params.get("night_end_hour", 5))):
            # One open alert per camera: further movement that night counts up on it rather than
            # burying the operator's list.
            out.append(draft(r, f"motion_night:{cam}", f"camera:{cam}", cam_name,
                             {"event_id": payload["event_id"], "at": payload["at"]}))
    elif topic == "ops.people.count":
        r = rule(AlertKind.PEOPLE_OVER)
        if r and r.applies_to(cam):
            threshold = int(r.params.get("threshold", 5))
            count = int(payload.get("count", 0))
            if count > threshold:
                out.append(draft(r, f"people_over:{cam}", f"camera:{cam}",
                                 f"{cam_name} ({count} người > {threshold})",
                                 {"count": count, "threshold": threshold, "at": payload.get("at")}))
    elif topic in ("conference.left", "conference.joined"):
        # A participant that dropped (as opposed to leaving, being removed, or the meeting ending).
        r = rule(AlertKind.ENDPOINT_OFFLINE)
        who = str(payload.get("participant") or "")
        meeting = payload.get("meeting")
        dropped = topic == "conference.left" and payload.get("reason") == "disconnected"
        if r and who and meeting is not None and (dropped or topic == "conference.joined"):
            label = str(payload.get("unit_name") or payload.get("unit") or who)
            out.append(draft(r, f"endpoint_offline:{meeting}:{who}", f"endpoint:{who}", label,
                             {"meeting": meeting, "participant": who, "unit": payload.get("unit")},
                             resolve=topic == "conference.joined"))
    elif topic == "conference.recording":
        # A media worker's recorder stopped (low disk): the meeting goes on unrecorded; one alert per meeting.
        r = rule(AlertKind.RECORDING_STOPPED)
        meeting = payload.get("meeting")
        if r and meeting is not None and payload.get("status") == "stopped":
            out.append(draft(r, f"recording_stopped:{meeting}", f"meeting:{meeting}",
                             f"cuộc họp số {meeting}: {payload.get('reason', '')}",
                             {"meeting": meeting, "reason": payload.get("reason"), "worker": payload.get("worker")}))
    elif topic in ("dossiers.due_soon", "dossiers.resolved"):
        r = rule(AlertKind.DOSSIER_DUE)
        dossier = payload.get("id", payload.get("dossier_id"))
        if r and dossier is not None:
            label = f"{payload.get('code') or dossier}" + (f" ({payload['unit']})" if payload.get("unit") else "")
            out.append(draft(r, f"dossier_due:{dossier}", f"dossier:{dossier}", label,
                             {k: v for k, v in payload.items()
                              if k in ("code", "unit", "procedure", "due_date", "working_days_left")},
                             resolve=topic == "dossiers.resolved"))
    elif topic in ("auth.locked", "auth.throttled"):
        # From the audit entries both login doors write (core.authentication): an account name locked after
        # wrong passwords from several addresses, or one address throttled after many wrong logins.
        r = rule(AlertKind.LOGIN_ATTACK)
        name, address = str(payload.get("actor", "")), str(payload.get("address", ""))
        if r and topic == "auth.locked":
            out.append(draft(r, f"login_attack:account:{name}", "auth", f"tài khoản {name} tạm khóa "
                             f"{payload.get('minutes')} phút ({payload.get('failures')} lần sai từ "
                             f"{payload.get('addresses')} địa chỉ)", payload))
        elif r:
            out.append(draft(r, f"login_attack:address:{address}", "auth", f"địa chỉ {address} tạm dừng "
                             f"{payload.get('minutes')} phút ({payload.get('failures')} lần sai, gần nhất: {name})",
                             payload))
    elif topic.startswith("documents.") and payload.get("register", "in") == "in":
        r = rule(AlertKind.URGENT_DOCUMENT)
        doc = payload.get("id", payload.get("document_id"))
        state = topic.split(".", 1)[1]
        urgent = str(payload.get("urgency", "")) in tuple(r.params.get("urgencies", URGENT)) if r else False
        if r and doc is not None and (state in UNDIRECTED_STATES and urgent or state in DIRECTED_STATES):
            label = str(payload.get("code") or payload.get("number") or doc)
            out.append(draft(r, f"urgent_document:{doc}", f"document:{doc}", label,
                             {k: v for k, v in payload.items() if k in ("code", "number", "abstract", "urgency",
                                                                         "unit_id", "at")},
                             resolve=state in DIRECTED_STATES))
    return out

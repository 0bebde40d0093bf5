"""The meeting pages: the list with the scheduling form, a meeting's page, the host console and the
district view. The pages are shells; the signaling client in `static/conference/js` does the rest."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import any_user, require_roles
from core.bounds import RowId
from core.folding import fold
from core.i18n import language_of, register, translate
from core.pages import render
from core.people import Role, User
from core.request_db import db
from core.units import meeting_point_order

from .models import Meeting, MeetingStatus
from .record import MeetingRecord, UnitAttendance, meeting_record
from .related import minutes_link
from .scheduling import can_see, may_read_record, meeting_json, visible_meeting

router = APIRouter(include_in_schema=False)
console_roles = require_roles(Role.chair, Role.secretary, Role.operator, Role.admin)
room_roles = require_roles(Role.endpoint)

register({
    "conf.meetings": ("Họp trực tuyến", "Online meetings"),
    "conf.schedule": ("Lên lịch cuộc họp", "Schedule a meeting"),
    "conf.title": ("Tên cuộc họp", "Title"),
    "conf.place": ("Địa điểm", "Place"),
    "conf.when": ("Thời gian", "Time"),
    "conf.chair": ("Chủ tọa", "Chair"),
    "conf.secretary": ("Thư ký", "Secretary"),
    "conf.agenda": ("Chương trình", "Agenda"),
    "conf.no_agenda": ("Chưa có chương trình", "No agenda yet"),
    "conf.agenda_hint": ("Mỗi dòng một nội dung; có thể ghi 'Nội dung | Người trình bày | số phút'",
                         "One item per line; optionally 'Item | Presenter | minutes'"),
    "conf.invited": ("Điểm cầu được mời", "Invited endpoints"),
    "conf.kind": ("Loại cuộc họp", "Kind of meeting"),
    "conf.kind.giao_ban": ("Giao ban", "Regular briefing"),
    "conf.kind.chuyen_de": ("Chuyên đề", "On one subject"),
    "conf.kind.khan": ("Khẩn", "Urgent"),
    "conf.record": ("Ghi hình, ghi âm cuộc họp", "Record the meeting"),
    "conf.record_hint": ("(lưu trữ, niêm phong bằng biên bản ký số)", "(archived, sealed by the signed minutes)"),
    "conf.all": ("Chọn tất cả", "Select all"),
    "conf.create": ("Lên lịch", "Schedule"),
    "conf.status": ("Trạng thái", "Status"),
    "conf.status.scheduled": ("Đã lên lịch", "Scheduled"),
    "conf.status.live": ("Đang họp", "In progress"),
    "conf.status.ended": ("Đã kết thúc", "Ended"),
    "conf.none": ("Chưa có cuộc họp nào", "No meetings yet"),
    "conf.open": ("Xem", "Open"),
    "conf.console": ("Bàn điều khiển", "Host console"),
    "conf.room": ("Vào phòng họp", "Enter the meeting"),
    "conf.start": ("Bắt đầu cuộc họp", "Start the meeting"),
    "conf.end": ("Kết thúc cuộc họp", "End the meeting"),
    "conf.end_confirm": ("Kết thúc cuộc họp cho tất cả điểm cầu?", "End the meeting for everyone?"),
    "conf.speaker": ("Người đang phát biểu", "Current speaker"),
    "conf.nobody": ("Chưa có ai phát biểu", "Nobody speaking"),
    "conf.mute": ("Tắt tiếng", "Mute"),
    "conf.unmute": ("Bật tiếng", "Unmute"),
    "conf.spotlight": ("Ghim", "Spotlight"),
    "conf.unspotlight": ("Bỏ ghim", "Unpin"),
    "conf.grant": ("Cho phát biểu", "Give the floor"),
    "conf.end_floor": ("Dừng phát biểu", "End their turn"),
    "conf.remove": ("Mời ra", "Remove"),
    "conf.remove_confirm": ("Ngắt kết nối điểm cầu này?", "Disconnect this endpoint?"),
    "conf.raise": ("Xin phát biểu", "Raise hand"),
    "conf.lower": ("Hủy xin phát biểu", "Lower hand"),
    "conf.speaking_now": ("Bạn đang phát biểu", "You have the floor"),
    "conf.hands": ("Xin phát biểu", "Raised hands"),
    "conf.offline": ("Chưa kết nối", "Not connected"),
    "conf.connected": ("Đã kết nối", "Connected"),
    "conf.muted": ("Đã tắt tiếng", "Muted"),
    "conf.q.good": ("Tốt", "Good"),
    "conf.q.fair": ("Trung bình", "Fair"),
    "conf.q.poor": ("Kém", "Poor"),
    "conf.ended": ("Cuộc họp đã kết thúc", "The meeting has ended"),
    "conf.ended_at": ("lúc", "at"),
    "conf.endpoints_attended": ("{n}/{of} điểm cầu", "{n} of {of} endpoints"),
    "conf.hall": ("hội trường chủ trì", "the chair's hall"),
    "conf.loss": ("mất gói", "loss"),
    "conf.st.signaling": ("Đang vào cuộc họp…", "Joining the meeting…"),
    "conf.st.new": ("Đang chuẩn bị hình và tiếng…", "Preparing audio and video…"),
    "conf.st.connecting": ("Đang kết nối hình và tiếng…", "Connecting audio and video…"),
    "conf.st.disconnected": ("Mất kết nối, đang thử lại…", "Connection lost, retrying…"),
    "conf.st.failed": ("Kết nối hình và tiếng bị lỗi", "Audio and video connection failed"),
    "conf.st.closed": ("Đã ngắt kết nối", "Disconnected"),
    "conf.st.reconnecting": ("Máy chủ vừa gián đoạn, đang kết nối lại…", "The server was interrupted, reconnecting…"),
    "conf.minutes_pending": ("Dự thảo biên bản đang được lập…", "The minutes draft is being made…"),
    "conf.minutes_ready": ("Mở dự thảo biên bản", "Open the minutes draft"),
    "conf.back_to_meeting": ("Trang cuộc họp", "The meeting's page"),
    "conf.self_view": ("Hình của bạn", "Your camera"),
    "conf.you": ("điểm cầu của bạn", "your endpoint"),
    "conf.src.floor": ("được mời phát biểu", "has the floor"),
    "conf.src.spotlight": ("được ghim", "spotlit"),
    "conf.removed": ("Điểm cầu đã bị mời ra khỏi cuộc họp", "This endpoint was removed from the meeting"),
    "conf.floor": ("Bạn được mời phát biểu", "You have the floor"),
    "conf.chair_view": ("Chủ tọa", "Chair"),
    "conf.attendance": ("Điểm danh", "Attendance"),
    "conf.absent": ("Vắng mặt", "Absent"),
    "conf.speaking": ("Thời gian phát biểu", "Speaking time"),
    "conf.col.speaker": ("Đơn vị / người phát biểu", "Unit / speaker"),
    "conf.col.turns": ("Số lượt", "Turns"),
    "conf.col.speaking_time": ("Thời gian", "Time"),
    "conf.actions": ("Thao tác điều hành", "Host actions"),
    "conf.connecting": ("Đang kết nối…", "Connecting…"),
    "conf.joined_as": ("Vai trò", "Role"),
    "conf.role.host": ("Chủ trì", "Host"),
    "conf.role.observer": ("Theo dõi", "Observer"),
    "conf.role.district": ("Điểm cầu", "District"),
    "conf.seconds": ("Thời gian (giây)", "Time (s)"),
    "conf.reason.left": ("rời họp", "left"),
    "conf.reason.disconnected": ("mất kết nối", "disconnected"),
    "conf.reason.removed": ("bị mời ra", "removed"),
    "conf.reason.ended": ("kết thúc họp", "meeting ended"),
    "conf.action.start": ("bắt đầu cuộc họp", "started the meeting"),
    "conf.action.end": ("kết thúc cuộc họp", "ended the meeting"),
    "conf.action.mute": ("tắt tiếng", "muted"),
    "conf.action.unmute": ("bật tiếng", "unmuted"),
    "conf.action.spotlight": ("ghim hình", "spotlit"),
    "conf.action.grant_floor": ("cho phát biểu", "gave the floor to"),
    "conf.action.remove": ("mời ra khỏi cuộc họp", "removed"),
    "conf.mic_off": ("Tắt micro", "Mute my microphone"),
    "conf.mic_on": ("Bật micro", "Unmute my microphone"),
    "conf.cam_off": ("Tắt camera", "Turn my camera off"),
    "conf.cam_on": ("Bật camera", "Turn my camera on"),
    "conf.mic_is_off": ("Micro tắt", "Microphone off"),
    "conf.cam_is_off": ("Camera tắt", "Camera off"),
    "conf.people": ("Người tham dự", "Participants"),
    "conf.me": ("bạn", "you"),
    "conf.people_search": ("Tìm người tham dự", "Find a participant"),
    "conf.dev.title": ("Thiết bị", "Devices"),
    "conf.dev.before": ("Chọn camera, micro và loa, xem hình và mức âm thanh trước khi vào họp",
                        "Choose camera, microphone and speaker, and check picture and sound before joining"),
    "conf.dev.camera": ("Camera", "Camera"),
    "conf.dev.microphone": ("Micro", "Microphone"),
    "conf.dev.level": ("Mức âm thanh", "Sound level"),
    "conf.dev.speaker": ("Loa", "Speaker"),
    "conf.dev.mic_on": ("Bật micro khi vào", "Microphone on when joining"),
    "conf.dev.cam_on": ("Bật camera khi vào", "Camera on when joining"),
    "conf.dev.apply": ("Áp dụng", "Apply"),
    "conf.screen": ("Trình chiếu", "Shared screen"),
    "conf.share": ("Trình chiếu màn hình", "Share screen"),
    "conf.share_stop": ("Dừng trình chiếu", "Stop sharing"),
    "conf.view.grid": ("Lưới hình", "Grid"),
    "conf.view.list": ("Danh sách", "List"),
    "conf.search": ("Tìm điểm cầu", "Find an endpoint"),
    "conf.search_hint": ("Gõ tên, có dấu hoặc không dấu", "Type a name, with or without accents"),
    "conf.filter": ("Lọc", "Filter"),
    "conf.filter.absent": ("Vắng mặt", "Absent"),
    "conf.filter.poor": ("Đường truyền kém", "Poor link"),
    "conf.filter.hand": ("Xin phát biểu", "Hand raised"),
    "conf.present_count": ("Có mặt", "Present"),
    "conf.page": ("Trang", "Page"),
    "conf.prev_page": ("Trang trước", "Previous page"),
    "conf.next_page": ("Trang sau", "Next page"),
    "conf.tour": ("Tự động chuyển trang", "Tour the pages"),
    "conf.tour_every": ("mỗi", "every"),
    "conf.tour_running": ("Đang tự chuyển", "Touring"),
    "conf.tour_paused": ("Tạm dừng vì bạn đang thao tác", "Paused while you work"),
    "conf.no_match": ("Không có điểm cầu nào khớp", "No endpoint matches"),
    "conf.col.unit": ("Điểm cầu", "Endpoint"),
    "conf.col.presence": ("Có mặt", "Presence"),
    "conf.col.link": ("Đường truyền", "Link"),
    "conf.col.hand": ("Giơ tay", "Hand"),
    "conf.col.audio": ("Âm thanh", "Audio"),
    "conf.present": ("Có mặt", "Present"),
    "conf.show_tile": ("Xem hình", "Show tile"),
    "conf.raised": ("Đang giơ tay", "Raised"),
})


def _meeting(session: Session, meeting_id: RowId, user: User) -> Meeting:
    return visible_meeting(session, meeting_id, user)


def _display_names(request: Request, session: Session, meeting: Meeting, record: MeetingRecord | None,
                   ) -> dict[str, str]:
    """What people read for the accounts a record names: "Trần Thị Bình (Thư ký)" for the meeting's
    hosts, the unit ("TP Vinh") for an endpoint, the person's name otherwise; never a login name."""
    if record is None:
        return {}
    accounts = {a.actor for a in (*record.host_actions, *record.hands_raised)}
    accounts |= {a.target for a in record.host_actions if a.target}
    accounts |= {p for unit in record.attendance for p in unit.participants}
    lang = language_of(request)
    names = {}
    for person in session.execute(select(User).where(User.username.in_(accounts))).scalars():
        if person.id == meeting.chair_id:
            names[person.username] = f"{person.full_name} ({translate('conf.chair', lang)})"
        elif person.id == meeting.secretary_id:
            names[person.username] = f"{person.full_name} ({translate('conf.secretary', lang)})"
        elif person.role == Role.endpoint and person.unit is not None:
            names[person.username] = person.unit.short_name
        else:
            names[person.username] = person.full_name
    return names


@router.get("/meetings")
def meetings_page(request: Request, user: User = Depends(any_user), session: Session = Depends(db)) -> Response:
    meetings = [m for m in session.execute(select(Meeting).order_by(Meeting.scheduled_at.desc()).limit(200))
                .scalars() if can_see(m, user)]
    can_schedule = user.role in (Role.chair, Role.secretary, Role.admin)
    people = endpoints = []
    if can_schedule:
        people = list(session.execute(select(User).where(User.role.in_([Role.chair, Role.secretary]), User.active)
                                      .order_by(User.role, User.full_name)).scalars())
        endpoints = list(session.execute(select(User).where(User.role == Role.endpoint, User.active)
                                         .order_by(User.username)).scalars())
        endpoints.sort(key=lambda u: meeting_point_order(u.unit))
    return render(request, "conference/meetings.html", {
        "meetings": [meeting_json(m) for m in meetings], "can_schedule": can_schedule,
        "chairs": [u for u in people if u.role == Role.chair],
        "secretaries": [u for u in people if u.role == Role.secretary], "endpoints": endpoints})


# The signaling roles of the hall's own connections (the chair's and secretary's consoles, observers), as
# the minutes take them (documents.minutes.record_source): any other role joined from a unit's meeting point.
HALL_ROLES = frozenset({"host", "observer"})


def _hall(attendance: UnitAttendance) -> bool:
    """Whether a unit's attendance is the hall's own (every interval from a hall role)."""
    return all(i.role in HALL_ROLES for i in attendance.intervals)


@router.get("/meetings/{meeting_id}")
def meeting_page(meeting_id: RowId, request: Request, user: User = Depends(any_user),
                 session: Session = Depends(db)) -> Response:
    meeting = _meeting(session, meeting_id, user)
    # The record (attendance, speaking) only for those core.record_access admits; others see the agenda.
    record = meeting_record(session, meeting_id) if may_read_record(session, meeting, user) else None
    return render(request, "conference/meeting.html", {
        "meeting": meeting_json(meeting), "record": record, "names": _display_names(request, session, meeting, record),
        # Endpoints are the units' meeting points: the hall's own connections are not counted.
        "endpoints_attended": sum(1 for a in record.attendance if not _hall(a)) if record else 0, "is_hall": _hall,
        "is_host": meeting.is_host(user) or user.role == Role.admin,
        "can_console": user.role in (Role.chair, Role.secretary, Role.operator, Role.admin),
        "minutes": minutes_link(session, meeting.id, user, language_of(request))
        if meeting.status == MeetingStatus.ended else None,
        "is_endpoint": user.role == Role.endpoint})


@router.get("/meetings/{meeting_id}/console")
def console_page(meeting_id: RowId, request: Request, user: User = Depends(console_roles),
                 session: Session = Depends(db)) -> Response:
    meeting = _meeting(session, meeting_id, user)
    role = "host" if meeting.is_host(user) else "observer"
    data = meeting_json(meeting)
    # Search folds accents the one way the system does (core.folding); the console folds what is typed
    # the same way (NFD, marks dropped, đ → d, lower case).
    search = {e["username"]: fold(f"{e['unit_name'] or ''} {e['name']}") for e in data["invited"]}  # type: ignore[attr-defined, index]
    return render(request, "conference/console.html", {"meeting": data, "role": role, "search": search})


@router.get("/meetings/{meeting_id}/room")
def room_page(meeting_id: RowId, request: Request, user: User = Depends(room_roles),
              session: Session = Depends(db)) -> Response:
    meeting = _meeting(session, meeting_id, user)
    return render(request, "conference/room.html", {"meeting": meeting_json(meeting)})

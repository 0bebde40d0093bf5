"""The registry page's words, Vietnamese first."""

from __future__ import annotations

from core.i18n import register

PHRASES = {
    "endpoints.title": ("Điểm cầu trực tuyến", "Meeting endpoints"),
    "endpoints.summary": ("{online}/{total} điểm cầu đang trực tuyến", "{online} of {total} endpoints online"),
    "endpoints.alerts": ("Cảnh báo", "Alerts"),
    "endpoints.alert_line": ("{name} chưa kết nối nhưng có lịch trong cuộc họp “{meeting}”",
                             "{name} is offline but due in the meeting “{meeting}”"),
    "endpoints.no_alerts": ("Không có cảnh báo", "No alerts"),
    "endpoints.col.endpoint": ("Điểm cầu", "Endpoint"),
    "endpoints.col.state": ("Trạng thái", "State"),
    "endpoints.col.last_seen": ("Lần cuối", "Last seen"),
    "endpoints.col.meeting": ("Cuộc họp", "Meeting"),
    "endpoints.col.quality": ("Chất lượng đường truyền", "Link quality"),
    "endpoints.col.devices": ("Camera / micro", "Camera / mic"),
    "endpoints.col.version": ("Phiên bản", "Version"),
    "endpoints.online": ("Trực tuyến", "Online"),
    "endpoints.offline": ("Mất kết nối", "Offline"),
    "endpoints.never": ("Chưa từng kết nối", "Never seen"),
    "endpoints.client.browser": ("vào từ phòng họp trên trình duyệt", "joined from the browser room"),
    "endpoints.status.waiting": ("Chờ cuộc họp", "Waiting for a meeting"),
    "endpoints.status.joining": ("Đang vào họp", "Joining"),
    "endpoints.status.in_meeting": ("Đang họp", "In the meeting"),
    "endpoints.status.reconnecting": ("Đang kết nối lại", "Reconnecting"),
    "endpoints.status.connecting": ("Đang kết nối máy chủ", "Connecting to the server"),
    "endpoints.status.starting": ("Đang khởi động", "Starting"),
    "endpoints.status.failed": ("Lỗi", "Failed"),
    "endpoints.status.stopped": ("Đã dừng", "Stopped"),
    "endpoints.quality.good": ("Tốt", "Good"),
    "endpoints.quality.fair": ("Trung bình", "Fair"),
    "endpoints.quality.poor": ("Kém", "Poor"),
    "endpoints.device.ok": ("hoạt động", "working"),
    "endpoints.device.test": ("tín hiệu thử", "test signal"),
    "endpoints.device.lost": ("MẤT", "LOST"),
    "endpoints.device.off": ("tắt", "off"),
    "endpoints.due": ("Có lịch họp: {meeting}", "Due in: {meeting}"),
    "endpoints.rejoins": ("{n} lần tự kết nối lại", "{n} automatic rejoins"),
}


def register_texts() -> None:
    register(PHRASES)

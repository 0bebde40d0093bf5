"""Interface text in Vietnamese first, English second. Each package registers its own phrases."""

from __future__ import annotations

from starlette.requests import HTTPConnection

LANGUAGES = ("vi", "en")
_catalog: dict[str, tuple[str, str]] = {}


def register(phrases: dict[str, tuple[str, str]]) -> None:
    """Add `key: (vietnamese, english)` phrases; keys are namespaced by package, e.g. `documents.register`."""
    _catalog.update(phrases)


def translate(key: str, lang: str = "vi") -> str:
    pair = _catalog.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def one_language(message: str, lang: str = "vi") -> str:
    """The person's half of a refusal written `Tiếng Việt / English` (core.errors' messages): pages show
    one language; the API keeps both. A message without the separator is returned whole."""
    vietnamese, separator, english = message.partition(" / ")
    if not separator:
        return message
    return english.strip() if lang == "en" else vietnamese.strip()


def language_of(conn: HTTPConnection) -> str:
    lang = conn.query_params.get("lang") or conn.cookies.get("lang") or "vi"
    return lang if lang in LANGUAGES else "vi"


register({
    "app.name": ("Giao ban trực tuyến tỉnh Nghệ An", "Nghệ An provincial online meetings"),
    "app.short": ("Giao ban", "Giaoban"),
    "nav.meetings": ("Họp trực tuyến", "Online meetings"),
    "nav.ops": ("Trung tâm điều hành", "Operations center"),
    "nav.documents": ("Văn bản", "Documents"),
    "nav.dossiers": ("Hồ sơ", "Dossiers"),
    "nav.minutes": ("Biên bản", "Minutes"),
    "nav.endpoints": ("Điểm cầu", "Endpoints"),
    "nav.admin": ("Quản trị", "Administration"),
    "nav.home": ("Trang chủ", "Home"),
    "auth.login": ("Đăng nhập", "Log in"),
    "auth.logout": ("Đăng xuất", "Log out"),
    "auth.username": ("Tên đăng nhập", "Username"),
    "auth.password": ("Mật khẩu", "Password"),
    "auth.bad_credentials": ("Sai tên đăng nhập hoặc mật khẩu. Sau nhiều lần sai, tài khoản bị tạm khóa một thời "
                             "gian; nếu cần, hãy liên hệ quản trị hệ thống",
                             "Wrong username or password. After repeated failures an account is locked for a "
                             "while; ask an administrator if you need to"),
    "auth.throttled": ("Có quá nhiều lần đăng nhập sai từ máy này; thử lại sau {minutes} phút",
                       "Too many failed logins from this address; try again in {minutes} minutes"),
    "auth.notice_title": ("Đăng nhập sai vào tài khoản của bạn", "Failed logins to your account"),
    "auth.notice": ("Có {failed} lần đăng nhập sai vào tài khoản của bạn kể từ lần đăng nhập trước, từ: {addresses}. "
                    "Nếu không phải bạn, hãy báo quản trị hệ thống.",
                    "{failed} failed logins to your account since your previous login, from: {addresses}. "
                    "If that was not you, tell the administrators."),
    "auth.continue": ("Tiếp tục", "Continue"),
    "auth.inactive": ("Tài khoản đã bị vô hiệu hóa", "This account is disabled"),
    "home.welcome": ("Xin chào", "Welcome"),
    "home.role": ("Vai trò", "Role"),
    "home.unit": ("Đơn vị", "Unit"),
    "lang.switch": ("English", "Tiếng Việt"),
})

register({
    "home.meetings_hint": ("Lịch họp, phòng họp và các điểm cầu", "Schedule, meeting room and the endpoints"),
    "home.ops_hint": ("Camera, cảnh báo, cuộc họp, văn bản và hồ sơ trên một màn hình",
                      "Cameras, alerts, the meeting, documents and dossiers on one screen"),
    "home.documents_hint": ("Sổ văn bản đến, văn bản đi, xử lý và tìm kiếm",
                            "Incoming and outgoing registers, workflow and search"),
    "home.dossiers_hint": ("Hồ sơ thủ tục hành chính và thời hạn giải quyết",
                           "Administrative dossiers and their deadlines"),
    "home.minutes_hint": ("Biên bản cuộc họp, ký số và phát hành", "Meeting minutes, digital signing and issue"),
    "home.live_now": ("Cuộc họp đang diễn ra", "Meeting in progress"),
    "home.no_live": ("Chưa có cuộc họp nào đang diễn ra", "No meeting in progress"),
    "home.no_live_hint": ("Khi chủ tọa bắt đầu cuộc họp có mời điểm cầu này, nút vào phòng họp sẽ tự hiện ở đây.",
                          "When the chair starts a meeting this endpoint is invited to, the button to enter the "
                          "room appears here by itself."),
    "home.upcoming": ("Cuộc họp sắp tới", "Upcoming meetings"),
    "home.endpoints_hint": ("Tình trạng kết nối và cảnh báo của các điểm cầu",
                            "Connection state and alerts of the meeting endpoints"),
})

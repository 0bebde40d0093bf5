"""Interface text of the minutes pages, Vietnamese first."""

from __future__ import annotations

from core.i18n import register

PHRASES: dict[str, tuple[str, str]] = {
    "minutes.title": ("Biên bản cuộc họp", "Meeting minutes"),
    "minutes.none": ("Chưa có biên bản nào", "No minutes yet"),
    "minutes.subject": ("Trích yếu", "Subject"),
    "minutes.meeting": ("Cuộc họp", "Meeting"),
    "minutes.pick_meeting": ("Cuộc họp đã kết thúc", "Ended meeting"),
    "minutes.no_ended": ("Mọi cuộc họp đã kết thúc đều đã có biên bản", "Every ended meeting already has minutes"),
    "minutes.of_meeting": ("Biên bản cuộc họp", "Minutes of the meeting"),
    "minutes.draft_this": ("Lập dự thảo biên bản", "Draft the minutes"),
    "minutes.not_drafted": ("Chưa có biên bản", "No minutes yet"),
    "minutes.read_only": ("Biên bản đã được ký nên không còn sửa được. Nội dung dưới đây là bản đã ký; bản PDF "
                          "bên cạnh là văn bản có giá trị.",
                          "The minutes have been signed and can no longer be changed. Below is the signed "
                          "text; the PDF beside it is the document of record."),
    "minutes.view_only": ("Chỉ thư ký của cuộc họp sửa dự thảo; bạn đang xem.",
                          "Only the meeting's secretary edits the draft; you are viewing it."),
    "minutes.recipients_heading": ("Nơi nhận", "Recipients"),
    "minutes.none_text": ("(không có)", "(none)"),
    "minutes.status": ("Trạng thái", "Status"),
    "minutes.number": ("Số, ký hiệu", "Number"),
    "minutes.updated": ("Cập nhật", "Updated"),
    "minutes.open": ("Mở", "Open"),
    "minutes.draft_from": ("Lập dự thảo biên bản từ cuộc họp đã kết thúc", "Draft minutes from an ended meeting"),
    "minutes.draft": ("Lập dự thảo", "Make the draft"),
    "minutes.verify": ("Kiểm tra chữ ký số trên tệp PDF", "Check the signatures of a PDF"),
    "minutes.verify_button": ("Kiểm tra", "Check"),
    "minutes.facts": ("Thông tin từ cuộc họp", "From the meeting record"),
    "minutes.time": ("Thời gian", "Time"),
    "minutes.place": ("Địa điểm", "Place"),
    "minutes.chair": ("Chủ tọa", "Chair"),
    "minutes.secretary": ("Thư ký", "Secretary"),
    "minutes.units": ("Đơn vị tham dự", "Attending units"),
    "minutes.speakers": ("Phát biểu", "Speakers"),
    "minutes.actions": ("Điều hành", "Host actions"),
    "minutes.proceedings": ("Diễn biến", "Proceedings"),
    "minutes.conclusions": ("Kết luận", "Conclusions"),
    "minutes.assignments": ("Phân công nhiệm vụ", "Assignments"),
    "minutes.assignment_unit": ("Đơn vị chủ trì", "Lead unit"),
    "minutes.assignment_task": ("Nhiệm vụ", "Task"),
    "minutes.assignment_deadline": ("Thời hạn", "Deadline"),
    "minutes.add_assignment": ("Thêm nhiệm vụ", "Add a task"),
    "minutes.sections": ("Mục khác", "Other sections"),
    "minutes.add_section": ("Thêm mục", "Add a section"),
    "minutes.heading": ("Tiêu đề mục", "Heading"),
    "minutes.recipients": ("Nơi nhận (mỗi dòng một nơi)", "Recipients (one per line)"),
    "minutes.remove": ("Xóa", "Remove"),
    "minutes.save": ("Lưu", "Save"),
    "minutes.saved": ("Đã lưu", "Saved"),
    "minutes.preview": ("Xem trước bản PDF", "PDF preview"),
    "minutes.sign": ("Ký số", "Sign"),
    "minutes.pin": ("Mã PIN chứng thư số", "Certificate PIN"),
    "minutes.otp": ("Mã OTP (nếu có)", "OTP (if required)"),
    "minutes.sign_confirm": ("Ký", "Sign"),
    "minutes.cancel": ("Hủy", "Cancel"),
    "minutes.signing": ("Đang ký…", "Signing…"),
    "minutes.signatures": ("Chữ ký", "Signatures"),
    "minutes.role.secretary": ("Thư ký", "Secretary"),
    "minutes.role.chair": ("Chủ tọa", "Chair"),
    "minutes.role.organisation": ("Cơ quan (đóng dấu)", "Organisation (seal)"),
    "minutes.send": ("Gửi các đơn vị tham dự", "Send to the attending units"),
    "minutes.sent": ("Đã gửi", "Sent"),
    "minutes.download": ("Tải PDF", "Download the PDF"),
}


def register_all() -> None:
    register(PHRASES)

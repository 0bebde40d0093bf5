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
    "minutes.dialog_title": ("Xác nhận ký số", "Confirm the signature"),
    "minutes.dialog_signatory": ("Người ký", "Signatory"),
    "minutes.dialog_role": ("Ký với vai trò", "Signing as"),
    "minutes.dialog_document": ("Văn bản", "Document"),
    "minutes.dialog_number": ("Số, ký hiệu", "Number"),
    "minutes.dialog_hash": ("Mã băm (SHA-256) của bản được ký", "Hash (SHA-256) of the version being signed"),
    "minutes.dialog_hash_full": ("Xem đầy đủ", "Show in full"),
    "minutes.dialog_hash_hint": ("Bản biên bản có mã băm này là bản bạn ủy quyền ký; nếu biên bản thay đổi trước "
                                 "khi ký, sẽ không có gì được ký.",
                                 "The version with this hash is what you authorise; if the minutes change before "
                                 "signing, nothing is signed."),
    "minutes.dialog_for": ("thay mặt", "for"),
    "minutes.signer_role.secretary": ("Thư ký cuộc họp", "Secretary of the meeting"),
    "minutes.signer_role.chair": ("Chủ tọa cuộc họp", "Chair of the meeting"),
    "minutes.signer_role.organisation": ("Văn thư — ký số của cơ quan, đóng dấu và cấp số",
                                         "Clerk — the organisation's signature, seal and number"),
    "minutes.number_expected": ("dự kiến {code} (cấp khi ký)", "expected {code} (given on signing)"),
    "minutes.number_later": ("chưa có số (văn thư cấp số khi đóng dấu)",
                             "no number yet (the clerk gives it with the seal)"),
    "minutes.verify_this": ("Kiểm tra chữ ký số của biên bản này", "Check the signatures of these minutes"),
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
    "minutes.role.organisation": ("Cơ quan, đóng dấu", "Organisation, with the seal"),
    "minutes.send": ("Gửi các đơn vị tham dự", "Send to the attending units"),
    "minutes.sent": ("Đã gửi các đơn vị tham dự", "Sent to the attending units"),
    "minutes.sent_count": ("Đã gửi {n} đơn vị tham dự", "Sent to {n} attending units"),
    "minutes.sending": ("Đang gửi…", "Sending…"),
    "minutes.download": ("Tải PDF", "Download the PDF"),
}


# The signature check's machine values (documents.minutes.verification, pyHanko) as people read them.
VERDICTS = {
    "valid": ("Hợp lệ", "Valid"),
    "invalid": ("Không hợp lệ", "Invalid"),
    "not_trusted": ("Chứng thư số không do CA của tỉnh cấp", "Certificate not issued by the province's CA"),
    "damaged": ("Tệp đã bị sửa sau khi ký hoặc chữ ký hỏng", "Changed after signing, or the signature is damaged"),
}
MODIFICATIONS = {
    "NONE": ("Không có thay đổi sau chữ ký", "Nothing changed after this signature"),
    "LTA_UPDATES": ("Sau chữ ký chỉ thêm dữ liệu kiểm tra dài hạn (dấu thời gian, OCSP/CRL)",
                    "After it only long-term validation data was added (timestamps, OCSP/CRL)"),
    "FORM_FILLING": ("Sau chữ ký chỉ thêm chữ ký, số văn bản vào ô dành sẵn (được phép)",
                     "After it only signatures and the number were filled into prepared fields (allowed)"),
    "ANNOTATIONS": ("Sau chữ ký có thêm ghi chú", "Annotations were added after it"),
    "OTHER": ("Sau chữ ký nội dung đã bị thay đổi", "The content was changed after it"),
}
FIELDS = {"ThuKy": ("Thư ký", "Secretary"), "ChuToa": ("Chủ tọa", "Chair"),
          "DauCoQuan": ("Cơ quan, đóng dấu", "Organisation, with the seal")}
VERIFY_TEXT = {
    "count": ("Tệp có {n} chữ ký số", "The file has {n} digital signatures"),
    "all_valid": ("Tất cả hợp lệ.", "All are valid."),
    "not_all_valid": ("Có chữ ký không hợp lệ.", "Not every signature is valid."),
    "ltv": ("Có dữ liệu để kiểm tra lâu dài (LTV).", "Long-term validation data is included (LTV)."),
}
COLUMNS = (("Chữ ký", "Signature"), ("Người ký (chứng thư số)", "Signed by (certificate)"),
           ("Thời điểm ký", "Signed at"), ("Kết quả", "Result"), ("Thay đổi sau khi ký", "Changes after signing"))


def verify_words(lang: str) -> dict[str, object]:
    """The words the signature-check table uses, in the page's language (for static/minutes/verify_report.js)."""
    pick = 1 if lang == "en" else 0
    return {"verdicts": {k: v[pick] for k, v in VERDICTS.items()},
            "modifications": {k: v[pick] for k, v in MODIFICATIONS.items()},
            "fields": {k: v[pick] for k, v in FIELDS.items()},
            "columns": [c[pick] for c in COLUMNS], **{k: v[pick] for k, v in VERIFY_TEXT.items()}}


def register_all() -> None:
    register(PHRASES)

"""The national portal's dossier status codes and the state machine over them: which action moves a
dossier from which status to which, and which role may take it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from core.people import Role


class Status(IntEnum):
    submitted = 1  # mới nộp (online, chưa kiểm tra)
    accepted = 2  # đã tiếp nhận
    refused = 3  # từ chối tiếp nhận
    processing = 4  # đang xử lý
    supplement = 5  # yêu cầu bổ sung
    payment = 6  # yêu cầu thực hiện nghĩa vụ tài chính
    withdrawn = 7  # công dân rút hồ sơ
    stopped = 8  # dừng xử lý
    processed = 9  # đã xử lý xong
    returned = 10  # đã trả kết quả


STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.submitted: ("Mới nộp", "Submitted"),
    Status.accepted: ("Đã tiếp nhận", "Accepted"),
    Status.refused: ("Từ chối tiếp nhận", "Refused"),
    Status.processing: ("Đang xử lý", "Processing"),
    Status.supplement: ("Yêu cầu bổ sung", "Supplement requested"),
    Status.payment: ("Chờ thực hiện nghĩa vụ tài chính", "Payment requested"),
    Status.withdrawn: ("Rút hồ sơ", "Withdrawn"),
    Status.stopped: ("Dừng xử lý", "Stopped"),
    Status.processed: ("Đã xử lý xong", "Processed"),
    Status.returned: ("Đã trả kết quả", "Result returned"),
}

PAUSED = frozenset({Status.supplement, Status.payment, Status.stopped})
RESOLVED = frozenset({Status.processed, Status.returned})
CLOSED = frozenset({Status.refused, Status.withdrawn})
IN_PROGRESS = frozenset(Status) - RESOLVED - CLOSED


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]
    needs_comment: bool = False
    # Within status 4: None = either, True = only once submitted for approval, False = only before.
    awaiting_approval: bool | None = None


def _a(name: str, label: str, sources: set[Status], target: Status, roles: set[Role], *,
       needs_comment: bool = False, awaiting: bool | None = None) -> Action:
    return Action(name, label, frozenset(sources), target, frozenset(roles), needs_comment, awaiting)


S, R = Status, Role
ACTIONS: dict[str, Action] = {a.name: a for a in (
    _a("accept", "Tiếp nhận hồ sơ trực tuyến", {S.submitted}, S.accepted, {R.officer}),
    _a("refuse", "Từ chối tiếp nhận", {S.submitted, S.accepted}, S.refused, {R.officer}, needs_comment=True),
    _a("start", "Bắt đầu xử lý", {S.accepted}, S.processing, {R.specialist}),
    _a("request_supplement", "Yêu cầu bổ sung hồ sơ", {S.accepted, S.processing}, S.supplement,
       {R.specialist, R.officer}, needs_comment=True, awaiting=False),
    _a("supplement_received", "Nhận hồ sơ bổ sung", {S.supplement}, S.processing, {R.officer}),
    _a("request_payment", "Yêu cầu thực hiện nghĩa vụ tài chính", {S.processing}, S.payment, {R.specialist},
       needs_comment=True, awaiting=False),
    _a("payment_received", "Đã thực hiện nghĩa vụ tài chính", {S.payment}, S.processing, {R.officer}),
    _a("stop", "Dừng xử lý", {S.processing}, S.stopped, {R.specialist}, needs_comment=True, awaiting=False),
    _a("resume", "Tiếp tục xử lý", {S.stopped}, S.processing, {R.specialist}),
    _a("submit", "Trình lãnh đạo phê duyệt", {S.processing}, S.processing, {R.specialist}, awaiting=False),
    _a("send_back", "Trả lại chuyên viên", {S.processing}, S.processing, {R.chair}, needs_comment=True,
       awaiting=True),
    _a("approve", "Phê duyệt kết quả", {S.processing}, S.processed, {R.chair}, awaiting=True),
    _a("return_result", "Trả kết quả cho công dân", {S.processed}, S.returned, {R.officer}),
    _a("withdraw", "Công dân rút hồ sơ", {S.submitted, S.accepted, S.processing, S.supplement, S.payment,
                                          S.stopped}, S.withdrawn, {R.officer}, needs_comment=True),
)}

# Roles that take part in the dossier workflow at all (route-level check).
WORKFLOW_ROLES = frozenset(r for a in ACTIONS.values() for r in a.roles)


def label(status: int, lang: str = "vi") -> str:
    vi, en = STATUS_LABELS[Status(status)]
    return en if lang == "en" else vi


def available(status: int, awaiting_approval: bool, role: Role) -> list[Action]:
    """Actions this role can take on a dossier in this status (for the page's buttons)."""
    return [a for a in ACTIONS.values() if Status(status) in a.sources and role in a.roles
            and (a.awaiting_approval is None or a.awaiting_approval == awaiting_approval)]

"""The biên bản PDF without any service: Vietnamese text extracts as written (pdftotext), long minutes
flow over pages with the signature block kept whole, and the conference record adapter's refusals."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from core.errors import Kind
from documents.minutes.content import Assignment, FreeSection, initial_content
from documents.minutes.form_fields import NUMBER_FIELD, SIGNATURE_FIELDS, with_fields
from documents.minutes.layout import PAGE_H, Issuer, render
from documents.minutes.record_source import RecordUnavailable, source_from_record
from documents.minutes.source import AgendaItem, Interval, MinutesSource, Person, SpeakingTime, UnitAttendance

ISSUER = Issuer("Ủy ban nhân dân tỉnh Nghệ An", "UBND")
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
PANGRAM = "Thử nghiệm: ặẫẩậắằẳẵẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ ĐƯƠ đươ."


def _source(units: int = 3) -> MinutesSource:
    return MinutesSource(
        meeting_id=7, title="Họp bàn phương án ứng phó bão số 5", started_at=T0,
        ended_at=T0 + timedelta(hours=1, minutes=45), place="Hội trường UBND tỉnh",
        chair=Person(username="chutoa", full_name="Nguyễn Văn An", position="Chủ tịch UBND tỉnh"),
        secretary=Person(username="thuky", full_name="Trần Thị Bình"),
        agenda=[AgendaItem(title="Đánh giá thiệt hại", presenter="Sở Nông nghiệp và Phát triển nông thôn")],
        attendance=[UnitAttendance(unit_code=f"000.00.{30 + i}.H41", unit_name=f"Ủy ban nhân dân huyện Số {i}",
                                   endpoint=f"dc-{i}", intervals=[Interval(joined_at=T0 + timedelta(minutes=i))])
                    for i in range(units)],
        speaking=[SpeakingTime(full_name="Lê Thị Hường", unit_name="Sở Y tế", seconds=125.4, turns=2)],
    )


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "m.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_vietnamese_text_extracts_as_written(tmp_path: Path) -> None:
    source = _source()
    content = initial_content(source)
    content.conclusions = PANGRAM
    text = _text(render(source, content, ISSUER).pdf, tmp_path)
    for expected in (PANGRAM, "ỦY BAN NHÂN DÂN", "TỈNH NGHỆ AN", "Số: /BB-UBND", "BIÊN BẢN",
                     "Họp bàn phương án ứng phó bão số 5", "08 giờ 00 phút, ngày 24 tháng 11 năm 2026",
                     "09 giờ 45 phút, ngày 24 tháng 11 năm 2026", "Lê Thị Hường", "2 phút 05 giây",
                     "08:02–kết thúc", "Nơi nhận:", "Lưu: VT."):
        assert expected in text, expected


def test_long_minutes_keep_the_signature_block_whole(tmp_path: Path) -> None:
    source = _source(units=26)
    content = initial_content(source)
    content.assignments = [Assignment(unit=f"Sở ngành {i}", task="Báo cáo kết quả khắc phục hậu quả " * 4)
                           for i in range(25)]
    content.sections = [FreeSection(heading="Ý kiến các đại biểu", body="Đề nghị hỗ trợ kinh phí. " * 80)]
    rendered = render(source, content, ISSUER)
    assert rendered.pages >= 3
    secretary, chair, seal = (rendered.boxes[k] for k in ("secretary", "chair", "organisation"))
    assert secretary.page == chair.page == seal.page >= 1  # the block is never split over two pages
    for box in (secretary, chair, seal):
        assert 0 < box.y0 < box.y1 < PAGE_H * 72 / 25.4
    assert seal.x0 < chair.x0 < seal.x1  # the seal overlaps the chair's signature from the left
    pdf = with_fields(rendered.pdf, rendered.boxes)
    reader = PdfFileReader(BytesIO(pdf))
    names = {f.get_object()["/T"] for f in reader.root["/AcroForm"]["/Fields"]}
    assert names == {*SIGNATURE_FIELDS.values(), NUMBER_FIELD}
    assert [s.field_name for s in reader.embedded_signatures] == []
    text = _text(pdf, tmp_path)
    assert "Sở ngành 24" in text and text.count("THƯ KÝ") == 1 and text.count("CHỦ TỌA") == 1


def _record(**changes: object) -> dict:
    record = {
        "id": 3, "title": "Giao ban", "place": "", "status": "ended", "scheduled_at": T0, "started_at": T0,
        "ended_at": T0 + timedelta(hours=1),
        "chair": {"username": "chutoa", "full_name": "Nguyễn Văn An", "position": "Chủ tịch"},
        "secretary": {"username": "thuky", "full_name": "Trần Thị Bình", "position": "Chuyên viên"},
        "agenda": [{"position": 1, "title": "Nội dung 1", "presenter": "", "minutes": None}],
        "attendance": [{"unit": {"code": "000.00.31.H41", "name": "UBND thành phố Vinh", "short_name": "Vinh"},
                        "participants": ["dc-vinh"], "intervals": [
                            {"participant": "dc-vinh", "role": "district", "joined_at": T0, "left_at": None,
                             "seconds": 60.0, "reason": ""}],
                        "total_seconds": 60.0, "first_joined": T0, "last_left": None, "reconnects": 0}],
        "absent": [{"code": "000.00.33.H41", "name": "Ủy ban nhân dân thị xã Thái Hòa", "short_name": "TX Thái Hòa"}],
        "speaking": [], "host_actions": [
            {"at": T0, "actor": "chutoa", "action": "start", "target": "", "detail": {}},
            {"at": T0, "actor": "chutoa", "action": "spotlight", "target": "dc-vinh", "detail": {}}],
    }
    record.update(changes)
    return record


def test_record_adapter() -> None:
    source = source_from_record(_record(), {"dc-vinh": "Điểm cầu TP Vinh"})
    assert source.place.startswith("Hội trường UBND tỉnh")  # the provincial hall when none was set
    assert source.attendance[0].endpoint == "Điểm cầu TP Vinh" and source.attendance[0].intervals[0].left_at is None
    assert source.absent == ["Ủy ban nhân dân thị xã Thái Hòa"]
    assert len(source.host_actions) == 1  # start and end are the minutes' own times, not listed again
    action = source.host_actions[0]
    assert (action.actor, action.action, action.description) == ("Nguyễn Văn An", "Ghim hình", "Điểm cầu TP Vinh")
    with pytest.raises(RecordUnavailable) as live:
        source_from_record(_record(ended_at=None))
    assert live.value.kind == Kind.conflict and "chưa kết thúc" in live.value.message
    with pytest.raises(RecordUnavailable) as nobody:
        source_from_record(_record(secretary=None))
    assert nobody.value.kind == Kind.conflict and "thư ký" in nobody.value.message


def test_the_chairs_hall_is_not_an_endpoint(tmp_path: Path) -> None:
    """The chair's console is the hall (the meeting's place): the minutes list and count the units'
    endpoints only, never "Điểm cầu: Nguyễn Văn An"."""
    hall = {"unit": {"code": "000.00.00.H41", "name": "Ủy ban nhân dân tỉnh Nghệ An", "short_name": "UBND tỉnh"},
            "participants": ["chutoa"], "intervals": [
                {"participant": "chutoa", "role": "host", "joined_at": T0, "left_at": None, "seconds": 60.0,
                 "reason": ""}],
            "total_seconds": 60.0, "first_joined": T0, "last_left": None, "reconnects": 0}
    record = _record()
    source = source_from_record(_record(attendance=[hall, *record["attendance"]]),
                                {"dc-vinh": "Điểm cầu TP Vinh", "chutoa": "Nguyễn Văn An"})
    assert [a.endpoint for a in source.attendance] == ["Điểm cầu TP Vinh"]
    assert source.endpoints == ["Điểm cầu TP Vinh"]
    text = _text(render(source, initial_content(source), ISSUER).pdf, tmp_path)
    assert "kết nối trực tuyến với 1 điểm cầu: Điểm cầu TP Vinh" in text and "1 đơn vị tại các điểm cầu" in text
    assert "Nguyễn Văn An" not in text.split("Thành phần tham dự:")[1].split("Chủ trì")[0]

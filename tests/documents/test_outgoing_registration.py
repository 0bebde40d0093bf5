"""Registering an outgoing document signed elsewhere (signed minutes): it enters the register as issued
with its number and signed PDF, and sending it to units creates their incoming entries once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.people import User
from documents.errors import Invalid
from documents.exchange import send_document
from documents.models import Document
from documents.numbering import next_number
from documents.outgoing import register_outgoing
from documents.search import search_documents
from tests.documents.conftest import pdf, unit_by_abbr, viewer_of


def test_register_signed_minutes_and_send(writer, store) -> None:  # type: ignore[no-untyped-def]
    minutes = pdf("Bien ban hop giao ban truc tuyen thang 11")
    with session_scope(writer) as session:
        clerk = session.execute(select(User).where(User.username == "vanthu")).scalar_one()
        province, syt, snn = (unit_by_abbr(session, a) for a in ("UBND", "SYT", "SNN"))
        number = next_number(session, province.id, "out", 2026)
        document = register_outgoing(
            session, unit_id=province.id, number=number, abstract="Biên bản họp giao ban trực tuyến tháng 11",
            signer_name="Nguyễn Văn An", signer_position="Chủ tịch UBND tỉnh",
            issued_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC), recipients=[(syt.id, ""), (None, "Lưu: VT")],
            main_pdf=minutes, file_name="bien-ban.pdf", actor=clerk, store=store)
        assert document.code == f"{number}/BB-UBND" and document.state == "issued"
        first = send_document(session, document, [syt.id, snn.id], viewer_of(session, "vanthu"), store)
        again = send_document(session, document, [syt.id], viewer_of(session, "vanthu"), store)
        assert len(first) == 2 and again == []
        received = session.execute(select(Document).where(Document.id.in_(first))).scalars().all()
        assert {d.unit_id for d in received} == {syt.id, snn.id}
        assert all(d.code == document.code for d in received)
        found = search_documents(session, viewer_of(session, "vanthu"), "bien ban hop giao ban")
        assert document.id in [d.id for d in found]
        with pytest.raises(Invalid):
            register_outgoing(session, unit_id=province.id, number=number + 1, abstract="", signer_name="",
                              signer_position="", issued_at=datetime.now(UTC), recipients=[], main_pdf=minutes,
                              file_name="x.pdf", actor=clerk, store=store)

"""Registering an outgoing document signed elsewhere (signed minutes) goes through the transition table:
it enters as signed with its signed PDF, is numbered with the number printed in it (or refused if that
number was taken meanwhile), is issued by the registers' own step, and sending it to units creates their
incoming entries once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.people import User
from documents.clock import today
from documents.errors import Invalid
from documents.exchange import send_document
from documents.models import Document, Transition
from documents.numbering import peek
from documents.outgoing import register_signed
from documents.schemas import RecipientIn
from documents.search import search_documents
from documents.workflow import NumberTaken, apply_action
from tests.documents.conftest import pdf, unit_by_abbr, viewer_of


def test_register_signed_minutes_number_issue_and_send(writer, store) -> None:  # type: ignore[no-untyped-def]
    minutes = pdf("Bien ban hop giao ban truc tuyen thang 11")
    with session_scope(writer) as session:
        clerk = session.execute(select(User).where(User.username == "vanthu")).scalar_one()
        province, syt, snn = (unit_by_abbr(session, a) for a in ("UBND", "SYT", "SNN"))

        def register(number: int, abstract: str = "Biên bản họp giao ban trực tuyến tháng 11") -> Document:
            return register_signed(
                session, unit=province, number=number, doc_type="BB", abstract=abstract,
                signer_name="Nguyễn Văn An", signer_position="Chủ tịch UBND tỉnh",
                recipients=[RecipientIn(unit_id=syt.id), RecipientIn(name="Lưu: VT")], pdf=minutes,
                file_name="bien-ban.pdf", clerk=clerk, store=store, source="minutes")

        number = peek(session, province.id, "out", today().year) + 1
        document = register(number)
        assert document.code == f"{number}/BB-UBND" and document.state == "numbered"
        steps = session.execute(select(Transition.from_state, Transition.action, Transition.to_state)
                                .where(Transition.document_id == document.id).order_by(Transition.id)).all()
        assert [tuple(s) for s in steps] == [("", "register_signed", "signed"), ("signed", "number", "numbered")]
        with pytest.raises(NumberTaken):  # the number printed in the PDF is gone: sign again with the next
            register(number)
        session.rollback()
    with session_scope(writer) as session:
        clerk_view = viewer_of(session, "vanthu")
        province, syt, snn = (unit_by_abbr(session, a) for a in ("UBND", "SYT", "SNN"))
        clerk = session.execute(select(User).where(User.username == "vanthu")).scalar_one()
        number = peek(session, province.id, "out", today().year) + 1
        document = register_signed(
            session, unit=province, number=number, doc_type="BB", abstract="Biên bản họp giao ban trực tuyến",
            signer_name="Nguyễn Văn An", signer_position="Chủ tịch UBND tỉnh",
            recipients=[RecipientIn(unit_id=syt.id)], pdf=minutes, file_name="bien-ban.pdf", clerk=clerk,
            store=store, source="minutes")
        apply_action(session, document.id, "issue", clerk_view, store=store)  # delivers to its recipients
        assert document.state == "issued"
        later = send_document(session, document, [syt.id, snn.id], clerk_view, store)
        again = send_document(session, document, [snn.id], clerk_view, store)
        assert len(later) == 1 and again == []
        received = session.execute(select(Document).where(Document.source_document_id == document.id)).scalars().all()
        assert sorted(d.unit_id for d in received) == sorted([syt.id, snn.id])
        assert all(d.code == document.code for d in received)
        found = search_documents(session, clerk_view, "bien ban hop giao ban")
        assert document.id in [d.id for d in found]
        with pytest.raises(Invalid):
            register_signed(session, unit=province, number=number + 1, doc_type="BB", abstract="", signer_name="",
                            signer_position="", recipients=[], pdf=minutes, file_name="x.pdf", clerk=clerk,
                            store=store, source="minutes")


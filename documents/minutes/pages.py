"""The secretary's pages: /minutes (the list, drafting from an ended meeting, checking any signed PDF)
and /minutes/{id} (the editor with the drafted sections, the PDF preview, signing with a PIN)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import staff
from core.bounds import RowId
from core.i18n import language_of, one_language
from core.local_time import moment_text
from core.pages import render
from core.people import Role, User
from core.request_db import db
from documents.minutes import drafts, links, phrases, readers, signing_dialog
from documents.minutes.drafts import MinutesError
from documents.minutes.models import Minutes, MinutesStatus
from documents.minutes.vn_time import clock, spelled
from documents.models import Document

router = APIRouter()
phrases.register_all()


@router.get("/minutes", response_class=HTMLResponse)
def minutes_list(request: Request, user: User = Depends(staff), session: Session = Depends(db)) -> HTMLResponse:
    rows = session.execute(select(Minutes).order_by(Minutes.id.desc()).limit(200)).scalars().all()
    rows = [m for m in rows if readers.may_read(session, m, user)]
    lang = language_of(request)
    items = []
    for m in rows:
        source = drafts.source_of(m)
        items.append({"id": m.id, "meeting_id": m.meeting_id, "meeting_title": source.title,
                      "meeting_when": moment_text(source.started_at, lang), "subject": m.subject,
                      "status": m.status, "code": m.code,
                      "status_label": drafts.STATUS_LABELS[MinutesStatus(m.status)][1 if lang == "en" else 0]})
    can_draft = Role(user.role) in links.DRAFTERS
    chosen = request.query_params.get("meeting", "")
    return render(request, "documents/minutes/list.html", {
        "minutes_rows": items, "can_draft": can_draft, "verify_words": _script_json(phrases.verify_words(lang)),
        "choices": links.draft_choices(session, lang) if can_draft else [],
        "chosen": int(chosen) if chosen.isdigit() else None})


@router.get("/minutes/{minutes_id}", response_class=HTMLResponse)
def minutes_editor(minutes_id: RowId, request: Request, user: User = Depends(staff),
                   session: Session = Depends(db)) -> HTMLResponse:
    minutes = drafts.get(session, minutes_id)
    readers.check_reader(session, minutes, user)
    lang = language_of(request)
    data = drafts.as_json(minutes, lang)
    data["may_edit"] = minutes.status == MinutesStatus.draft and drafts.may_edit(minutes, user)
    signing = None
    try:
        signing = signing_dialog.facts(session, minutes, user, lang)
        data["my_signature"], data["may_sign"] = signing["role"], True
        data["document_sha256"] = signing["sha256"]
    except MinutesError as exc:
        data["may_sign"], data["sign_blocked"] = False, one_language(exc.message, lang)
    document = session.get(Document, minutes.document_id) if minutes.document_id else None
    data["sent"] = document is not None and document.state == "issued"
    data["may_send"] = Role(user.role) == Role.clerk and document is not None and document.state == "numbered"
    source = drafts.source_of(minutes)
    period = f"{spelled(source.started_at)} – {clock(source.ended_at)}"
    meeting = {"href": f"/meetings/{minutes.meeting_id}",
               "label": links.meeting_label(source.title, source.started_at, language_of(request))}
    return render(request, "documents/minutes/editor.html",
                  {"minutes": data, "minutes_json": _script_json(data), "period": period, "meeting": meeting,
                   "signing": signing, "verify_words": _script_json(phrases.verify_words(lang))})


def _script_json(data: object) -> str:
    """JSON safe inside a <script> element: no `</script>` or `<!--` can come from the content."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

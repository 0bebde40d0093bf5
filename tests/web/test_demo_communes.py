"""`giaoban demo seed` with GIAOBAN_UNIT_SET=communes: the demo meeting invites the 130 communes and wards,
documents come from and go to communes, dossiers are received by communes (the district procedures too)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from conference.models import Meeting
from core.unit_sets import local_units
from core.units import Unit
from documents.dossiers.models import Dossier, Procedure
from documents.models import Document
from web.cli import app


@pytest.fixture
def unit_set() -> str:
    return "communes"


def test_demo_seed_follows_the_communes_set(settings, session) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "new accounts: 0 (unit set: communes, 130 endpoints)" in first.output
    assert "(130 endpoints invited)" in first.output
    assert "phuong-thanhvinh ... xa-vantu: 130 tài khoản điểm cầu" in first.output

    meeting = session.execute(select(Meeting)).scalars().one()
    assert meeting.title.endswith("giữa UBND tỉnh với các xã, phường")
    invited = [i.user for i in meeting.invitations]
    assert len(invited) == 130 and {u.unit.kind for u in invited} == {"commune"}
    assert any(item.presenter == "UBND các xã, phường" for item in meeting.agenda)

    communes = {u.id: u for u in local_units(session)}
    issuers = set(session.execute(select(Document.issuer_name).where(Document.register == "in")).scalars())
    assert {"UBND xã Nghi Lộc", "UBND xã Tương Dương"} <= issuers
    assert not any("huyện" in name for name in issuers)
    # The storm plan reached three communes' incoming registers through liên thông.
    received = session.execute(select(Document).where(Document.register == "in",
                                                      Document.unit_id.in_(list(communes)))).scalars().all()
    assert sorted(communes[d.unit_id].short_name for d in received) == ["Xã Nghi Lộc", "Xã Quỳ Hợp",
                                                                        "Xã Tương Dương"]
    assert all(d.abstract.startswith("Quyết định phê duyệt kế hoạch ứng phó bão lũ") for d in received)

    by_kind = dict(session.execute(select(Unit.kind, func.count()).join(Dossier, Dossier.unit_id == Unit.id)
                                   .group_by(Unit.kind)).all())
    assert set(by_kind) == {"department", "commune"}
    # The communes take the 21 districts' share of the report's 62,738 (desk weight 630 against 6 per
    # department with procedures of its own), and every commune has some.
    departments = session.execute(select(func.count(func.distinct(Procedure.unit_id)))).scalar_one()
    expected = 62738 * 630 / (630 + 6 * departments)
    assert abs(by_kind["commune"] - expected) < 0.03 * expected
    assert session.execute(select(func.count(func.distinct(Dossier.unit_id))).join(Unit).where(
        Unit.kind == "commune")).scalar_one() == 130
    tiers = set(session.execute(select(Procedure.tier).join(Dossier).join(Unit, Dossier.unit_id == Unit.id)
                                .where(Unit.kind == "commune")).scalars())
    assert tiers == {"district", "commune"}

    again = runner.invoke(app, ["demo", "seed"])
    assert again.exit_code == 0, again.output
    assert session.execute(select(func.count()).select_from(Meeting)).scalar_one() == 1

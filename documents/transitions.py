"""The document workflow as one explicit table: from-state, action, to-state, who may do it, and
which unit they must act for. Incoming: received → registered → submitted → directed → processing →
done (or returned). Outgoing: drafted → reviewed → submitted → approved → signed → numbered → issued; a
document signed elsewhere (minutes) enters as signed."""

from __future__ import annotations

from dataclasses import dataclass

from core.people import Role

IN, OUT = "in", "out"
CLERK, CHAIR, SPECIALIST, SECRETARY = Role.clerk, Role.chair, Role.specialist, Role.secretary

# The unit an actor must act for: the unit keeping the register, or the lead unit the leader assigned.
OWNER, LEAD = "owner", "lead"


@dataclass(frozen=True)
class Step:
    register: str
    from_state: str
    action: str
    to_state: str
    roles: frozenset[Role]
    scope: str = OWNER
    status_code: str = ""  # edXML status sent back to the sender of an incoming document


def _step(register: str, src: str, action: str, dst: str, roles: tuple[Role, ...], scope: str = OWNER,
          status: str = "") -> Step:
    return Step(register, src, action, dst, frozenset(roles), scope, status)


TRANSITIONS: tuple[Step, ...] = (
    # Incoming documents
    _step(IN, "received", "register", "registered", (CLERK,), status="03"),
    _step(IN, "received", "reject", "returned", (CLERK,), status="02"),
    _step(IN, "registered", "submit", "submitted", (CLERK,)),
    _step(IN, "submitted", "direct", "directed", (CHAIR,), status="04"),
    _step(IN, "submitted", "return", "returned", (CHAIR,), status="02"),
    _step(IN, "directed", "start", "processing", (SPECIALIST, SECRETARY), LEAD, status="05"),
    _step(IN, "processing", "complete", "done", (SPECIALIST, SECRETARY), LEAD, status="06"),
    # Outgoing documents
    _step(OUT, "drafted", "review", "reviewed", (SECRETARY, CLERK)),
    _step(OUT, "reviewed", "submit", "submitted", (SPECIALIST, SECRETARY)),
    _step(OUT, "reviewed", "revise", "drafted", (SPECIALIST, SECRETARY, CLERK)),
    _step(OUT, "submitted", "approve", "approved", (CHAIR,)),
    _step(OUT, "submitted", "revise", "drafted", (CHAIR,)),
    _step(OUT, "approved", "sign", "signed", (CHAIR,)),
    # A document drafted and signed elsewhere in the system (signed minutes) enters the register as signed.
    _step(OUT, "", "register_signed", "signed", (CLERK,)),
    _step(OUT, "signed", "number", "numbered", (CLERK,)),
    _step(OUT, "numbered", "issue", "issued", (CLERK,)),
)

INITIAL = {IN: "received", OUT: "drafted"}
STATES = {
    IN: ("received", "registered", "submitted", "directed", "processing", "done", "returned"),
    OUT: ("drafted", "reviewed", "submitted", "approved", "signed", "numbered", "issued"),
}
FINAL = frozenset({"done", "returned", "issued"})
# Roles that take part in the workflow at all: the transition routes admit exactly these.
WORKFLOW_ROLES = frozenset(role for step in TRANSITIONS for role in step.roles)


def steps_for(register: str, action: str) -> list[Step]:
    return [s for s in TRANSITIONS if s.register == register and s.action == action]


def step_from(register: str, state: str, action: str) -> Step | None:
    for step in TRANSITIONS:
        if step.register == register and step.from_state == state and step.action == action:
            return step
    return None


def available(register: str, state: str, role: str) -> list[Step]:
    """Steps the role may take from the state (the buttons a document page shows)."""
    return [s for s in TRANSITIONS if s.register == register and s.from_state == state and role in s.roles]


def actions_of(register: str) -> list[str]:
    return sorted({s.action for s in TRANSITIONS if s.register == register})

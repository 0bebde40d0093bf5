"""Who may do what in the operations center."""

from __future__ import annotations

from core.access import require_roles
from core.people import Role

# Watching the screens: the operators, administrators, and the leaders the center reports to.
viewers = require_roles(Role.operator, Role.admin, Role.chair)
# Changing cameras and alert rules, acknowledging alerts: the people on duty.
operators = require_roles(Role.operator, Role.admin)

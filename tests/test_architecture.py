"""The import rules of ARCHITECTURE.md hold for what import-linter cannot see: an area loading another
package by name (importlib) or starting another package's command line as a module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("conference", "endpoints", "documents", "signing", "ops_center")
PACKAGES = ("core", *AREAS, "web")
# import_module("documents.kpi"), "-m", "web.cli" ...
BY_NAME = re.compile(r"""(?:import_module\(\s*|["']-m["'],\s*)["']([a-z_]+)[.'"]""")


def allowed(package: str) -> set[str]:
    if package == "web":
        return set(PACKAGES)
    if package == "core":
        return {"core"}
    return {package, "core"}


def test_no_package_loads_another_by_name() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for name in BY_NAME.findall(line):
                    if name in PACKAGES and name not in allowed(package):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "packages loaded by name past the import rules:\n" + "\n".join(found)

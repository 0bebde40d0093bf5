"""The product's areas and what each contributes: routers, migrations, commands, demo data, processes.
An area module that does not exist (yet) contributes nothing; an area that fails to import is an error."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("conference", "endpoints", "documents", "signing", "ops_center")
PAGE_PACKAGES = ("web", *AREAS)


def optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def version_dirs() -> list[Path]:
    return [ROOT / area / "migrations" / "versions" for area in AREAS
            if (ROOT / area / "migrations" / "versions").is_dir()]


def template_packages() -> list[str]:
    return [p for p in PAGE_PACKAGES if (ROOT / p / "templates").is_dir()]


def static_dirs() -> dict[str, Path]:
    return {p: ROOT / p / "static" for p in PAGE_PACKAGES if (ROOT / p / "static").is_dir()}


def area_modules(suffix: str) -> list[tuple[str, ModuleType]]:
    found = []
    for area in AREAS:
        module = optional_module(f"{area}.{suffix}")
        if module is not None:
            found.append((area, module))
    return found

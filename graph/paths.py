"""Where the shipped resources live, in a source checkout and in an installed wheel.

In a wheel the top-level ``ontology/`` folder is carried inside the package as
``graph/ontology``; in a checkout it sits beside the package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_DIR = PACKAGE_DIR.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


def ontology_dir() -> Path:
    """The folder holding alliance.ttl, shapes.ttl, rules/, checks/ and cq/."""
    return _first_existing(PACKAGE_DIR / "ontology", _REPO_DIR / "ontology")


def data_dir() -> Path:
    """The curated data files (Turtle, one per topic)."""
    return PACKAGE_DIR / "data"


def queries_dir() -> Path:
    """The app's saved SPARQL queries."""
    return PACKAGE_DIR / "queries"


def app_dir() -> Path:
    """The folder holding app.py and app_pages/."""
    return _first_existing(PACKAGE_DIR / "app", _REPO_DIR)


def ontology_file() -> Path:
    return ontology_dir() / "alliance.ttl"


def shapes_file() -> Path:
    return ontology_dir() / "shapes.ttl"


def default_data_files() -> list[Path]:
    """The shipped data files, in a stable order."""
    return sorted(data_dir().glob("*.ttl"))


def rule_files() -> list[Path]:
    return sorted((ontology_dir() / "rules").glob("*.rq"))

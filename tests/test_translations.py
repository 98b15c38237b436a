"""The committed message template is current: code, templates and catalog labels all extracted."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "onboarding" / "translations" / "messages.pot"
EXTRACT = ["pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "--no-location", "--sort-output",
           "--omit-header"]


def _messages(path: Path) -> dict[str, list[str]]:
    with path.open("rb") as handle:
        return {m.id: m.auto_comments for m in read_po(handle) if m.id}


def test_the_committed_template_is_current(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run([*EXTRACT, "-o", str(fresh), "."])
    assert fresh.read_text(encoding="utf-8") == POT.read_text(encoding="utf-8"), (
        "onboarding/translations/messages.pot is stale; regenerate it with the command in babel.cfg")


def test_catalog_labels_and_value_messages_are_extracted() -> None:
    messages = _messages(POT)
    assert "countries/US.toml: fields.company.tax_id.label" in messages["Employer Identification Number (EIN)"]
    assert "Business Number (BN)" in messages and "Computer Software Stores" in messages
    assert "Enter a valid postal code, for example %(example)s." in messages  # requirements_catalog/values.py
    assert "Sort code" in messages  # bank format parts

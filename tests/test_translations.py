"""The committed message template is current: code, templates and catalog labels all extracted."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
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


LOCALES = ("de", "fr", "es", "it", "nl", "pt", "ja", "zh_Hans", "zh_Hant", "sv", "da", "fi", "nb", "pl")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    """No English left on a non-English page: no entry is missing, fuzzy or loses a placeholder."""
    with (POT.parent / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    template = _messages(POT)
    ids = {m.id for m in catalog if m.id}
    assert ids == set(template), "run `pybabel update` (see babel.cfg) and translate the new messages"
    for message in catalog:
        if not message.id:
            continue
        assert message.string and not message.fuzzy, f"{locale}: {message.id!r} is not translated"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), (
            f"{locale}: {message.id!r} changes its placeholders")


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogs_are_current(locale: str) -> None:
    folder = POT.parent / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert compiled.getvalue() == (folder / "messages.mo").read_bytes(), (
        f"{locale}: messages.mo is stale; run `pybabel compile -d onboarding/translations`")

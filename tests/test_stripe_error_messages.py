"""Every error code Stripe may put in `requirements.errors[]` reaches the user in their language, never in Stripe's English."""

from __future__ import annotations

import importlib
import typing

import pytest
from babel.messages.pofile import read_po

from onboarding.wizard.stripe_errors import GENERAL, MESSAGES, PREFIXES, message_for
from tests.test_translations import POT, ROOT


def _sdk_codes() -> set[str]:
    """Return the codes stripe-python types for `Account.Requirements.Error.code` (its `Literal`)."""
    module = importlib.import_module("stripe._account")
    hints = typing.get_type_hints(module.Account.Requirements.Error, globalns=vars(module))
    found: set[str] = set()

    def walk(t: object) -> None:
        if typing.get_origin(t) is typing.Literal:
            found.update(str(a) for a in typing.get_args(t))
        for arg in typing.get_args(t):
            walk(arg)

    walk(hints["code"])
    return found


def test_the_sdk_names_the_codes_we_check() -> None:
    codes = _sdk_codes()
    assert len(codes) > 90 and "verification_missing_owners" in codes and "invalid_dob_age_under_18" in codes


@pytest.mark.parametrize("code", sorted(_sdk_codes()))
def test_every_code_has_a_message_of_its_own(code: str) -> None:
    assert code in MESSAGES and message_for(code) != GENERAL, f"{code} gets only a shared text"


@pytest.mark.parametrize("code, family", [("verification_document_new_kind", "verification_document_failed_test_mode"),
                                          ("invalid_url_new_kind", "invalid_url_website_other")])
def test_a_code_stripe_adds_later_gets_its_familys_message(code: str, family: str) -> None:
    assert message_for(code) == MESSAGES[family] and message_for("something_new") == GENERAL
    assert any(code.startswith(prefix) for prefix, _ in PREFIXES)


@pytest.mark.parametrize("locale", ["de", "fr", "ja", "pl", "zh_Hans", "zh_Hant"])
def test_the_messages_are_translated(locale: str) -> None:
    with (ROOT / "onboarding" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id: m.string for m in read_po(handle) if m.id}
    with POT.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    for message in set(MESSAGES.values()):
        assert message in extracted and translated.get(message), (locale, message)

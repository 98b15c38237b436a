"""Sensitive numbers go in and never come back: not in responses, events, webhooks or the request log."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox

from .helpers import BUSINESS_PROFILE, TOS, US_BANK, Connect, create_account, loopback_open, us_person

# Distinctive values that pass verification (a 1902 birth date verifies whatever the number).
ID_NUMBER, SSN_LAST_4 = "987654321", "4321"
OWNER_ID_NUMBER, OWNER_SSN_LAST_4 = "765432198", "2198"
TAX_ID, VAT_ID = "876543219", "DE999888777"
ACCOUNT_NUMBER = "000123456789"
SECRETS = (ID_NUMBER, OWNER_ID_NUMBER, TAX_ID, VAT_ID, ACCOUNT_NUMBER, f'"{SSN_LAST_4}"', f'"{OWNER_SSN_LAST_4}"')


def leaked(text: str) -> list[str]:
    """Return the secrets that appear in a text."""
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture
def flow(connect: Connect, transport: str) -> tuple[Sandbox, list[str], list[bytes], dict[str, Any]]:
    """Run an individual and a company onboarding; return the sandbox, bodies, webhooks and objects."""
    payloads: list[bytes] = []

    def target(payload: bytes, headers: dict[str, str]) -> int:
        payloads.append(payload)
        return 200

    sb = Sandbox(webhook_target=target, webhook_secret="whsec_test")
    bodies: list[str] = []
    client = connect(sb, transport, record=bodies)
    individual = create_account(client, individual=us_person(id_number=ID_NUMBER, ssn_last_4=SSN_LAST_4),
                                business_profile=BUSINESS_PROFILE, tos_acceptance=TOS, external_account=US_BANK)
    company = create_account(client, business_type="company",
                             company={"name": "Rosen GmbH", "tax_id": TAX_ID, "vat_id": VAT_ID})
    owner = client.v1.accounts.persons.create(company.id, params=us_person(
        id_number=OWNER_ID_NUMBER, ssn_last_4=OWNER_SSN_LAST_4, relationship={"owner": True, "representative": True}))
    client.v1.accounts.persons.update(company.id, owner.id, params={"id_number": OWNER_ID_NUMBER})
    bank = client.v1.accounts.external_accounts.create(company.id, params={
        "external_account": dict(US_BANK, account_number="000111111116")})
    token_bank = {k: v for k, v in US_BANK.items() if k != "object"} | {"account_holder_name": "Other"}
    token = client.v1.tokens.create(params={"bank_account": token_bank})
    account_token = client.v1.tokens.create(params={"account": {"individual": {"id_number": ID_NUMBER}}})
    client.v1.accounts.external_accounts.create(company.id, params={"external_account": token.id})
    client.v1.accounts.persons.list(company.id)
    client.v1.accounts.external_accounts.list(company.id)
    client.v1.accounts.retrieve(individual.id)
    client.v1.accounts.retrieve(company.id)
    for event in client.v1.events.list(params={"limit": 100}).auto_paging_iter():
        client.v1.events.retrieve(event.id)
    sb.flush_webhooks()
    sb.close()
    return sb, bodies, payloads, {"individual": individual, "company": company, "owner": owner, "bank": bank,
                                  "token": token, "account_token": account_token}


def test_responses_never_echo_sensitive_numbers(flow: tuple[Sandbox, list[str], list[bytes], dict[str, Any]]) -> None:
    _, bodies, _, objects = flow

    assert len(bodies) > 12
    assert [leaked(body) for body in bodies if leaked(body)] == []
    individual, company, owner = objects["individual"], objects["company"], objects["owner"]
    assert individual.individual.id_number_provided is True and individual.individual.ssn_last_4_provided is True
    assert company.company.tax_id_provided is True and company.company.vat_id_provided is True
    assert owner.id_number_provided is True and owner.ssn_last_4_provided is True
    assert "id_number" not in owner.to_dict() and "ssn_last_4" not in owner.to_dict()
    assert "tax_id" not in company.company.to_dict()
    bank = objects["bank"].to_dict()
    assert bank["last4"] == "1116" and bank["fingerprint"] and "account_number" not in bank
    assert objects["token"].bank_account.last4 == "6789"


def test_events_and_webhooks_never_carry_sensitive_numbers(
        flow: tuple[Sandbox, list[str], list[bytes], dict[str, Any]]) -> None:
    sb, _, payloads, _ = flow

    assert len(payloads) == len(sb.store.events) > 5
    assert [leaked(p.decode()) for p in payloads if leaked(p.decode())] == []
    assert leaked(json.dumps(list(sb.store.events.values()))) == []


def test_the_request_log_redacts_sensitive_numbers(
        flow: tuple[Sandbox, list[str], list[bytes], dict[str, Any]]) -> None:
    sb, _, _, _ = flow

    assert leaked(json.dumps(sb.log, default=str)) == []
    creates = [e for e in sb.log if e["operation"] == "accounts.create"]
    assert creates[0]["params"]["individual"]["id_number"] == "[redacted]"
    assert creates[0]["params"]["individual"]["ssn_last_4"] == "[redacted]"
    assert creates[0]["params"]["external_account"]["account_number"] == "[redacted]"
    assert creates[0]["params"]["individual"]["first_name"] == "Jenny"  # only the secrets go
    assert creates[1]["params"]["company"]["tax_id"] == "[redacted]"
    tokens = [e for e in sb.log if e["operation"] == "tokens.create"]
    assert tokens[0]["params"]["bank_account"]["account_number"] == "[redacted]"
    assert tokens[1]["params"]["account"]["individual"]["id_number"] == "[redacted]"


def test_the_http_request_log_endpoint_is_redacted(connect: Connect, sandbox_server: Any,
                                                   sandbox: Sandbox) -> None:
    client = connect(sandbox, "http")
    create_account(client, individual=us_person(id_number=ID_NUMBER))
    with loopback_open(f"{sandbox_server.url}/_sandbox/requests") as response:
        text = response.read().decode()

    assert json.loads(text)["data"][0]["params"]["individual"]["id_number"] == "[redacted]"
    assert leaked(text) == []


def test_a_bad_iban_error_does_not_echo_the_number(client: stripe.StripeClient) -> None:
    account = create_account(client, country="DE")
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.external_accounts.create(account.id, params={"external_account": {
            "object": "bank_account", "country": "DE", "currency": "eur", "account_number": "DE89370400440532013001"}})
    assert "0532013001" not in (excinfo.value.http_body or "")

"""Tests for stripe_sandbox.schema: schemas derived from stripe-python 16.1's TypedDicts."""

from __future__ import annotations

import copy
import inspect
import re
import time
from decimal import Decimal
from urllib.parse import quote

import pytest
import stripe

from stripe_sandbox.forms import UploadedFile, decode_form
from stripe_sandbox.schema import (
    SERVICE_PARAMS,
    ParamError,
    SchemaError,
    is_valid_path,
    param_paths,
    schema,
    validate,
)


def check(params_class: str, body: str) -> dict:
    """Validate a form body the way the sandbox server will."""
    return validate(params_class, decode_form(body))


def error_of(params_class: str, body: str) -> ParamError:
    with pytest.raises(ParamError) as info:
        check(params_class, body)
    return info.value


def empty_message(param: str) -> str:
    return (
        f"You passed an empty string for '{param}'. We assume empty values are an attempt "
        f"to unset a parameter; however '{param}' cannot be unset. You should remove "
        f"'{param}' from your request or supply a non-empty value."
    )


# ---------------------------------------------------------------------------
# Schema construction / lookup
# ---------------------------------------------------------------------------


def _service(client: stripe.StripeClient, operation: str):  # noqa: ANN202
    resource, method = operation.split(".")
    v1 = client.v1
    services = {
        "accounts": v1.accounts,
        "persons": v1.accounts.persons,
        "external_accounts": v1.accounts.external_accounts,
        "files": v1.files,
        "country_specs": v1.country_specs,
        "tokens": v1.tokens,
        "account_links": v1.account_links,
    }
    return getattr(services[resource], method)


@pytest.mark.parametrize("operation", sorted(SERVICE_PARAMS))
def test_service_params_match_sdk_service_signatures(operation: str) -> None:
    client = stripe.StripeClient("sk_test_sandbox")
    annotation = inspect.signature(_service(client, operation)).parameters["params"].annotation
    names = re.findall(r"[A-Za-z_]\w*Params\b", str(annotation))
    assert names == [SERVICE_PARAMS[operation]]
    assert schema(SERVICE_PARAMS[operation]).kind == "object"


def test_required_operations_are_mapped() -> None:
    for resource, methods in {
        "accounts": "create update retrieve list delete",
        "persons": "create update retrieve list delete",
        "external_accounts": "create update retrieve list delete",
        "files": "create retrieve",
        "country_specs": "list retrieve",
        "tokens": "create",
    }.items():
        for method in methods.split():
            assert f"{resource}.{method}" in SERVICE_PARAMS


def test_schema_is_cached_and_unknown_class_raises() -> None:
    assert schema("AccountCreateParams") is schema("AccountCreateParams")
    with pytest.raises(SchemaError):
        schema("NoSuchThingParams")


def test_request_options_are_not_params() -> None:
    fields = schema("AccountCreateParams").fields
    for option in ("api_key", "stripe_account", "idempotency_key", "stripe_version", "headers"):
        assert option not in fields
    err = error_of("AccountCreateParams", "idempotency_key=abc")
    assert err.code == "parameter_unknown" and err.param == "idempotency_key"


def test_node_kinds_from_annotations() -> None:
    root = schema("AccountCreateParams")
    assert root.fields["business_type"].node.kind == "enum"
    assert root.fields["business_type"].node.values == (
        "company",
        "government_entity",
        "individual",
        "non_profit",
    )
    assert root.fields["expand"].node.kind == "list"
    assert root.fields["expand"].node.item.kind == "string"
    metadata = root.fields["metadata"].node
    assert metadata.kind == "map" and metadata.emptyable
    dob = root.fields["individual"].node.fields["dob"].node
    assert dob.kind == "object" and dob.emptyable and dob.required == {"day", "month", "year"}
    assert not root.fields["individual"].node.emptyable
    external = root.fields["external_account"].node
    assert external.kind == "union"
    assert [o.kind for o in external.options] == ["string", "object", "object", "object"]
    assert [o.type_name for o in external.options[1:]] == [
        "AccountCreateParamsBankAccount",
        "AccountCreateParamsCard",
        "AccountCreateParamsCardToken",
    ]
    person = schema("AccountPersonCreateParams").fields["relationship"].node
    assert person.fields["percent_ownership"].node.kind == "number"
    assert person.fields["percent_ownership"].node.emptyable
    assert schema("FileCreateParams").required == {"file", "purpose"}


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "individual.address.line1",
        "individual.dob.year",
        "individual.dob.day",
        "company.tax_id",
        "company.owners_provided",
        "tos_acceptance.service_agreement",
        "tos_acceptance.date",
        "controller.stripe_dashboard.type",
        "capabilities.transfers.requested",
        "individual.verification.document.front",
        "external_account",
        "external_account.routing_number",
        "metadata",
        "expand",
    ],
)
def test_known_account_paths(path: str) -> None:
    assert path in param_paths("AccountCreateParams")
    assert is_valid_path("AccountCreateParams", path)


def test_person_paths() -> None:
    paths = param_paths("AccountPersonCreateParams")
    assert "relationship.percent_ownership" in paths
    assert "relationship.representative" in paths
    assert "dob.year" in paths


def test_paths_are_leaves_only() -> None:
    paths = param_paths("AccountCreateParams")
    assert "individual" not in paths and "individual.address" not in paths
    assert not any(p.startswith("api_key") or "[" in p for p in paths)
    assert "controller.stripe_dashboard.type" not in param_paths("AccountUpdateParams")


def test_is_valid_path_intermediate_and_invalid() -> None:
    assert is_valid_path("AccountCreateParams", "individual.address")
    assert is_valid_path("AccountCreateParams", "individual.verification.document")
    assert is_valid_path("AccountCreateParams", "metadata.order_id")
    assert not is_valid_path("AccountCreateParams", "individual.address.line3")
    assert not is_valid_path("AccountCreateParams", "individual.address.line1.x")
    assert not is_valid_path("AccountCreateParams", "metadata.a.b")
    assert not is_valid_path("AccountCreateParams", "individual..address")
    assert not is_valid_path("AccountCreateParams", "")
    assert not is_valid_path("AccountCreateParams", "api_key")


def test_max_depth_cuts_off() -> None:
    shallow = param_paths("AccountCreateParams", max_depth=2)
    assert "individual.address" in shallow
    assert "individual.address.line1" not in shallow


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def test_unknown_parameter_nested() -> None:
    err = error_of("AccountCreateParams", "individual[foo]=1")
    assert err.message == "Received unknown parameter: individual[foo]"
    assert str(err) == err.message
    assert err.param == "individual[foo]"
    assert err.code == "parameter_unknown"


def test_unknown_parameter_top_level_and_in_list_item() -> None:
    err = error_of("AccountUpdateParams", "controller[fees][payer]=application")
    assert (err.message, err.param) == ("Received unknown parameter: controller", "controller")
    err = error_of(
        "AccountPersonCreateParams",
        "additional_tos_acceptances[account][date]=1&verification[additional_document][nope]=x",
    )
    assert err.param == "verification[additional_document][nope]"


def test_enum_rejection() -> None:
    err = error_of("AccountCreateParams", "business_type=llc")
    assert err.message == (
        "Invalid business_type: must be one of company, government_entity, individual, or non_profit"
    )
    assert err.param == "business_type" and err.code is None
    err = error_of("AccountCreateParams", "controller[fees][payer]=stripe")
    assert err.message == "Invalid controller[fees][payer]: must be one of account or application"
    assert err.param == "controller[fees][payer]"
    # a plain `str` in the SDK (tos_acceptance.service_agreement) is not an enum
    assert check("AccountCreateParams", "tos_acceptance[service_agreement]=partial") == {
        "tos_acceptance": {"service_agreement": "partial"}
    }


def test_enum_accepts_literal_members_only() -> None:
    assert check("AccountCreateParams", "business_type=company") == {"business_type": "company"}
    assert check("AccountCreateParams", "controller[stripe_dashboard][type]=none") == {
        "controller": {"stripe_dashboard": {"type": "none"}}
    }
    with pytest.raises(ParamError):
        check("AccountCreateParams", "business_type=Company")


def test_enum_list_items() -> None:
    ok = check(
        "AccountCreateParams",
        "business_profile[minority_owned_business_designation][0]=women_owned_business",
    )
    assert ok == {"business_profile": {"minority_owned_business_designation": ["women_owned_business"]}}
    err = error_of(
        "AccountCreateParams",
        "business_profile[minority_owned_business_designation][0]=women_owned_business"
        "&business_profile[minority_owned_business_designation][1]=bogus",
    )
    assert err.param == "business_profile[minority_owned_business_designation][1]"


def test_integer_coercion_and_errors() -> None:
    ok = check("AccountCreateParams", "individual[dob][day]=01&individual[dob][month]=2&individual[dob][year]=1990")
    assert ok == {"individual": {"dob": {"day": 1, "month": 2, "year": 1990}}}
    assert type(ok["individual"]["dob"]["year"]) is int
    for bad in ("abc", "1990.0", "1e3", "+1990", " 1990", "0x10", "99999999999999999999"):
        err = error_of(
            "AccountCreateParams",
            f"individual[dob][day]=1&individual[dob][month]=2&individual[dob][year]={quote(bad)}",
        )
        assert err.message == f"Invalid integer: {bad}"
        assert err.param == "individual[dob][year]"
        assert err.code == "parameter_invalid_integer"


def test_boolean_coercion_and_errors() -> None:
    assert check("AccountCreateParams", "company[owners_provided]=true&company[directors_provided]=false") == {
        "company": {"owners_provided": True, "directors_provided": False}
    }
    for bad in ("True", "1", "yes"):
        err = error_of("AccountCreateParams", f"company[owners_provided]={bad}")
        assert err.message == f"Invalid boolean: {bad}"
        assert err.param == "company[owners_provided]"
        assert err.code is None


def test_float_coercion_and_errors() -> None:
    ok = check("AccountPersonCreateParams", "relationship[percent_ownership]=25.5")
    assert ok == {"relationship": {"percent_ownership": 25.5}}
    assert check("AccountPersonUpdateParams", "relationship[percent_ownership]=100") == {
        "relationship": {"percent_ownership": 100.0}
    }
    err = error_of("AccountPersonCreateParams", "relationship[percent_ownership]=abc")
    assert err.message == "Invalid decimal: abc"
    assert err.param == "relationship[percent_ownership]"
    with pytest.raises(ParamError):
        check("AccountPersonCreateParams", "relationship[percent_ownership]=nan")


def test_python_values_are_accepted_like_the_sdk_sends_them() -> None:
    out = validate(
        "AccountCreateParams",
        {"individual": {"dob": {"day": 1, "month": 2, "year": 1990}}, "company": {"owners_provided": True}, "dropped": None},
    )
    assert out == {"company": {"owners_provided": True}, "individual": {"dob": {"day": 1, "month": 2, "year": 1990}}}
    with pytest.raises(ParamError) as info:
        validate("AccountCreateParams", {"company": {"owners_provided": 1}})
    assert info.value.message == "Invalid boolean: 1"
    with pytest.raises(ParamError):
        validate("AccountCreateParams", {"individual": {"dob": {"day": True, "month": 2, "year": 1990}}})


def test_empty_string_for_non_emptyable_param() -> None:
    err = error_of("AccountCreateParams", "individual[first_name]=")
    assert err.message == empty_message("individual[first_name]")
    assert err.param == "individual[first_name]"
    assert err.code == "parameter_invalid_empty"
    assert error_of("AccountCreateParams", "individual=").message == empty_message("individual")
    assert error_of("AccountCreateParams", "business_type=").code == "parameter_invalid_empty"


def test_empty_string_unsets_emptyable_params() -> None:
    body = (
        "individual[dob]=&individual[full_name_aliases]=&metadata="
        "&business_profile[support_url]=&individual[political_exposure]=none"
    )
    assert check("AccountUpdateParams", body) == {
        "business_profile": {"support_url": ""},
        "individual": {"dob": "", "full_name_aliases": "", "political_exposure": "none"},
        "metadata": "",
    }
    assert check("AccountPersonUpdateParams", "relationship[percent_ownership]=") == {
        "relationship": {"percent_ownership": ""}
    }


def test_type_mismatches() -> None:
    err = error_of("AccountCreateParams", "individual=abc")
    assert (err.message, err.param) == ("Invalid hash", "individual")
    err = error_of("AccountCreateParams", "email[x]=abc")
    assert (err.message, err.param) == ("Invalid string", "email")
    err = error_of("AccountCreateParams", "expand=abc")
    assert (err.message, err.param) == ("Invalid array", "expand")
    err = error_of("AccountCreateParams", "expand[0][x]=abc")
    assert (err.message, err.param) == ("Invalid string", "expand[0]")


def test_missing_required_key_in_nested_object() -> None:
    err = error_of(
        "AccountCreateParams",
        "business_profile[annual_revenue][currency]=usd&business_profile[annual_revenue][fiscal_year_end]=2023-12-31",
    )
    assert err.message == "Missing required param: business_profile[annual_revenue][amount]."
    assert err.param == "business_profile[annual_revenue][amount]"
    assert err.code == "parameter_missing"
    ok = check(
        "AccountCreateParams",
        "business_profile[annual_revenue][amount]=100000&business_profile[annual_revenue][currency]=usd"
        "&business_profile[annual_revenue][fiscal_year_end]=2023-12-31",
    )
    assert ok["business_profile"]["annual_revenue"]["amount"] == 100000


def test_missing_required_top_level() -> None:
    err = error_of("AccountExternalAccountCreateParams", "default_for_currency=true")
    assert err.message == "Missing required param: external_account."
    assert err.param == "external_account"
    upload = UploadedFile("id.png", "image/png", b"\x89PNG")
    assert validate("FileCreateParams", {"purpose": "identity_document", "file": upload}) == {
        "file": upload,
        "purpose": "identity_document",
    }
    err = error_of("FileCreateParams", "purpose=identity_document")
    assert (err.param, err.code) == ("file", "parameter_missing")


def test_first_error_is_deterministic_sorted_order() -> None:
    body = "zzz=1&individual[first_name]=&business_type=llc"
    assert error_of("AccountCreateParams", body).param == "business_type"
    body = "individual[last_name]=&individual[first_name]="
    assert error_of("AccountCreateParams", body).param == "individual[first_name]"


# ---------------------------------------------------------------------------
# Unions (external_account)
# ---------------------------------------------------------------------------


def test_external_account_token_string() -> None:
    assert check("AccountCreateParams", "external_account=btok_us_verified") == {
        "external_account": "btok_us_verified"
    }


def test_external_account_bank_account_object() -> None:
    body = (
        "external_account[object]=bank_account&external_account[country]=US&external_account[currency]=usd"
        "&external_account[account_number]=000123456789&external_account[routing_number]=110000000"
    )
    assert check("AccountCreateParams", body) == {
        "external_account": {
            "object": "bank_account",
            "country": "US",
            "currency": "usd",
            "account_number": "000123456789",
            "routing_number": "110000000",
        }
    }


def test_external_account_card_and_card_token() -> None:
    card = check(
        "AccountExternalAccountCreateParams",
        "external_account[object]=card&external_account[number]=4000056655665556"
        "&external_account[exp_month]=12&external_account[exp_year]=2030",
    )
    assert card["external_account"]["exp_month"] == 12
    token = check(
        "AccountExternalAccountCreateParams",
        "external_account[object]=card&external_account[token]=tok_visa_debit",
    )
    assert token == {"external_account": {"object": "card", "token": "tok_visa_debit"}}


def test_external_account_object_tag_selects_class() -> None:
    # card fields under object=bank_account are checked against the bank account class
    err = error_of(
        "AccountCreateParams",
        "external_account[object]=bank_account&external_account[country]=US"
        "&external_account[account_number]=1&external_account[exp_month]=1",
    )
    assert err.message == "Received unknown parameter: external_account[exp_month]"
    err = error_of("AccountCreateParams", "external_account[object]=bank_account&external_account[country]=US")
    assert err.message == "Missing required param: external_account[account_number]."
    # object=card restricts the candidates to the card classes (not the bank account)
    err = error_of(
        "AccountCreateParams",
        "external_account[object]=card&external_account[account_number]=1&external_account[country]=US",
    )
    assert err.message == "Received unknown parameter: external_account[account_number]"
    # an unknown tag falls back to trying every object option in SDK order
    err = error_of("AccountCreateParams", "external_account[object]=sepa&external_account[country]=DE")
    assert err.message == "Missing required param: external_account[account_number]."


def test_external_account_update_params() -> None:
    assert check("AccountExternalAccountUpdateParams", "default_for_currency=true&account_holder_type=company") == {
        "account_holder_type": "company",
        "default_for_currency": True,
    }
    assert error_of("AccountExternalAccountUpdateParams", "account_holder_type=llc").param == "account_holder_type"


def test_token_create_card_union() -> None:
    assert check("TokenCreateParams", "card=card_123") == {"card": "card_123"}
    out = check("TokenCreateParams", "account[business_type]=individual&account[tos_shown_and_accepted]=true")
    assert out == {"account": {"business_type": "individual", "tos_shown_and_accepted": True}}


# ---------------------------------------------------------------------------
# Maps and lists
# ---------------------------------------------------------------------------


def test_metadata_map() -> None:
    assert check("AccountCreateParams", "metadata[order_id]=42&metadata[note]=a+b&metadata[old]=") == {
        "metadata": {"note": "a b", "old": "", "order_id": "42"}
    }
    # numeric keys decode as a list; the schema turns them back into a map
    assert check("AccountCreateParams", "metadata[0]=a&metadata[1]=b") == {"metadata": {"0": "a", "1": "b"}}
    err = error_of("AccountCreateParams", "metadata[a][b]=c")
    assert (err.message, err.param) == ("Invalid string", "metadata[a]")
    err = error_of("AccountCreateParams", "metadata=abc")
    assert (err.message, err.param) == ("Invalid hash", "metadata")


def test_expand_list() -> None:
    assert check("AccountRetrieveParams", "expand[0]=individual&expand[1]=external_accounts") == {
        "expand": ["individual", "external_accounts"]
    }
    assert check("AccountRetrieveParams", "expand[]=individual") == {"expand": ["individual"]}
    assert check("AccountListParams", "limit=10&starting_after=acct_1") == {
        "limit": 10,
        "starting_after": "acct_1",
    }
    assert check("CountrySpecListParams", "limit=3") == {"limit": 3}
    assert check("AccountDeleteParams", "") == {}
    assert error_of("AccountDeleteParams", "expand[0]=x").code == "parameter_unknown"


def test_list_of_objects_item_errors_use_index() -> None:
    err = error_of("AccountCreateParams", "documents[company_license][files][0]=")
    assert err.param == "documents[company_license][files][0]"
    assert err.code == "parameter_invalid_empty"


def test_validate_returns_new_dict() -> None:
    params = decode_form("individual[dob][day]=1&individual[dob][month]=1&individual[dob][year]=2000")
    snapshot = copy.deepcopy(params)
    out = validate("AccountUpdateParams", params)
    assert params == snapshot
    assert out is not params and out["individual"] is not params["individual"]


# ---------------------------------------------------------------------------
# Performance
# ---------------------------------------------------------------------------

TYPICAL_UPDATE = (
    "business_type=individual&individual[first_name]=Jane&individual[last_name]=Doe"
    "&individual[email]=jane%40example.com&individual[phone]=%2B15555550100"
    "&individual[dob][day]=1&individual[dob][month]=2&individual[dob][year]=1990"
    "&individual[address][line1]=1+Main+St&individual[address][city]=San+Francisco"
    "&individual[address][state]=CA&individual[address][postal_code]=94110"
    "&individual[address][country]=US&individual[ssn_last_4]=0000"
    "&business_profile[mcc]=5734&business_profile[url]=https%3A%2F%2Fexample.com"
    "&tos_acceptance[date]=1700000000&tos_acceptance[ip]=127.0.0.1"
    "&capabilities[transfers][requested]=true&capabilities[card_payments][requested]=true"
    "&metadata[internal_id]=42&expand[0]=external_accounts"
)


def test_validate_is_fast_after_warm_up() -> None:
    params = decode_form(TYPICAL_UPDATE)
    validate("AccountUpdateParams", params)  # warm-up builds the cached schema
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(200):
            validate("AccountUpdateParams", params)
        samples.append((time.perf_counter() - start) / 200)
    assert min(samples) < 0.001, f"validate took {min(samples) * 1e6:.0f} µs"


def test_decimal_fields_coerce_to_decimal() -> None:
    # Decimal-typed SDK fields (e.g. prices) coerce to Decimal, not float
    price = schema("PriceCreateParams")
    assert price.fields["unit_amount_decimal"].node.decimal
    out = validate("PriceCreateParams", {"currency": "usd", "unit_amount_decimal": "12.345"})
    assert out["unit_amount_decimal"] == Decimal("12.345")

"""The step forms: Flask-WTF forms built from the catalog, one class per field type (issue 15)."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import FormField

from requirements_catalog import Catalog
from requirements_catalog import fieldtypes
from requirements_catalog.values import Context
from onboarding.wizard.forms import KINDS, Asking, Setting, bind, compiled, posted


def _individual(app: Flask) -> tuple[Setting, list]:
    version = Catalog().version()
    fields = [f for f in version.country("US").fields("individual", "full") if f.step == "individual"]
    return Setting("US", version, "en", str), fields


def test_every_catalog_type_has_one_class() -> None:
    assert set(KINDS) == set(fieldtypes.REGISTRY)


def test_a_step_is_a_flask_wtf_form_named_by_stripe_parameters(app: Flask) -> None:
    setting, fields = _individual(app)
    with app.test_request_context():
        built = compiled(fields, setting)
        assert issubclass(built.form, FlaskForm) and compiled(fields, setting) is built  # built once
        form, questions = bind(fields, setting, {"individual": {"address": {"state": "CA"}, "first_name": "Jenny"}})
        address = form["individual.address"]
        assert isinstance(address, FormField) and address.form["state"].name == "individual.address.state"
        assert address.form["state"].data == "CA" and form["individual.first_name"].data == "Jenny"
        shown = {i.name: i.value for q in questions for i in q.inputs}
        assert shown["individual.address.state"] == "CA" and shown["individual.ssn_last_4"] == ""


def test_validate_runs_the_catalogs_checks_and_puts_each_problem_on_its_input(app: Flask) -> None:
    setting, fields = _individual(app)
    data = MultiDict({"individual.first_name": "Jenny", "individual.address.postal_code": "9410",
                      "individual.dob.day": "31", "individual.dob.month": "2", "individual.dob.year": "1990"})
    with app.test_request_context(method="POST", data=data):
        form = posted(fields, setting, {"individual": {"last_name": "Rosen"}}, data)
        asking = Asking({f.path for f in fields}, Context("US", setting.version, date(2026, 12, 6), True), {})
        assert form.validate(asking=asking) is False
        names = {p.name for p in form.problems}
        assert "individual.address.postal_code" in names
        assert form["individual.address"].form["postal_code"].errors  # on the sub-field itself
        assert form.answers["individual.first_name"] == "Jenny"
        # A missing input is blank in a posted form, never what Stripe holds (last name: Rosen).
        assert form.answers["individual.last_name"] == ""


def test_the_payout_account_shows_its_last_four_digits_and_each_currency_when_there_are_several() -> None:
    version = Catalog().version()
    bank = next(f for f in version.country("DE").fields("individual", "full") if f.type == "bank_account")
    kind = KINDS["bank_account"]
    one = {"external_accounts": {"data": [{"id": "ba_1", "last4": "3000", "currency": "eur"}]}}
    two = {"external_accounts": {"data": [*one["external_accounts"]["data"],
                                          {"id": "ba_2", "last4": "6789", "currency": "usd"}]}}
    assert kind.shown(bank, one, version, "en", str) == "•••• 3000"
    assert kind.shown(bank, two, version, "en", str) == "•••• 3000 (EUR), •••• 6789 (USD)"
    assert kind.shown(bank, {}, version, "en", str) is None

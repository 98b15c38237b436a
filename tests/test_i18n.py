"""Locale selection and translated pages: switcher, Accept-Language, catalog labels, Babel names."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from markupsafe import escape
from flask.testing import FlaskClient

from tests.support.wizard import Wizard

TRANSLATIONS = Path(__file__).resolve().parent.parent / "onboarding" / "translations"


def _translation(locale: str, message: str) -> str:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle).get(message).string


@pytest.mark.parametrize("header, locale, lang", [
    ("de-DE,de;q=0.9,en;q=0.5", "de", "de"), ("zh-CN,zh;q=0.9", "zh_Hans", "zh-Hans"),
    ("nb-NO", "nb", "nb"), ("no", "nb", "nb"), ("pt-BR", "pt", "pt"), ("ko-KR", "en", "en"),
    # Traditional Chinese by region (Chrome's zh-HK, zh-TW, zh-MO) or by script (Safari's zh-Hant-HK, any case);
    # a named script wins over the region.
    ("zh-HK,zh;q=0.9", "zh_Hant", "zh-Hant"), ("zh-TW", "zh_Hant", "zh-Hant"), ("zh-MO", "zh_Hant", "zh-Hant"),
    ("zh-Hant-HK,en;q=0.5", "zh_Hant", "zh-Hant"), ("zh-hant", "zh_Hant", "zh-Hant"),
    ("zh-Hans-HK", "zh_Hans", "zh-Hans"), ("zh-SG", "zh_Hans", "zh-Hans"), ("zh", "zh_Hans", "zh-Hans"),
])
def test_accept_language_picks_a_supported_locale(client: FlaskClient, header: str, locale: str, lang: str) -> None:
    html = client.get("/onboard/unknown-token", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    expected = "This link does not work" if locale == "en" else _translation(locale, "This link does not work")
    assert f"<h1>{expected}</h1>" in html


def test_an_explicit_choice_wins_and_is_remembered(client: FlaskClient) -> None:
    headers = {"Accept-Language": "de"}
    assert '<html lang="ja">' in client.get("/?lang=ja", headers=headers).get_data(as_text=True)
    assert '<html lang="ja">' in client.get("/", headers=headers).get_data(as_text=True)
    # An unknown choice is ignored: the remembered one stays.
    assert '<html lang="ja">' in client.get("/?lang=xx", headers=headers).get_data(as_text=True)


def test_every_page_offers_every_locale_by_its_own_name(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for code, name in (("de", "Deutsch"), ("ja", "日本語"), ("zh_Hans", "中文 (简体)"), ("zh_Hant", "中文 (繁體)"),
                       ("nb", "Norsk bokmål")):
        assert f'href="?lang={code}"' in html and f">{name}</a>" in html


def test_wizard_pages_use_the_catalog_wording_in_the_users_language(client: FlaskClient, app: Flask) -> None:
    wizard = Wizard(client, "FR")
    client.get("/?lang=fr")
    page = wizard.start()
    assert str(escape(_translation("fr", "Business details"))) in page.html  # catalog text is escaped as data
    html = client.get("/onboarding/step/individual").get_data(as_text=True)
    assert _translation("fr", "Date of birth") in html and ">Date of birth<" not in html
    assert ">janvier<" in html  # month names from Babel


def test_a_hong_kong_page_reads_in_traditional_chinese_as_written_there(client: FlaskClient) -> None:
    """Issue 13: zh-HK browsers got English; the HK identity card and e-mail use Hong Kong's own words."""
    wizard = Wizard(client, "HK")
    client.get("/", headers={"Accept-Language": "zh-HK,zh;q=0.9,en;q=0.8"})
    wizard.start()
    html = client.get("/onboarding/step/individual", headers={"Accept-Language": "zh-HK,zh;q=0.9"}).get_data(
        as_text=True)
    assert '<html lang="zh-Hant">' in html
    assert "香港身份證號碼（HKID）" in html and "電郵地址" in html and "Hong Kong Identity Card" not in html
    assert "身份证" not in html and "电子邮件" not in html  # not the Simplified catalog


def test_nationality_lists_country_names_from_babel(client: FlaskClient) -> None:
    from onboarding.wizard.forms import Setting, bind
    from requirements_catalog import Catalog

    version = Catalog().version()
    field = version.country("SG").field_for("company", "representative.nationality")
    assert field is not None
    [question] = bind([field], Setting("SG", version, "de", str), None)[1]
    names = dict(question.inputs[0].choices)
    assert names["DE"] == "Deutschland" and names["JP"] == "Japan" and names["CH"] == "Schweiz"


def test_a_canadian_company_reads_its_identifiers_in_canadian_french(client: FlaskClient) -> None:
    """Issue 13: "Business Number (BN)" stayed English on fr-CA pages; its official French name is used."""
    wizard = Wizard(client, "CA", "company")
    assert '<html lang="fr">' in client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.8"}).get_data(as_text=True)
    client.get("/?lang=fr")  # kept for the visit, as a fr-CA browser's choice would be
    page = wizard.start()
    html = page.html if "company.tax_id" in page.html else client.get("/onboarding/step/business").get_data(as_text=True)
    assert '<html lang="fr">' in html and "Numéro d’entreprise (NE)" in html and "Business Number (BN)" not in html


@pytest.mark.parametrize("text, shown", [
    ("Share held (%)", "Share held (%)"),  # Jinja's `_()` formats with `%`: such a label raised before
    ('<meta http-equiv="refresh" content="0">', "&lt;meta http-equiv=&#34;refresh&#34; content=&#34;0&#34;&gt;"),
])
def test_catalog_text_is_shown_as_text(app: Flask, text: str, shown: str) -> None:
    from flask import render_template_string

    with app.test_request_context("/?lang=de"):
        assert render_template_string("{{ catalog_text(text) }}", text=text) == shown

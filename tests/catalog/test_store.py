"""Versions on disk: drafts copied from the current version, approval seals, immutability."""

from __future__ import annotations

from datetime import date

import pytest

from requirements_catalog import CatalogError, StoreError
from tests.catalog.conftest import VERSION, MiniCatalog

TODAY = date(2030, 2, 1)


def test_new_version_copies_the_current_one_as_a_draft(mini: MiniCatalog) -> None:
    catalog = mini.catalog()
    draft = catalog.new_version(TODAY, "Alex")
    assert draft == "2030-02-01"
    info = catalog.info(draft)
    assert (info.status, info.reviewed_by, info.based_on, info.seal) == ("draft", "Alex", VERSION, {})
    assert catalog.version(draft).country("DE").fields("individual") == \
        catalog.version(VERSION).country("DE").fields("individual")
    assert catalog.current_id() == VERSION  # a draft is not current until approved


def test_a_second_draft_on_the_same_day_gets_a_suffix(mini: MiniCatalog) -> None:
    catalog = mini.catalog()
    assert [catalog.new_version(TODAY, "A"), catalog.new_version(TODAY, "B")] == ["2030-02-01", "2030-02-01.2"]
    assert catalog.ids() == [VERSION, "2030-02-01", "2030-02-01.2"]


def test_approval_seals_and_makes_current(mini: MiniCatalog) -> None:
    catalog = mini.catalog()
    draft = catalog.new_version(TODAY, "Alex")
    version = catalog.approve(draft, "Compliance (Sam)", date(2030, 2, 3))
    assert (version.info.status, version.info.reviewed_by, version.info.reviewed_on) == \
        ("approved", "Compliance (Sam)", date(2030, 2, 3))
    assert set(version.info.seal) == {"version.toml", "fields.toml", "bank_formats.toml", "lists/mcc.toml",
                                      "countries/DE.toml"}
    assert catalog.current_id() == draft
    with pytest.raises(StoreError, match="not a draft; approved versions never change"):
        catalog.approve(draft, "Sam", TODAY)


def test_broken_drafts_cannot_be_approved(mini: MiniCatalog) -> None:
    mini.edit("fields.toml", 'type = "url"', 'type = "website"')
    with pytest.raises(CatalogError, match="type 'website' is not in the registry"):
        mini.catalog().approve(VERSION, "Sam", TODAY)
    assert mini.catalog().info(VERSION).status == "draft"


# The sealed version.toml: metadata on lines 1-6, then the comment, `[seal]` (line 9) and one line per file.
@pytest.mark.parametrize("change, message", [
    (lambda m: m.edit("countries/DE.toml", '"individual.dob",\n', ""),
     "12: seal.countries/DE.toml: countries/DE.toml was changed after the version was approved (approved versions "
     "never change: make a new version)"),
    (lambda m: m.path("lists/extra.toml").write_text('[[option]]\nvalue = "a"\nlabel = "A"\n'),
     "9: seal: lists/extra.toml was added after the version was approved"),
    (lambda m: m.path("lists/mcc.toml").unlink(),
     "14: seal.lists/mcc.toml: lists/mcc.toml was removed after the version was approved"),
    (lambda m: m.edit("version.toml", 'reviewed_by = "Sam"', 'reviewed_by = "Someone else"'),
     "10: seal.version.toml: version.toml was changed after the version was approved (approved versions never "
     "change: make a new version)"),
], ids=["edited", "added", "removed", "metadata"])
def test_editing_an_approved_version_is_detected(mini: MiniCatalog, change, message: str) -> None:
    mini.catalog().approve(VERSION, "Sam", TODAY)
    change(mini)
    problems = mini.problems()
    assert [p for p in problems if p.startswith(f"{VERSION}/version.toml")] == [f"{VERSION}/version.toml:{message}"]


def test_unknown_versions_are_named(mini: MiniCatalog) -> None:
    with pytest.raises(StoreError, match=r"no catalog version '2031-01-01' \(known: 2030-01-01\)"):
        mini.catalog().version("2031-01-01")


def test_a_version_is_loaded_once(mini: MiniCatalog) -> None:
    catalog = mini.catalog()
    assert catalog.version() is catalog.version(VERSION)


def test_any_text_in_a_note_or_a_name_round_trips_through_version_toml(mini: MiniCatalog) -> None:
    """A DEL (U+007F) in a sign-off note left version.toml unreadable and every compliance page at 500 (issue 14)."""
    catalog = mini.catalog()
    awkward = 'Sam \x7f\x85\u2028 "O\'Brien" \\ \t end'
    catalog.annotate(VERSION, f"Checked {awkward}\nnext line")
    version = catalog.approve(VERSION, awkward, TODAY, note=awkward)
    assert version.info.reviewed_by == awkward and awkward in version.info.notes
    assert mini.catalog().info(VERSION).reviewed_by == awkward  # read back from the file by a fresh store

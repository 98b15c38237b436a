"""Versions on disk: drafts copied from the current version, approval seals, immutability."""

from __future__ import annotations

import re
from datetime import date

import pytest

from requirements_catalog import CatalogError, StoreError, integrity
from requirements_catalog.validate import validate
from tests.catalog.conftest import VERSION, MiniCatalog

TODAY = date(2030, 2, 1)


def test_new_version_copies_the_current_one_as_a_draft(mini: MiniCatalog) -> None:
    catalog = mini.catalog()
    draft = catalog.new_version(TODAY, "Alex")
    assert draft == "2030-02-01"
    info = catalog.info(draft)
    assert (info.status, info.author, info.reviewed_by, info.based_on, info.seal) == ("draft", "Alex", "", VERSION, {})
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


def test_the_author_of_a_draft_cannot_approve_it_and_stays_named(mini: MiniCatalog) -> None:
    catalog = mini.catalog()
    draft = catalog.new_version(TODAY, "alex@example.com")
    with pytest.raises(StoreError, match="alex@example.com prepared 2030-02-01: someone else must approve it"):
        catalog.approve(draft, " Alex@Example.COM ", TODAY)
    assert catalog.info(draft).status == "draft"
    info = catalog.approve(draft, "sam@example.com", TODAY, note="Read it all").info
    assert (info.author, info.reviewed_by, info.sign_off_note) == ("alex@example.com", "sam@example.com", "Read it all")


def test_an_older_draft_names_its_author_in_reviewed_by(mini: MiniCatalog) -> None:
    info = mini.catalog().info(VERSION)
    assert info.status == "draft" and info.prepared_by == info.reviewed_by != ""
    with pytest.raises(StoreError, match="someone else must approve it"):
        mini.catalog().approve(VERSION, info.reviewed_by, TODAY)


def test_a_draft_changed_after_its_diff_was_opened_is_not_sealed(mini: MiniCatalog) -> None:
    catalog = mini.catalog()
    draft = catalog.new_version(TODAY, "alex@example.com")
    seen = integrity.review_digest(catalog.root / draft)
    (catalog.root / draft / "countries/DE.toml").write_text(
        (catalog.root / draft / "countries/DE.toml").read_text().replace('"individual.dob",\n', ""))
    with pytest.raises(StoreError, match="changed after its diff was opened"):
        catalog.approve(draft, "sam@example.com", TODAY, reviewed_digest=seen)
    assert catalog.info(draft).status == "draft"
    seen = integrity.review_digest(catalog.root / draft)  # the reviewer reads the diff again
    info = catalog.approve(draft, "sam@example.com", TODAY, reviewed_digest=seen, reviewed_against=VERSION).info
    assert (info.reviewed_digest, info.reviewed_against) == (seen, VERSION)
    assert integrity.review_digest(catalog.root / draft) == seen  # the sign-off is not part of what was reviewed


def test_broken_drafts_cannot_be_approved(mini: MiniCatalog) -> None:
    mini.edit("fields.toml", 'type = "url"', 'type = "website"')
    with pytest.raises(CatalogError, match="type 'website' is not in the registry"):
        mini.catalog().approve(VERSION, "Sam", TODAY)
    assert mini.catalog().info(VERSION).status == "draft"


# The sealed version.toml: metadata on lines 1-7 (the author kept), then the comment, `[seal]` (line 10) and one line per file.
@pytest.mark.parametrize("change, message", [
    (lambda m: m.edit("countries/DE.toml", '"individual.dob",\n', ""),
     "13: seal.countries/DE.toml: countries/DE.toml was changed after the version was approved (approved versions "
     "never change: make a new version)"),
    (lambda m: m.path("lists/extra.toml").write_text('[[option]]\nvalue = "a"\nlabel = "A"\n'),
     "10: seal: lists/extra.toml was added after the version was approved"),
    (lambda m: m.path("lists/mcc.toml").unlink(),
     "15: seal.lists/mcc.toml: lists/mcc.toml was removed after the version was approved"),
    (lambda m: m.edit("version.toml", 'reviewed_by = "Sam"', 'reviewed_by = "Someone else"'),
     "11: seal.version.toml: version.toml was changed after the version was approved (approved versions never "
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


def test_validate_names_a_self_approval_or_a_digest_other_than_the_sealed_files(mini: MiniCatalog) -> None:
    catalog = mini.catalog()
    catalog.approve(VERSION, "sam@example.com", TODAY, reviewed_digest=integrity.review_digest(mini.path("")))
    assert not [p for p in mini.problems() if "version.toml" in p]
    mini.edit("version.toml", 'author = "Test"', 'author = "Sam@example.com"')
    mini.edit("version.toml", 'reviewed_digest = "', 'reviewed_digest = "0')
    from requirements_catalog.integrity import digests  # a forger re-seals the edited file
    text = mini.path("version.toml").read_text()
    seal = digests(mini.path(""))["version.toml"]
    mini.path("version.toml").write_text(re.sub(r'"version.toml" = "[0-9a-f]+"', f'"version.toml" = "{seal}"', text))
    problems = [str(p) for p in validate(mini.catalog(), lambda operation, path: True, [VERSION])]
    assert any("reviewed_by: is the version's author (Sam@example.com): four eyes" in p for p in problems)
    assert any("reviewed_digest: differs from the sealed files" in p for p in problems)

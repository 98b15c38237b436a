"""The Files API: multipart uploads checked by content, size and dimensions, then used as documents."""

from __future__ import annotations

import io

import pytest
import stripe

from .helpers import complete_us_individual, create_account, jpeg, pdf, png, png_header_only

OTHER_DOB = {"year": 1985, "month": 6, "day": 15}


def upload(api: stripe.StripeClient, data: bytes, purpose: str = "identity_document",
           name: str | None = None) -> stripe.File:
    """Upload bytes the way the SDK documents it: a file object in `file`."""
    buffer = io.BytesIO(data)
    if name is not None:
        buffer.name = name  # the SDK sends it as the part's filename
    return api.v1.files.create(params={"purpose": purpose, "file": buffer})


def refused(api: stripe.StripeClient, data: bytes, purpose: str = "identity_document",
            name: str | None = None) -> stripe.InvalidRequestError:
    """Upload bytes that must be refused and return the error."""
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        upload(api, data, purpose, name)
    assert excinfo.value.http_status == 400
    return excinfo.value


def test_upload_png_and_retrieve(api: stripe.StripeClient) -> None:
    data = png(3, 2)

    file = upload(api, data, name="passport.png")

    assert file.id.startswith("file_") and file.object == "file"
    assert file.purpose == "identity_document"
    assert file.type == "png" and file.size == len(data)
    assert file.filename == "passport.png"
    assert api.v1.files.retrieve(file.id).to_dict() == file.to_dict()


@pytest.mark.parametrize(("data", "purpose", "kind"), [
    (jpeg(), "identity_document", "jpg"),
    (pdf(), "additional_verification", "pdf"),
    (pdf(), "account_requirement", "pdf"),
    (png(), "additional_verification", "png"),
])
def test_accepted_types(api: stripe.StripeClient, data: bytes, purpose: str, kind: str) -> None:
    file = upload(api, data, purpose)
    assert file.type == kind and file.purpose == purpose


def test_type_comes_from_content_not_name(api: stripe.StripeClient) -> None:
    file = upload(api, png(), name="scan.pdf")
    assert file.type == "png" and file.filename == "scan.pdf"

    error = refused(api, b"just some text, not an image\n", name="photo.png")
    assert error.param == "file"


def test_identity_documents_may_be_pdfs(client: stripe.StripeClient) -> None:
    assert upload(client, pdf(), "identity_document").type == "pdf"


def test_empty_file_is_refused(client: stripe.StripeClient) -> None:
    assert refused(client, b"").param == "file"


@pytest.mark.parametrize("purpose, megabytes", [("identity_document", 32), ("additional_verification", 16)])
def test_files_over_the_purposes_limit_are_refused(client: stripe.StripeClient, purpose: str, megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    image = png()
    assert upload(client, image + b"\0" * (limit - len(image)), purpose).size == limit
    assert refused(client, image + b"\0" * (limit - len(image) + 1), purpose).param == "file"


@pytest.mark.parametrize("data", [png_header_only(8001, 10), png_header_only(10, 8001), jpeg(9000, 100)])
def test_images_over_8000_pixels_are_refused(client: stripe.StripeClient, data: bytes) -> None:
    assert refused(client, data).param == "file"


def test_8000_pixels_is_the_limit(client: stripe.StripeClient) -> None:
    assert upload(client, png_header_only(8000, 8000)).type == "png"
    assert upload(client, jpeg(8000, 1)).type == "jpg"


def test_unreadable_image_is_refused(client: stripe.StripeClient) -> None:
    assert refused(client, b"\x89PNG\r\n\x1a\n" + b"\0" * 4).param == "file"


def test_uploaded_document_verifies_the_individual(api: stripe.StripeClient) -> None:
    account = create_account(api)
    complete_us_individual(api, account.id, dob=OTHER_DOB)
    assert api.v1.accounts.retrieve(account.id).requirements.currently_due == ["individual.verification.document"]
    front, back = upload(api, png()), upload(api, jpeg())

    api.v1.accounts.update(account.id, params={
        "individual": {"verification": {"document": {"front": front.id, "back": back.id}}}})

    after = api.v1.accounts.retrieve(account.id)
    assert after.requirements.currently_due == []
    assert after.individual.verification.document.front == front.id
    assert after.individual.verification.document.back == back.id
    assert after.individual.verification.status == "verified"
    assert after.charges_enabled


def test_unknown_file_id_is_refused(client: stripe.StripeClient) -> None:
    account = create_account(client)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.update(account.id, params={
            "individual": {"verification": {"document": {"front": "file_doesnotexist"}}}})
    assert excinfo.value.http_status == 400
    assert excinfo.value.code == "resource_missing"
    assert excinfo.value.param == "individual[verification][document][front]"


def test_a_file_for_another_purpose_is_refused(client: stripe.StripeClient) -> None:
    account = create_account(client)
    other = upload(client, pdf(), "account_requirement")
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.update(account.id, params={
            "individual": {"verification": {"document": {"front": other.id}}}})
    assert excinfo.value.param == "individual[verification][document][front]"


def test_company_documents_take_uploaded_files(client: stripe.StripeClient) -> None:
    account = create_account(client, business_type="company", company={"name": "Rosen", "tax_id": "111111111"})
    assert "company.tax_id" in client.v1.accounts.retrieve(account.id).requirements.currently_due
    document = upload(client, pdf(), "additional_verification")

    client.v1.accounts.update(account.id, params={"company": {"verification": {"document": {"front": document.id}}}})

    after = client.v1.accounts.retrieve(account.id)
    assert "company.tax_id" not in after.requirements.currently_due
    assert after.company.verification.document.front == document.id


def test_unknown_file_is_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.files.retrieve("file_nope")
    assert excinfo.value.http_status == 404 and excinfo.value.code == "resource_missing"


def test_upload_without_purpose_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.files.create(params={"file": io.BytesIO(png())})  # type: ignore[typeddict-item]
    assert excinfo.value.code == "parameter_missing"
    assert excinfo.value.param == "purpose"


def test_the_sdk_needs_a_file_object_not_bytes(client: stripe.StripeClient) -> None:
    # stripe-python 16.1 sends a part as a file only when the value has `read()` (its filename from
    # `.name`, else "blob"); bytes or a (name, bytes) tuple go out as text fields, and are no upload.
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.files.create(params={"purpose": "identity_document", "file": png()})
    assert excinfo.value.param == "file"
    assert upload(client, png()).filename == "blob"

"""Stripe's error codes in the user's language: Stripe's own `reason` texts are English only.

Codes come from refused requests (`InvalidRequest.code`) and from `requirements.errors[].code`.
A code not listed here gets a general message; Stripe's English text is never shown to users.
"""

from __future__ import annotations

from requirements_catalog.values import N_

MESSAGES = {
    "invalid_address_city_state_postal_code": N_("The city, region and postal code do not match. Check them."),
    "invalid_street_address": N_("Check the street address."),
    "invalid_dob_age_under_minimum": N_("The person must be at least 13 years old."),
    "invalid_dob_age_over_maximum": N_("Check the date of birth."),
    "invalid_phone_number": N_("Enter a valid phone number."),
    "invalid_tax_id": N_("The tax authorities do not know this number. Check it."),
    "invalid_tax_id_format": N_("This tax ID is not in the expected format."),
    "invalid_value_other": N_("Check this value."),
    "email_invalid": N_("Enter a valid e-mail address."),
    "url_invalid": N_("Enter a website address starting with https://."),
    "invalid_url_denylisted": N_("This website cannot be used. Enter the website of your business."),
    "invalid_url_website_inaccessible": N_("We could not open this website. Make sure it is public and online."),
    "invalid_url_website_inaccessible_geoblocked": N_("This website is not reachable from everywhere. Make it "
                                                      "publicly accessible."),
    "invalid_url_website_inaccessible_password_protected": N_("This website asks for a password. Make it publicly "
                                                              "accessible."),
    "invalid_url_website_incomplete": N_("This website looks incomplete. Describe your products and how to "
                                         "contact you."),
    "invalid_url_website_incomplete_under_construction": N_("This website is under construction. Enter a website "
                                                            "that describes your business."),
    "invalid_url_website_business_information_mismatch": N_("The website does not match the business details you "
                                                            "gave."),
    "invalid_url_website_other": N_("We could not verify this website. Check the address."),
    "verification_failed_keyed_identity": N_("We could not verify these identity details. Check them, or upload an "
                                             "identity document."),
    "verification_failed_id_number_match": N_("The ID number does not match the name and date of birth. Check it."),
    "verification_failed_address_match": N_("We could not verify this address. Upload a proof of address."),
    "verification_failed_tax_id_match": N_("The tax ID does not match the business name. Check both."),
    "verification_failed_tax_id_not_issued": N_("This tax ID has not been issued. Check it."),
    "verification_document_failed_test_mode": N_("The document could not be verified. Upload a clear colour photo "
                                                 "of the whole document."),
    "account_number_invalid": N_("Check the account number."),
    "invalid_currency": N_("Payouts in this currency are not available here."),
    "account_closed": N_("This bank account is closed. Enter another one."),
    "parameter_missing": N_("This field is required."),
    "parameter_invalid_empty": N_("This field is required."),
    "parameter_invalid_integer": N_("Enter a whole number."),
}
GENERAL = N_("Stripe could not accept this information. Check it and try again.")
PREFIXES = (("verification_document_", MESSAGES["verification_document_failed_test_mode"]),
            ("invalid_url_", MESSAGES["invalid_url_website_other"]))


def message_for(code: str | None) -> str:
    """Return the message id for a Stripe error code."""
    if code in MESSAGES:
        return MESSAGES[code]
    return next((message for prefix, message in PREFIXES if code and code.startswith(prefix)), GENERAL)

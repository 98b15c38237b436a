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
    # The rest of stripe-python 16.1.0's `Account.Requirements.Error.code` Literal (read 2026-12-06), every
    # code with a message of its own; a `verification_document_*` or `invalid_url_*` code Stripe adds later
    # gets its family's message (`PREFIXES`), any other the general one (and the catalog check's log).
    "external_request": N_("Stripe is waiting for a check by an outside party. Nothing is needed from you for now."),
    "information_missing": N_("Some information is missing. Check every answer on this step."),
    "invalid_address_cmra_address": N_("This is a commercial mail receiving address. Enter the address where the "
                                       "business or person really is."),
    "invalid_address_highway_contract_box": N_("A highway contract box cannot be used. Enter a street address."),
    "invalid_address_private_mailbox": N_("A private mailbox cannot be used. Enter a street address."),
    "invalid_address_registered_agent_address": N_("A registered agent's address cannot be used. Enter the address "
                                                   "where the business operates."),
    "invalid_business_profile_name": N_("Enter the name customers know your business by."),
    "invalid_business_profile_name_denylisted": N_("This business name cannot be used. Enter the name customers know "
                                                   "your business by."),
    "invalid_company_name_denylisted": N_("This company name cannot be used. Enter the legal name of the company."),
    "invalid_dob_age_under_18": N_("The person must be at least 18 years old."),
    "invalid_product_description_length": N_("The description of what you sell is too short or too long. Describe it "
                                             "in a sentence or two."),
    "invalid_product_description_url_match": N_("Describe what you sell in words, not with a website address."),
    "invalid_representative_country": N_("The representative's country cannot be used for this account. Check the "
                                         "address."),
    "invalid_signator": N_("This person cannot sign for the business. Choose someone with authority to do so."),
    "invalid_statement_descriptor_business_mismatch": N_("The text on customers' card statements must match your "
                                                         "business name."),
    "invalid_statement_descriptor_denylisted": N_("This text cannot appear on customers' card statements. Use your "
                                                  "business name."),
    "invalid_statement_descriptor_length": N_("The text on customers' card statements has the wrong length. Use 5 to "
                                              "22 characters."),
    "invalid_statement_descriptor_prefix_denylisted": N_("This prefix cannot appear on customers' card statements. "
                                                         "Use your business name."),
    "invalid_statement_descriptor_prefix_mismatch": N_("The statement prefix must match your business name."),
    "invalid_tos_acceptance": N_("The acceptance of the terms was not valid. Accept the terms again."),
    "unsupported_business_type": N_("This type of business cannot be onboarded here."),
    "verification_directors_mismatch": N_("The directors do not match the official register. Check the list of "
                                          "directors."),
    "verification_extraneous_directors": N_("Some people listed as directors are not in the official register. Remove "
                                            "them or check their details."),
    "verification_failed_authorizer_authority": N_("We could not confirm that this person may authorise the "
                                                   "representative. Upload a letter of authorisation."),
    "verification_failed_business_iec_number": N_("We could not verify the Importer-Exporter Code (IEC). Check it."),
    "verification_failed_document_match": N_("The document does not match the details given. Check the details or "
                                             "upload another document."),
    "verification_failed_keyed_match": N_("The details do not match official records. Check them."),
    "verification_failed_name_match": N_("The name does not match official records. Enter the name exactly as "
                                         "registered."),
    "verification_failed_other": N_("We could not verify this information. Check it or upload a supporting document."),
    "verification_failed_representative_authority": N_("We could not confirm that the representative may act for the "
                                                       "business. Upload a document that shows it."),
    "verification_failed_residential_address": N_("We could not verify the residential address. Check it or upload a "
                                                  "proof of address."),
    "verification_legal_entity_structure_mismatch": N_("The business structure does not match official records. Check "
                                                       "the type of business."),
    "verification_missing_directors": N_("Add every director of the company."),
    "verification_missing_executives": N_("Add the company's executives."),
    "verification_missing_owners": N_("Add every person who owns 25 percent or more of the company."),
    "verification_rejected_ownership_exemption_reason": N_("The reason given for not listing owners was not accepted. "
                                                           "Add the owners instead."),
    "verification_requires_additional_memorandum_of_associations": N_("Upload the memorandum of association of the "
                                                                      "company that owns this business."),
    "verification_requires_additional_proof_of_registration": N_("Upload a proof of registration of the company that "
                                                                 "owns this business."),
    "verification_supportability": N_("This business cannot be supported by Stripe. Contact us for help."),
    "invalid_url_format": N_("Enter a full website address, for example https://www.example.com."),
    "invalid_url_length": N_("This website address is too long. Enter a shorter one."),
    "invalid_url_web_presence_detected": N_("Your business has a website or social media page. Enter its address."),
    "invalid_url_website_empty": N_("This website has no content. Enter a website that describes your business."),
    "invalid_url_website_incomplete_cancellation_policy": N_("The website needs a cancellation policy. Add one and "
                                                             "try again."),
    "invalid_url_website_incomplete_customer_service_details": N_("The website needs customer service contact "
                                                                  "details. Add them and try again."),
    "invalid_url_website_incomplete_legal_restrictions": N_("The website needs to state the legal or export "
                                                            "restrictions on what you sell. Add them and try again."),
    "invalid_url_website_incomplete_refund_policy": N_("The website needs a refund policy. Add one and try again."),
    "invalid_url_website_incomplete_return_policy": N_("The website needs a return policy. Add one and try again."),
    "invalid_url_website_incomplete_terms_and_conditions": N_("The website needs terms and conditions. Add them and "
                                                              "try again."),
    "verification_document_address_mismatch": N_("The address on the document does not match the address given. Check "
                                                 "the address or upload another document."),
    "verification_document_address_missing": N_("The document does not show an address. Upload one that does."),
    "verification_document_corrupt": N_("The file could not be read. Upload it again."),
    "verification_document_country_not_supported": N_("Documents from this country cannot be used. Upload another "
                                                      "document."),
    "verification_document_directors_mismatch": N_("The directors on the document do not match the directors given. "
                                                   "Check the list of directors."),
    "verification_document_dob_mismatch": N_("The date of birth on the document does not match the one given. Check "
                                             "the date of birth."),
    "verification_document_duplicate_type": N_("The same document was uploaded twice. Upload a different one."),
    "verification_document_expired": N_("The document has expired. Upload a valid one."),
    "verification_document_failed_copy": N_("The document is a copy. Upload a photo of the original."),
    "verification_document_failed_greyscale": N_("The document is in black and white. Upload a colour photo."),
    "verification_document_failed_other": N_("The document could not be verified. Upload another one."),
    "verification_document_fraudulent": N_("The document could not be accepted. Upload another document."),
    "verification_document_id_number_mismatch": N_("The number on the document does not match the one given. Check "
                                                   "the number."),
    "verification_document_id_number_missing": N_("The document does not show the ID number. Upload one that does."),
    "verification_document_incomplete": N_("Part of the document is missing. Upload a photo that shows all of it."),
    "verification_document_invalid": N_("This type of document cannot be used. Upload an accepted identity document."),
    "verification_document_issue_or_expiry_date_missing": N_("The document does not show its issue or expiry date. "
                                                             "Upload one that does."),
    "verification_document_manipulated": N_("The document appears altered. Upload the original document."),
    "verification_document_missing_back": N_("Upload the back of the document too."),
    "verification_document_missing_front": N_("Upload the front of the document too."),
    "verification_document_name_mismatch": N_("The name on the document does not match the name given. Check the "
                                              "name."),
    "verification_document_name_missing": N_("The document does not show a name. Upload one that does."),
    "verification_document_nationality_mismatch": N_("The nationality on the document does not match the one given. "
                                                     "Check it."),
    "verification_document_not_readable": N_("The document is not readable. Upload a sharper photo."),
    "verification_document_not_signed": N_("The document is not signed. Upload a signed one."),
    "verification_document_not_uploaded": N_("The document did not arrive. Upload it again."),
    "verification_document_photo_mismatch": N_("The photo on the document does not match the person. Upload another "
                                               "document."),
    "verification_document_too_large": N_("The file is too large. Upload a smaller one."),
    "verification_document_type_not_supported": N_("This type of document is not accepted. Upload another kind of "
                                                   "identity document."),
}
GENERAL = N_("Stripe could not accept this information. Check it and try again.")
PREFIXES = (("verification_document_", MESSAGES["verification_document_failed_test_mode"]),
            ("invalid_url_", MESSAGES["invalid_url_website_other"]))


def message_for(code: str | None) -> str:
    """Return the message id for a Stripe error code."""
    if code in MESSAGES:
        return MESSAGES[code]
    return next((message for prefix, message in PREFIXES if code and code.startswith(prefix)), GENERAL)

"""HTTP handlers; importing this package registers every route."""

from . import account_links, accounts, external_accounts, files, misc, payouts, persons  # noqa: F401

"""Rendered wizard pages, kept per process until anything they show changes.

A step page is a function of the catalog version (immutable), the account's cached Stripe state,
the visit (its link and the fields it collects), the locale, the address asked for and the day (the
plan brings future requirements forward by date). The key holds all of these; the account's
`updated_at` moves whenever its cached state does (every write, webhook, link opening and person
change). Two values differ on every view and are never kept: the CSRF token and the form's one-time
`submission` value, which are put in afresh each time the page is served.

Pages with errors or a user's typing in them are never cached: only a plain view (GET) is.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable

CSRF_MARK = "\x00csrf-token\x00"
SUBMISSION_MARK = "\x00submission\x00"


class PageCache:
    """A bounded, thread-safe LRU of rendered pages with their two per-view values taken out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, csrf_token: str) -> str | None:
        """Return the page for `key` with a fresh token and submission value, or None."""
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            self._pages.move_to_end(key)
        return page.replace(CSRF_MARK, csrf_token).replace(SUBMISSION_MARK, secrets.token_urlsafe(16))

    def put(self, key: Hashable, page: str, csrf_token: str, submission: str) -> None:
        """Keep a rendered page, without the token and the submission value it was rendered with."""
        if self.size <= 0 or CSRF_MARK in page or SUBMISSION_MARK in page:
            return
        kept = page.replace(csrf_token, CSRF_MARK).replace(submission, SUBMISSION_MARK)
        with self._lock:
            self._pages[key] = kept
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)

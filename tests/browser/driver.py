"""Fill the wizard in a real browser: find each step's inputs, answer them, submit, check accessibility."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

API_KEY = "platform-browser-key"


@dataclass
class BrowserWizard:
    """One user in one browser, onboarding one account the platform created through its API."""

    page: Any
    app: Flask
    base: str
    axe: Any
    locale: str = "en"
    steps: list[str] = field(default_factory=list)
    account: dict[str, Any] = field(default_factory=dict)

    def open(self, country: str, business_type: str) -> None:
        """Create the account and its link through the platform API, and open the link in the browser."""
        api = self.app.test_client()
        headers = {"Authorization": f"Bearer {API_KEY}"}
        self.account = api.post("/api/v1/accounts", headers=headers,
                                json={"country": country, "business_type": business_type}).get_json()
        link = api.post(f"/api/v1/accounts/{self.account['id']}/links", headers=headers, json={
            "return_url": "https://platform.example/done", "refresh_url": "https://platform.example/again"}).get_json()
        self.page.goto(f"{self.base}/?lang={self.locale}")
        self.page.goto(self.base + urlsplit(link["url"]).path)

    @property
    def path(self) -> str:
        """Return the current page's path."""
        return urlsplit(self.page.url).path

    def check_accessibility(self) -> None:
        """Fail on any axe-core violation on the current page."""
        violations = self.axe.run(self.page).response["violations"]
        assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations]

    def names(self, form: str = "form") -> list[str]:
        """Return the input names of a form on the page."""
        names = self.page.eval_on_selector_all(f"{form} [name]", "els => els.map(e => e.name)")
        return [n for n in dict.fromkeys(names) if n not in ("csrf_token", "submission", "action", "person")]

    def fill(self, answers: Mapping[str, Any], form: str = "form") -> None:
        """Answer every input of a form that `answers` knows."""
        for name in self.names(form):
            if name not in answers:
                continue
            selector = f'{form} [name="{name}"]'
            kind = self.page.get_attribute(selector, "type") or self.page.eval_on_selector(
                selector, "e => e.tagName.toLowerCase()")
            value = answers[name]
            if kind == "select":
                self.page.select_option(selector, value)
            elif kind == "checkbox":
                self.page.check(selector) if value else self.page.uncheck(selector)
            elif kind == "file":
                self.page.set_input_files(selector, value)
            else:
                self.page.fill(selector, value)

    def submit(self, form: str = "form") -> None:
        """Press the form's submit button with the keyboard, as a user without a mouse would."""
        self.page.focus(f"{form} button[type=submit]")
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    def run(self, answers: Mapping[str, Any], people: Mapping[str, list[Mapping[str, Any]]] | None = None,
            limit: int = 20) -> None:
        """Go through every step until the status page, checking accessibility on every page."""
        people = {role: list(entries) for role, entries in (people or {}).items()}
        added: dict[str, Mapping[str, Any]] = {}  # the last answers given for each role's people
        for _ in range(limit):
            self.check_accessibility()
            if "/step/" not in self.path:
                return
            step = self.path.rsplit("/", 1)[1]
            self.steps.append(step)
            save = 'form:has(input[name="action"][value="save"])'
            carry_on = 'form:has(input[name="action"][value="continue"])'
            needy = self.page.query_selector('[data-attention="true"] a')
            if self.page.query_selector(save) and people.get(step):
                form, step_answers = save, people[step].pop(0)
                added[step] = step_answers
            elif needy is not None and step in added:  # Stripe needs more about a person added before
                with self.page.expect_navigation():
                    needy.click()
                self.check_accessibility()
                form, step_answers = save, added[step]
            elif self.page.query_selector(save) and not self.page.query_selector(carry_on):
                form, step_answers = save, answers  # the representative: one person, one form
            elif self.page.query_selector(carry_on):
                form, step_answers = carry_on, answers
            else:
                form, step_answers = "form", answers
            self.fill(step_answers, form)
            self.submit(form)
            errors = self.page.query_selector('[data-testid="error-summary"]')
            assert errors is None, (step, errors.inner_text())
        raise AssertionError(f"no end after {limit} pages: {self.steps}")

    def state(self) -> str:
        """Return the status page's state."""
        return re.search(r'data-state="(\w+)"', self.page.content()).group(1)

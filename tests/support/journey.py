"""Run a whole onboarding journey through the test client with answers derived from the catalog.

The journey behaves like a careful user: on each page it answers what is marked required (see
`answers.Answers`), uploads a document only when the page asks for one after a try, and on a step
about people it adds a person only when the wizard comes back to that step, which is how the
wizard says that somebody is still missing. Anything else the wizard refuses fails the journey with
the page's messages, so a catalog that asks what an honest user cannot answer is caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

from requirements_catalog import Version
from tests.support.answers import Answers, parse_form
from tests.support.wizard import Page, Wizard

MAX_PEOPLE = 3  # per role: more means the wizard keeps asking for somebody no honest user would add


@dataclass
class Journey:
    """One account of one country and business type, from its link to the status page."""

    client: FlaskClient
    version: Version
    country: str
    business_type: str
    steps: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    saved: str | None = None  # the people step whose person form was posted last

    def run(self, limit: int = 40, until: Callable[[Page], bool] | None = None) -> Page:
        """Go through every step until the status page (or `until(page)`); fail with the page's messages when stuck."""
        wizard = Wizard(self.client, self.country, self.business_type)
        self.wizard, self.answers = wizard, Answers(self.version, self.country, self.business_type)
        page = wizard.start()
        for _ in range(limit):
            if "/step/" not in page.path or (until is not None and until(page)):
                return page
            step = page.path.rsplit("/", 1)[1].split("?")[0]
            self.steps.append(step)
            page = self._step(page, step)
        raise AssertionError(f"{self.country} {self.business_type}: no end after {limit} pages: {self.steps}")

    def _step(self, page: Page, step: str) -> Page:
        html = page.html
        if 'name="action" value="continue"' in html:
            return self._people(page, step)
        if 'name="action" value="save"' in html:
            return self._post(page.form("save"), step)
        return self._post(page, step)

    def _people(self, page: Page, step: str) -> Page:
        just_saved, self.saved = self.saved == step, None
        needy = re.search(r'data-person="([^"]+)" data-attention="true"', page.html)
        if needy is not None:  # Stripe needs more about somebody added before
            url = f"/onboarding/step/{step}?person={needy.group(1)}"
            self.saved = step
            return self._post(Page(url, self.client.get(url)).form("save"), step)
        # After a person is saved the wizard always shows the step's list again: that is not coming back
        # for somebody missing, which only a "continue" that lands on the same step again says.
        came_back = len(self.steps) > 1 and self.steps[-2] == step and not just_saved
        if came_back or self._role_required(page, step):
            self.added[step] = self.added.get(step, 0) + 1
            assert self.added[step] <= MAX_PEOPLE, (
                f"{self.country} {self.business_type}: the {step} step keeps asking for people: {self.steps}")
            self.saved = step
            return self._post(page.form("save"), step)
        return self._post(page.form("continue"), step)

    def _role_required(self, page: Page, step: str) -> bool:
        """Tell whether the step says nobody holds the role yet and somebody must (no list, no way to decline)."""
        continuing = page.form("continue").html
        return 'data-testid="people"' not in page.html and f"company.{step}_provided" not in continuing

    def _post(self, page: Page, step: str) -> Page:
        answers = self.answers.form(parse_form(page.html))
        response = self.wizard.submit(page, answers)
        if response.status_code == 422:
            refused = self._refused(response.get_data(as_text=True))
            uploads = {name: self.answers.value(name, "input", {}, [], {}, answers)
                       for name in refused if self._is_file(page, name)}
            if uploads and set(uploads) == set(refused):  # the step asks for documents: upload them and go on
                response = self.wizard.submit(page, {**answers, **uploads})
        if response.status_code != 303:
            body = response.get_data(as_text=True)
            raise AssertionError(f"{self.country} {self.business_type}, step {step}: refused "
                                 f"{self._refused(body)}: {re.findall(r'<li>(.*?)</li>', body)} (answers given: "
                                 f"{sorted(answers)}; steps so far {self.steps})")
        return self.wizard.follow(response)

    @staticmethod
    def _refused(html: str) -> list[str]:
        return list(dict.fromkeys(re.findall(r'id="([^"]+)-error"', html)))

    @staticmethod
    def _is_file(page: Page, name: str) -> bool:
        return re.search(rf'<input type="file" id="{re.escape(name)}"', page.html) is not None

    def state(self) -> dict[str, Any]:
        """Return the account as the platform API shows it."""
        return self.wizard.state()

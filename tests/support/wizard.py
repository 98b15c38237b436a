"""Drive the onboarding wizard through the test client, the way a browser without JavaScript would."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

AUTH = {"Authorization": "Bearer platform-test-key"}
URLS = {"return_url": "https://platform.example/return", "refresh_url": "https://platform.example/refresh"}
HIDDEN = ("csrf_token", "submission")


@dataclass
class Page:
    """A wizard page as a browser sees it."""

    path: str
    response: TestResponse
    fragment: str | None = None  # one form of the page (see `form`)

    @property
    def html(self) -> str:
        """Return the page's HTML (or the form it was narrowed to)."""
        return self.fragment if self.fragment is not None else self.response.get_data(as_text=True)

    def inputs(self) -> list[str]:
        """Return the names of the form's visible inputs, in page order."""
        names = re.findall(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"', self.html)
        return [n for n in dict.fromkeys(names) if n not in HIDDEN]

    def form(self, action: str, person: str | None = None) -> Page:
        """Return the page narrowed to the form with this `action` (and `person`) hidden input."""
        for chunk in self.html.split("<form")[1:]:
            body = chunk.split("</form>")[0]
            if f'name="action" value="{action}"' in body and (person is None or f'value="{person}"' in body):
                return Page(self.path, self.response, "<form" + body)
        raise AssertionError(f"no form with action {action!r} on {self.path}")

    def hidden(self) -> dict[str, str]:
        """Return the hidden inputs a browser posts back."""
        return {name: re.search(rf'name="{name}" value="([^"]*)"', self.html).group(1) for name in HIDDEN}


@dataclass
class Wizard:
    """One user's visit: an account made through the platform API, then its onboarding link."""

    client: FlaskClient
    country: str
    business_type: str | None = "individual"
    account: dict[str, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    auth: dict[str, str] = field(default_factory=lambda: dict(AUTH))  # the platform API key of the app

    def start(self, **link: Any) -> Page:
        """Create the account and open its link; return the first page."""
        body = {"country": self.country, "email": "user@example.com"}
        if self.business_type:
            body["business_type"] = self.business_type
        self.account = self.client.post("/api/v1/accounts", headers=self.auth, json=body).get_json()
        url = self.client.post(f"/api/v1/accounts/{self.account['id']}/links", headers=self.auth,
                               json={**URLS, **link}).get_json()["url"]
        return self.follow(self.client.get(url.removeprefix("http://localhost")))

    def follow(self, response: TestResponse) -> Page:
        """Follow redirects to the page they end on."""
        path = ""
        while response.status_code in (302, 303):
            path = response.headers["Location"]
            response = self.client.get(path)
        return Page(path, response)

    def submit(self, page: Page, answers: Mapping[str, Any], extra: Mapping[str, Any] | None = None,
               submission: str | None = None) -> TestResponse:
        """Post the page's form with the answers its inputs ask for (and `extra` fields, to tamper)."""
        data = {name: answers[name] for name in page.inputs() if name in answers and name not in ("action", "person")}
        hidden = page.hidden()
        for name in ("action", "person"):
            if (found := re.search(rf'name="{name}" value="([^"]*)"', page.html)) is not None:
                hidden[name] = found.group(1)
        if submission:
            hidden["submission"] = submission
        return self.client.post(page.path, data={**data, **hidden, **(extra or {})},
                                content_type="multipart/form-data")

    def complete(self, answers: Mapping[str, Any], limit: int = 12, until: Any = None) -> Page:
        """Answer every step until the wizard ends on the status page (or `until(page)`); fail on a refusal."""
        page = self.start()
        for _ in range(limit):
            if "/step/" not in page.path or (until is not None and until(page)):
                return page
            self.steps.append(page.path.rsplit("/", 1)[1])
            response = self.submit(page, answers)
            refused = re.findall(r"<li>(.*?)</li>", response.get_data(as_text=True))
            assert response.status_code == 303, (page.path, refused)
            page = self.follow(response)
        raise AssertionError(f"the wizard did not end after {limit} steps: {self.steps}")

    def state(self) -> dict[str, Any]:
        """Return the account as the platform API shows it now."""
        return self.client.get(f"/api/v1/accounts/{self.account['id']}", headers=self.auth).get_json()

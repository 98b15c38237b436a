"""The least any step page must do, as a third app for `bench/step_vs_flaskwtf.py --floor`.

Per request it reads Flask's signed session cookie, runs one indexed query through SQLAlchemy Core
on SQLite (the visit's link), makes Flask-WTF's CSRF token and answers our step page's own bytes
(`FLOOR_PAGE`, a file the benchmark writes) with that token in it. No templates, no form, no
translations, no extensions. Whatever our page does beyond this (render templates, bind a form,
plan the visit, translate) has to fit in the gap between this app and the minimal Flask-WTF app, so
its requests/s bound what any design of the step page can reach on the same machine.

Configured from the environment: `FLOOR_DB` (an SQLite file it creates), `FLOOR_PAGE`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask, session
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect, generate_csrf
from sqlalchemy import create_engine, text

app = Flask(__name__)
app.secret_key = "floor"
CSRFProtect(app)
engine = create_engine(f"sqlite:///{os.environ['FLOOR_DB']}")
with engine.begin() as connection:
    connection.execute(text("CREATE TABLE IF NOT EXISTS link (id TEXT PRIMARY KEY, account TEXT NOT NULL)"))
    connection.execute(text("INSERT OR IGNORE INTO link VALUES ('link_1', 'acct_1')"))
TOKEN = re.compile(r'(name="csrf_token" value=")[^"]*(")')
PAGE = Path(os.environ["FLOOR_PAGE"]).read_text(encoding="utf-8")
QUERY = text("SELECT id, account FROM link WHERE id = :link")


@app.get("/healthz")
def health() -> ResponseReturnValue:
    """Answer that the app is up."""
    return "ok"


@app.get("/session")
def start() -> ResponseReturnValue:
    """Start a visit: the session holds a link and the fields it collects, as ours does."""
    session["onboarding"] = {"account": "acct_1", "link": "link_1", "started": "2026-12-07T00:00:00",
                             "fields": [f"individual.field_{n}" for n in range(12)]}
    return "ok"


@app.get("/step")
def step() -> ResponseReturnValue:
    """Check the visit with one query and answer the page with a fresh CSRF token."""
    visit = session.get("onboarding") or {}
    with engine.connect() as connection:
        if connection.execute(QUERY, {"link": visit.get("link")}).first() is None:
            return "no visit", 401
    token = generate_csrf()
    return TOKEN.sub(lambda m: m.group(1) + token + m.group(2), PAGE), 200, {"Cache-Control": "no-store"}

"""Locust load test (issue #11 item 4): concurrent users mixing what people do all day.

Started by `python bench/run_http.py --locust` (which loads the data, starts the server as
`make run` does and passes the terms, ids and API token in POWERKAM_LOCUST_INFO), or by hand
against a running server:

    POWERKAM_LOCUST_INFO=bench/out/locust-info.json locust -f bench/locustfile.py --headless \\
        -u 16 -r 4 -t 2m --host http://127.0.0.1:8000

Each simulated user logs in through the login form (a browser session) and then, with a
think time of 0.5–2 s between requests, searches (two- and three-to-four-character terms),
opens the list and the customer 360 page, looks at the work queue, reads the API list with the
token, and now and then records a payment through the API. Requests are grouped by page
(`name=`) so that the p95 is per page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from datetime import date
from pathlib import Path
from urllib.parse import quote

from locust import HttpUser, between, task
from locust.clients import HttpSession

INFO = json.loads(Path(os.environ["POWERKAM_LOCUST_INFO"]).read_text())
PASSWORD = INFO["password"]
# Half the users are the company supervisor (sees every customer), half key account managers.
USERS = itertools.cycle(INFO.get("usernames") or ["supervisor1"])
COUNTER = itertools.count()


class Staff(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.username = next(USERS)
        self.rng = random.Random(hash(self.username) ^ next(COUNTER))
        page = self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies.get("csrftoken") or re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        # Logging in hashes the password (PBKDF2, ~0.3 s of CPU by design): one per user at the start.
        with self.client.post("/accounts/login/", name="login (password check)", allow_redirects=False, catch_response=True,
                              data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
                              headers={"Referer": f"{self.host}/accounts/login/"}) as r:
            if r.status_code != 302:
                r.failure(f"login answered {r.status_code}")
        # The API with the token, as an integration calls it: a client of its own, without the
        # browser session's cookie (DRF would take the session and ask for a CSRF token).
        self.api = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
        self.api.headers["Authorization"] = f"Token {INFO['token']}"
        mine = INFO["per_user"].get(self.username) or {"ids": INFO["ids"], "pages": INFO["pages"]}
        self.ids, self.pages = mine["ids"], mine["pages"]

    def _term(self, kind: str) -> str:
        return quote(self.rng.choice(INFO["terms"][kind])[0])

    @task(4)
    def search_2char(self):
        kind = self.rng.choice(("2char_frequent", "2char_rare"))
        self.client.get(f"/customers/?q={self._term(kind)}", name="search 2 chars")

    @task(3)
    def search_34char(self):
        kind = self.rng.choice(("34char_frequent", "34char_rare"))
        self.client.get(f"/customers/?q={self._term(kind)}", name="search 3-4 chars")

    @task(3)
    def list_page(self):
        self.client.get(f"/customers/?page={self.rng.randint(1, min(40, self.pages))}", name="list page")

    @task(4)
    def detail_360(self):
        self.client.get(f"/customers/{self.rng.choice(self.ids)}/", name="360 page")

    @task(2)
    def work_queue(self):
        self.client.get("/queue/", name="work queue")

    @task(2)
    def api_list(self):
        self.api.get(f"/api/v1/customers/?page={self.rng.randint(1, INFO['api_pages'])}", name="API list")

    @task(1)
    def payment(self):
        self.api.post("/api/v1/payments/", name="payment (API)", json={
            "customer": self.rng.choice(INFO["ids"]), "amount": "100.00", "channel": "counter",
            "received_on": date.today().isoformat(), "is_advance": True,
            "reference": f"LOCUST-{os.getpid()}-{next(COUNTER)}"})

"""SQL statements per page, counted in-process: the app's test client against the
benchmark database (DATABASE_URL), with the same before_cursor_execute counter the
query-budget tests use. bench/run.py runs it in a child process and reads the JSON
it prints. No backdoor in the app: a page is requested as a browser would, and
signed-in people sign in through the sign-in form.

Each page is counted twice: rendered (by an app with the visitors' page cache turned
off, so every request renders) and as served (by the app as configured, on a repeat
request, so a visitor's page comes from the page cache).

Input (argv[1]): JSON {"pages": [{"name", "paths", "as"}], "people": {who: {"email", "password"}}}, where
"as" is "visitor" or one of the people."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from playbook import create_app
    from playbook.config import config_from_env

    spec = json.loads(sys.argv[1])
    rendering = create_app(
        type("RenderEveryTime", (config_from_env(),), {"PLAYBOOK_PAGE_CACHE_BYTES": 0})
    )
    served = create_app()
    rendered, repeated = _count(rendering, spec), _count(served, spec)
    results = {
        name: {
            **counts,
            "statements_served": repeated[name]["statements"],
            "statements_served_each": repeated[name]["statements_each"],
        }
        for name, counts in rendered.items()
    }
    print("BENCH_STATEMENTS " + json.dumps(results))


def _count(app, spec: dict) -> dict:
    from playbook.database import count_statements
    from playbook.extensions import db

    with app.app_context():
        engine = db.engine
    clients = {"visitor": app.test_client()}
    for who, person in spec["people"].items():
        clients[who] = app.test_client()
        _sign_in(clients[who], person)
    results = {}
    for page in spec["pages"]:
        client = clients[page["as"]]
        counts, sizes, statuses = [], [], []
        for path in page["paths"]:
            client.get(path)  # warm: templates compiled, connections open, a visitor's page stored
            # No app context is held here: each request gets its own, as on a server.
            with count_statements(engine) as statements:
                response = client.get(path)
            counts.append(len(statements))
            sizes.append(len(response.data))
            statuses.append(response.status_code)
        results[page["name"]] = {
            "statements": max(counts),
            "statements_each": counts,
            "bytes": max(sizes),
            "status": max(statuses),
        }
    return results


def _sign_in(client, person: dict) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login",
        data={"csrf_token": token, "email": person["email"], "password": person["password"]},
    )
    if response.status_code != 302:
        raise SystemExit(f"{person['email']} could not sign in (status {response.status_code})")


if __name__ == "__main__":
    main()

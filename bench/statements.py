"""SQL statements per page, counted in-process: the app's test client against the
benchmark database (DATABASE_URL), with the same before_cursor_execute counter the
query-budget tests use. bench/run.py runs it in a child process and reads the JSON
it prints. No backdoor in the app: a page is requested as a browser would, and the
moderator signs in through the sign-in form.

Input (argv[1]): JSON {"pages": [{"name", "paths", "moderator"}], "moderator": {"email", "password"}}."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from playbook import create_app
    from playbook.database import count_statements
    from playbook.extensions import db

    spec = json.loads(sys.argv[1])
    app = create_app()
    with app.app_context():
        engine = db.engine
    visitor, moderator = app.test_client(), app.test_client()
    _sign_in(moderator, spec["moderator"])
    results = {}
    for page in spec["pages"]:
        client = moderator if page["moderator"] else visitor
        counts, sizes, statuses = [], [], []
        for path in page["paths"]:
            client.get(path)  # warm: templates compiled, connections open
            # No app context is held here: each request gets its own, as on a server.
            with count_statements(engine) as statements:
                response = client.get(path)
            counts.append(len(statements))
            sizes.append(len(response.data))
            statuses.append(response.status_code)
        results[page["name"]] = {"statements": max(counts), "statements_each": counts, "bytes": max(sizes),
                                 "status": max(statuses)}
    print("BENCH_STATEMENTS " + json.dumps(results))


def _sign_in(client, moderator: dict) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"csrf_token": token, "email": moderator["email"],
                                                "password": moderator["password"]})
    if response.status_code != 302:
        raise SystemExit(f"the benchmark moderator could not sign in (status {response.status_code})")


if __name__ == "__main__":
    main()

"""Entry point: `python run.py` prepares the database, starts the background jobs (in
threads of this process) and serves the app locally; `flask` commands and gunicorn
(`run:app`) use the same app object, and only enqueue jobs: production runs
`flask worker` beside gunicorn."""

import gc
import os

from playbook import create_app, jobs, models
from playbook.extensions import db

app = create_app()
# What the app built at start-up lives as long as the process: take it out of the
# cyclic garbage collector's reach, so collections during requests stay short.
gc.freeze()


@app.shell_context_processor
def shell_context():
    return {"db": db, "models": models}


if __name__ == "__main__":
    from flask_migrate import upgrade

    from playbook.library.seed import seed_library
    from playbook.surveys.seed import seed_instruments

    with app.app_context():
        upgrade()
        report = seed_library()
        print(
            f"Database ready; starter library: {report}; {seed_instruments()} survey instruments added."
        )
    host = os.environ.get("PLAYBOOK_HOST", "127.0.0.1")
    port = int(os.environ.get("PLAYBOOK_PORT", "5000"))
    consumer = jobs.start_embedded_consumer(app)
    print(f"Playbook is running at http://{host}:{port}/ (press Ctrl+C to stop)")
    try:
        app.run(host=host, port=port, debug=False)
    finally:
        consumer.stop(graceful=True)

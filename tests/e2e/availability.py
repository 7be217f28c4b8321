"""Whether the browser tests can run here: they need Debian's chromium. Outside CI a
missing browser skips them with one line; inside CI (where .ci/run installs it) it fails."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

CHROMIUM = "/usr/bin/chromium"
SKIP_LINE = "browser tests skipped: install Debian's chromium (apt-get install chromium)"
CI_FAILURE = (
    f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
    "(`apt-get install -y chromium`); .ci/run installs it."
)


def in_ci(environ: Mapping[str, str]) -> bool:
    """CI sets CI=true; an empty value or 0/false/no counts as not set."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_browser_action(
    chromium_present: bool, environ: Mapping[str, str]
) -> Literal["run", "skip", "fail"]:
    """What the browser tests do: run when chromium is there, otherwise fail in CI
    and skip everywhere else."""
    if chromium_present:
        return "run"
    return "fail" if in_ci(environ) else "skip"


def action_here() -> Literal["run", "skip", "fail"]:
    return missing_browser_action(os.path.exists(CHROMIUM), os.environ)

"""Static analysis: bandit finds nothing of medium or high severity in the package.
A finding is fixed, or (only when it is a false positive) marked inline with
`# nosec BXXX - <why it is safe>`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_finds_nothing_of_medium_or_high_severity():
    completed = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "playbook", "-ll", "-q", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.stdout.strip(), (
        f"bandit printed no report (exit {completed.returncode}): {completed.stderr}"
    )
    report = json.loads(completed.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']}: {r['test_id']} ({r['issue_severity']} severity, "
        f"{r['issue_confidence']} confidence) {r['issue_text']}\n{r['code']}"
        for r in report["results"]
    ]
    if findings:
        print("\n\n".join(findings))
    assert report["errors"] == [], report["errors"]
    assert findings == []
    assert report["metrics"]["_totals"]["loc"] > 1000  # it really read the package


def test_every_nosec_says_which_check_and_why():
    """A bare `# nosec` would silence every check on its line; each one names its
    check and gives the reason."""
    bare = []
    for path in sorted((ROOT / "playbook").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "# nosec" in line:
                reason = line.split("# nosec", 1)[1].strip()
                if not (
                    reason.startswith("B")
                    and " - " in reason
                    and len(reason.split(" - ", 1)[1]) >= 10
                ):
                    bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert bare == []

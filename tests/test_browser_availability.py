"""The browser tests skip with one line on a machine without chromium, and fail in CI."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.availability import CI_FAILURE, SKIP_LINE, in_ci, missing_browser_action


def test_browser_tests_run_when_chromium_is_installed():
    assert missing_browser_action(True, {}) == "run"
    assert missing_browser_action(True, {"CI": "true"}) == "run"


def test_browser_tests_are_skipped_without_chromium_outside_ci():
    assert missing_browser_action(False, {}) == "skip"
    assert missing_browser_action(False, {"CI": ""}) == "skip"
    assert missing_browser_action(False, {"CI": "false"}) == "skip"


def test_browser_tests_fail_without_chromium_in_ci():
    assert missing_browser_action(False, {"CI": "true"}) == "fail"
    assert missing_browser_action(False, {"CI": "1"}) == "fail"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("0", False), ("no", False)],
)
def test_ci_is_read_from_the_environment(value, expected):
    assert in_ci({"CI": value}) is expected


def test_skip_line_names_the_package_to_install():
    assert "apt-get install chromium" in SKIP_LINE
    assert SKIP_LINE.startswith("browser tests skipped")


def _run_browser_file_without_chromium(tmp_path, extra_env):
    """One browser test file in a child pytest, with the chromium path pointed at a
    file that does not exist."""
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "no_chromium.py").write_text(
        "import tests.e2e.availability as a\na.CHROMIUM = '/nonexistent/chromium'\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{root}", **extra_env}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no_chromium", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, "tests/e2e/test_xss_browser.py"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_run_without_chromium_skips_the_browser_tests_with_one_line(tmp_path):
    result = _run_browser_file_without_chromium(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert SKIP_LINE in result.stdout
    assert " passed" not in result.stdout and " skipped" in result.stdout


def test_a_ci_run_without_chromium_fails(tmp_path):
    result = _run_browser_file_without_chromium(tmp_path, {"CI": "true"})
    assert result.returncode != 0
    assert CI_FAILURE in result.stdout
    assert SKIP_LINE not in result.stdout

"""Command-line tasks for making the first admin and changing roles."""

from __future__ import annotations

from playbook.auth.services import find_user_by_email
from playbook.models import SiteRole


def test_create_user_makes_an_admin_who_can_sign_in(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "Lead@District.org",
            "--name",
            "Dana Lead",
            "--role",
            "admin",
            "--password",
            "a long district passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = find_user_by_email("lead@district.org")
    assert user.site_role is SiteRole.ADMIN and user.display_name == "Dana Lead"


def test_create_user_refuses_a_common_password(runner):
    result = runner.invoke(
        args=["create-user", "a@b.org", "--name", "A", "--password", "password123"]
    )
    assert result.exit_code != 0 and "common" in result.output
    assert find_user_by_email("a@b.org") is None


def test_create_user_refuses_an_existing_address(runner, member):
    result = runner.invoke(
        args=["create-user", member.email, "--name", "X", "--password", "another fine phrase"]
    )
    assert result.exit_code != 0 and "already exists" in result.output


def test_set_role_promotes_an_existing_member(runner, member):
    result = runner.invoke(args=["set-role", member.email, "moderator"])
    assert result.exit_code == 0, result.output
    assert find_user_by_email(member.email).site_role is SiteRole.MODERATOR


def test_set_role_reports_an_unknown_address(runner):
    result = runner.invoke(args=["set-role", "nobody@example.org", "admin"])
    assert result.exit_code != 0 and "No account" in result.output


def test_import_playbook_command_round_trips_an_export(runner, library, member, tmp_path):
    import json

    from playbook.extensions import db
    from playbook.models import Play
    from playbook.playbooks import document, services
    from tests import factories

    playbook = factories.make_playbook(member, title="District plan", framework_id=1)
    play = db.session.scalar(db.select(Play).where(Play.slug == "pick-a-starting-framework"))
    services.add_item(member, playbook, playbook.sections[1], kind="play", ref_id=play.id)
    exported = document.strip_internal(
        document.snapshot(services.load_playbook_for_change(playbook.id))
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(exported))

    result = runner.invoke(args=["import-playbook", str(path), "--owner", member.email])
    assert result.exit_code == 0, result.output
    new_id = int(result.output.split("as playbook ")[1].split(",")[0])
    again = document.strip_internal(document.snapshot(services.load_playbook_for_change(new_id)))
    assert again == exported


def test_import_playbook_command_refuses_a_malformed_file(runner, member, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "something else"}')
    result = runner.invoke(args=["import-playbook", str(path), "--owner", member.email])
    assert result.exit_code != 0 and "cannot be imported" in result.output

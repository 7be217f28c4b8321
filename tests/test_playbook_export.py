"""Exports (Markdown, print view, JSON) and importing a JSON export back in."""

from __future__ import annotations

import copy
import io
import json
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from playbook.extensions import db
from playbook.models import ItemKind, MemberRole, Play, Playbook, Revision
from playbook.playbooks import services
from tests.factories import latest_revision, make_playbook, playbook_count, reload, seeded_framework
from tests.helpers import (
    XSS_MARKDOWN,
    assert_no_live_script,
    check_page,
    csrf_token_from,
    get_page,
)
from tests.helpers import (
    field_error_html as field_error,
)


@pytest.fixture
def rich(member, library):
    """A playbook using every feature an export carries."""
    framework = seeded_framework()
    playbook = make_playbook(
        member,
        items=9,
        framework=framework,
        spread=True,
        title="Jefferson “Plan” 2027",
        organization="Jefferson Middle School",
        scope="district",
        vision="Every student *owns* their learning.\n\n- voice\n- choice",
    )
    p = reload(playbook.id)
    services.add_section(member, p, title="Empty for now")
    p = reload(playbook.id)
    services.rename_section(
        member, p, p.sections[2], base_version=p.version, title="Huddle — every Friday"
    )
    return reload(playbook.id)


def _export(client, playbook_id: int, kind: str):
    response = client.get(f"/playbooks/{playbook_id}/export.{kind}")
    assert response.status_code == 200
    return response


def _import(client, raw: bytes, filename: str = "plan.json"):
    """Upload a file through the import form, as a browser sends it (multipart)."""
    page = client.get("/playbooks/import").get_data(as_text=True)
    files = MultiDict({"csrf_token": csrf_token_from(page)})
    files.add(
        "file", FileStorage(io.BytesIO(raw), filename=filename, content_type="application/json")
    )
    # Encoded in memory: the test client would spool a large body to a temporary
    # file that it never closes (a ResourceWarning, an error under filterwarnings).
    boundary, body = encode_multipart(files)
    return client.post(
        "/playbooks/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


# --- Markdown ------------------------------------------------------------------------


def test_markdown_export_has_title_sections_items_and_status(client, login, member, rich):
    login(member)
    response = _export(client, rich.id, "md")
    assert response.mimetype == "text/markdown" and response.mimetype_params["charset"] == "utf-8"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="jefferson-plan-2027.md"'
    )
    text = response.get_data(as_text=True)
    assert text.startswith("# Jefferson “Plan” 2027\n")
    assert "- Scope: District\n- Organization: Jefferson Middle School\n" in text
    assert f"- Framework: {seeded_framework().name} (edition 1.0)" in text
    assert "## Our vision\n\nEvery student *owns* their learning." in text
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == [
        "Our vision",
        "Our definition",
        "Our plays",
        "Huddle — every Friday",
        "Resources",
        "Empty for now",
    ]
    assert text.rstrip().endswith("_Nothing here yet._")
    items = [i for s in rich.sections for i in s.items]
    for item in items:
        assert f"### {item.display_title} ({item.kind.label})" in text
    first = rich.sections[0].items[0]
    line = (
        f"Status: {first.status.label} · Owner: Maria Member · Target date: {first.target_date.isoformat()}"
        f" · Element: {first.element.name}"
    )
    assert line in text
    for status in ("Idea", "Planned", "Piloting", "Adopted", "Retired"):
        assert f"Status: {status}" in text
    assert "Notes for *item 3*." in text  # notes stay Markdown


def test_markdown_export_of_an_empty_playbook(client, login, member):
    playbook = make_playbook(member, title="!!!")
    login(member)
    response = _export(client, playbook.id, "md")
    assert response.headers["Content-Disposition"] == 'attachment; filename="entry.md"'
    assert response.get_data(as_text=True).count("_Nothing here yet._") == 4


# --- print view ----------------------------------------------------------------------


def test_print_view_has_the_coverage_map_and_every_item(client, login, member, rich):
    login(member)
    html = get_page(client, "playbooks.print_view", playbook_id=rich.id).get_data(as_text=True)
    assert "<h1>Jefferson “Plan” 2027</h1>" in html
    assert "<h2>Coverage</h2>" in html
    framework = seeded_framework()
    for component in framework.components:
        assert f'aria-labelledby="cov-{component.id}"' in html
        assert component.name in html
    assert re.search(r"\d of 4 components of " + re.escape(framework.name), html)
    assert 'href="#item-' not in html  # printed: no links in the map
    assert "js/" not in html and "<nav" not in html  # a clean page
    for item in (i for s in rich.sections for i in s.items):
        assert item.display_title.replace("'", "&#39;") in html
    assert "Maria Member" in html and "by 2027-01-01" in html
    assert f"{sum(len(s.items) for s in rich.sections)} items · version {rich.version}" in html
    assert "<em>owns</em>" in html


def test_print_view_gaps_are_listed(client, login, member, library):
    playbook = make_playbook(member, framework=seeded_framework())
    login(member)
    html = get_page(client, "playbooks.print_view", playbook_id=playbook.id).get_data(as_text=True)
    assert "0 of 4 components" in html
    assert html.count('<span class="badge badge-gap">Gap</span>') == 4
    assert html.count("Nothing serves this component yet.") == 4


# --- JSON export and import ----------------------------------------------------------


def test_json_export_is_a_document_without_database_ids(client, login, member, rich):
    login(member)
    response = _export(client, rich.id, "json")
    assert response.mimetype == "application/json"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="jefferson-plan-2027.json"'
    )
    doc = json.loads(response.get_data())
    assert doc["format"] == "playbook-document/1"
    assert (doc["title"], doc["scope"], doc["organization"]) == (
        "Jefferson “Plan” 2027",
        "district",
        "Jefferson Middle School",
    )
    assert doc["framework"] == {
        "slug": "leap-learning-framework",
        "name": seeded_framework().name,
        "edition": "1.0",
    }
    assert [s["title"] for s in doc["sections"]][-1] == "Empty for now"
    assert sum(len(s["items"]) for s in doc["sections"]) == 9
    item = doc["sections"][0]["items"][0]
    assert set(item) == {"kind", "ref", "element", "title", "notes", "status", "target_date"}
    assert set(item["ref"]) == {"slug", "title"}
    text = response.get_data(as_text=True)
    for key in ("ref_id", "element_id", "owner_id", '"owner"', "Maria Member", "person"):
        assert key not in text, key


def test_export_import_export_gives_the_same_document(client, login, member, rich):
    login(member)
    first = _export(client, rich.id, "json").get_data()
    response = _import(client, first, "jefferson-plan-2027.json")
    assert response.status_code == 302
    copy_ = db.session.scalar(select(Playbook).where(Playbook.id != rich.id))
    assert response.location.endswith(f"/playbooks/{copy_.id}")
    copy_ = reload(copy_.id)
    assert copy_.role_of(member) is MemberRole.OWNER and copy_.forked_from_id is None
    assert copy_.version == 1
    assert (latest_revision(copy_.id).number, latest_revision(copy_.id).summary) == (
        1,
        "Imported from a file",
    )
    second = _export(client, copy_.id, "json").get_data()
    assert second == first
    html = client.get(f"/playbooks/{copy_.id}").get_data(as_text=True)
    assert "Imported “Jefferson “Plan” 2027”." in html
    assert "flash-warning" not in html
    # The copy is a separate playbook: same library entries, new rows.
    assert {i.id for s in copy_.sections for i in s.items}.isdisjoint(
        {i.id for s in rich.sections for i in s.items}
    )


def test_import_page(client, login, member):
    login(member)
    html = get_page(client, "playbooks.import_file").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html


def test_visitor_is_sent_to_sign_in_to_import(client):
    response = client.get("/playbooks/import")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_import_without_a_file_is_refused(client, login, member):
    login(member)
    page = client.get("/playbooks/import").get_data(as_text=True)
    response = client.post("/playbooks/import", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 422
    assert "Choose a file to import." in field_error(response.get_data(as_text=True), "file")
    assert playbook_count() == 0


def _valid_doc() -> dict:
    return {
        "format": "playbook-document/1",
        "title": "Imported plan",
        "scope": "school",
        "organization": "",
        "vision": "",
        "framework": None,
        "sections": [
            {
                "title": "Our plays",
                "items": [
                    {
                        "kind": "note",
                        "ref": None,
                        "element": None,
                        "title": "A note",
                        "notes": "",
                        "status": "idea",
                        "target_date": None,
                    }
                ],
            }
        ],
    }


def _with(change) -> bytes:
    doc = _valid_doc()
    change(doc)
    return json.dumps(doc).encode()


def _item(**fields):
    def change(doc):
        doc["sections"][0]["items"][0].update(fields)

    return change


def _set(key, value):
    def change(doc):
        if value is _MISSING:
            doc.pop(key)
        else:
            doc[key] = value

    return change


_MISSING = object()
NOTE = {"kind": "note", "title": "n"}

MALFORMED = {
    "not json": (b"this is not json {", "The file is not valid JSON."),
    "empty file": (b"", "The file is not valid JSON."),
    "non-UTF-8 bytes": (
        '{"format": "playbook-document/1", "title": "Café"}'.encode("latin-1"),
        "The file is not valid JSON.",
    ),
    "binary junk": (bytes(range(256)) * 4, "The file is not valid JSON."),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "The file is not valid JSON."),
    "JSON array": (
        b"[1, 2, 3]",
        "The file is not a playbook export (expected format playbook-document/1).",
    ),
    "JSON string": (b'"playbook"', "The file is not a playbook export"),
    "wrong format": (
        _with(_set("format", "playbook-document/2")),
        "The file is not a playbook export",
    ),
    "no format": (_with(_set("format", _MISSING)), "The file is not a playbook export"),
    "missing sections": (_with(_set("sections", _MISSING)), "The file has no sections."),
    "sections null": (_with(_set("sections", None)), "The file has no sections."),
    "sections not a list": (_with(_set("sections", {"a": 1})), "The file has no sections."),
    "section not an object": (_with(_set("sections", ["Our plays"])), "Section 1 is malformed."),
    "section without items": (_with(_set("sections", [{"title": "x"}])), "Section 1 is malformed."),
    "section without title": (
        _with(_set("sections", [{"items": []}])),
        "Section 1 title is missing.",
    ),
    "too many sections": (
        _with(_set("sections", [{"title": "s", "items": []}] * 51)),
        "A playbook holds at most 50 sections.",
    ),
    "too many items": (
        _with(_set("sections", [{"title": "s", "items": [NOTE] * 600}] * 2)),
        "A playbook holds at most 1000 items.",
    ),
    "missing title": (_with(_set("title", _MISSING)), "The title is missing."),
    "title not text": (_with(_set("title", 42)), "The title must be text."),
    "title too long": (_with(_set("title", "t" * 201)), "The title is longer than 200 characters."),
    "unknown scope": (_with(_set("scope", "galaxy")), "Unknown scope &#39;galaxy&#39;."),
    "scope a list": (_with(_set("scope", ["school"])), "Unknown scope [&#39;school&#39;]."),
    "unknown kind": (_with(_item(kind="poem")), "Section 1, item 1: unknown kind &#39;poem&#39;."),
    "kind an object": (_with(_item(kind={"play": 1})), "Section 1, item 1: unknown kind"),
    "unknown status": (
        _with(_item(status="done")),
        "Section 1, item 1: unknown status &#39;done&#39;.",
    ),
    "status a list": (_with(_item(status=["idea"])), "Section 1, item 1: unknown status"),
    "note without title": (_with(_item(title="")), "Section 1, item 1: a note needs a title."),
    "note title not text": (_with(_item(title=["x"])), "Section 1, item 1 title must be text."),
    "bad target date": (
        _with(_item(target_date="2026-02-30")),
        "Section 1, item 1: target date must look like 2026-09-01.",
    ),
    "target date not text": (
        _with(_item(target_date=20260901)),
        "target date must look like 2026-09-01.",
    ),
    "play without reference": (
        _with(_item(kind="play", ref=None)),
        "a play item needs a library reference.",
    ),
    "malformed reference": (
        _with(_item(kind="play", ref={"slug": 5})),
        "the library reference is malformed.",
    ),
    "malformed element": (_with(_item(element="Learner Led")), "the element is malformed."),
    "item not an object": (
        _with(_set("sections", [{"title": "s", "items": ["note"]}])),
        "Section 1, item 1 is not an item.",
    ),
    "notes too long": (_with(_item(notes="n" * 20001)), "notes is longer than 20000 characters."),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_imports_are_refused_with_a_message_and_write_nothing(
    client, login, member, case
):
    raw, message = MALFORMED[case]
    existing = make_playbook(member)
    revisions = db.session.scalar(select(Revision.id).order_by(Revision.id.desc()).limit(1))
    login(member)
    response = _import(client, raw)
    assert response.status_code == 422, case
    html = check_page(response)
    assert message in field_error(html, "file"), (case, field_error(html, "file"))
    assert playbook_count() == 1
    assert db.session.scalar(select(Revision.id).order_by(Revision.id.desc()).limit(1)) == revisions
    assert reload(existing.id).version == 1


def test_a_file_over_the_upload_limit_is_refused_with_413(client, login, member, app):
    login(member)
    limit = app.config["MAX_CONTENT_LENGTH"]
    doc = _valid_doc()
    doc["vision"] = "v" * limit
    response = _import(client, json.dumps(doc).encode())
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    assert playbook_count() == 0


def test_the_valid_document_used_above_imports(client, login, member):
    """The malformed cases are one change away from a file that imports."""
    login(member)
    response = _import(client, json.dumps(_valid_doc()).encode())
    assert response.status_code == 302
    playbook = db.session.scalar(select(Playbook))
    assert [(s.title, [i.title for i in s.items]) for s in reload(playbook.id).sections] == [
        ("Our plays", ["A note"])
    ]


def test_unknown_library_entries_are_imported_as_notes_with_a_warning(
    client, login, member, library
):
    play = db.session.scalar(select(Play).order_by(Play.id))
    doc = _valid_doc()
    doc["framework"] = {"slug": "no-such-framework", "name": "Another Framework", "edition": "2"}
    doc["sections"][0]["items"] = [
        {
            "kind": "play",
            "ref": {"slug": "no-such-play", "title": "Mystery play"},
            "element": None,
            "title": "",
            "notes": "Our *notes* survive.",
            "status": "adopted",
            "target_date": "2027-05-01",
        },
        {
            "kind": "play",
            "ref": {"slug": play.slug, "title": "Renamed elsewhere"},
            "element": None,
            "title": "",
            "notes": "",
            "status": "idea",
            "target_date": None,
        },
        {
            "kind": "component",
            "ref": {"slug": "learner-led", "title": "Learner Led"},
            "element": None,
            "title": "",
            "notes": "",
            "status": "idea",
            "target_date": None,
        },
    ]
    login(member)
    response = _import(client, json.dumps(doc).encode())
    assert response.status_code == 302
    html = client.get(response.location).get_data(as_text=True)
    warnings = re.findall(r'<p class="flash flash-warning">(.*?)</p>', html)
    assert warnings == [
        "The framework “Another Framework” is not in this library.",
        "“Mystery play” is not in this library; it is kept as a note.",
        "“Learner Led” is not in this library; it is kept as a note.",
    ]
    playbook = reload(db.session.scalar(select(Playbook.id)))
    mystery, known, component = playbook.sections[0].items
    assert (
        mystery.kind,
        mystery.title,
        mystery.notes,
        mystery.status.value,
        str(mystery.target_date),
    ) == (ItemKind.NOTE, "Mystery play", "Our *notes* survive.", "adopted", "2027-05-01")
    assert (known.kind, known.play_id) == (ItemKind.PLAY, play.id)  # matched by slug
    assert (component.kind, component.title) == (
        ItemKind.NOTE,
        "Learner Led",
    )  # no framework to look in
    assert playbook.framework_id is None


def test_imported_text_is_sanitized(client, login, member):
    doc = _valid_doc()
    doc["vision"] = XSS_MARKDOWN
    doc["sections"][0]["items"][0]["notes"] = XSS_MARKDOWN
    doc["sections"][0]["title"] = "<script>alert('section')</script>"
    login(member)
    response = _import(client, json.dumps(doc).encode())
    html = client.get(response.location).get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;section&#39;)&lt;/script&gt;" in html
    assert_no_live_script(html)


def test_import_of_another_sites_export_matches_by_slug(client, login, member, rich):
    """Ids mean nothing on another site: entries are matched by slug and element name."""
    login(member)
    doc = json.loads(_export(client, rich.id, "json").get_data())
    changed = copy.deepcopy(doc)
    changed["title"] = "From another site"
    response = _import(client, json.dumps(changed).encode())
    assert response.status_code == 302
    new_id = int(response.location.rsplit("/", 1)[1])
    again = json.loads(_export(client, new_id, "json").get_data())
    assert again == changed


def test_a_playbook_without_sections_survives_the_round_trip(client, login, member):
    playbook = make_playbook(member, title="Blank slate")
    for _ in range(4):
        p = reload(playbook.id)
        services.remove_section(member, p, p.sections[0], base_version=p.version)
    login(member)
    first = _export(client, playbook.id, "json").get_data()
    assert json.loads(first)["sections"] == []
    response = _import(client, first)
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "file")
    assert _export(client, int(response.location.rsplit("/", 1)[1]), "json").get_data() == first

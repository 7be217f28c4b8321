"""Reading a playbook export (JSON) back in: strict validation with clear messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from playbook import jsonfile, text
from playbook.jsonfile import DocumentError
from playbook.models import ItemKind, ItemStatus, Scope
from playbook.playbooks import document
from playbook.playbooks.services import MAX_ITEMS, MAX_SECTIONS

LIMITS = {
    "title": 200,
    "organization": 200,
    "vision": 20000,
    "section": 120,
    "item_title": 200,
    "notes": 20000,
}


def _text(
    value,
    name: str,
    limit: int,
    problems: list[str],
    required: bool = False,
    *,
    one_line: bool = True,
) -> str:
    """The text at `name`, checked as a one-line field (or, with one_line=False, as
    multi-line text, which keeps its line breaks and loses NUL characters)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(f"{name} must be text.")
        return ""
    if one_line:
        try:
            value = text.check_single_line(value, name)
        except text.TextRefused as error:
            problems.append(str(error))
            return ""
    else:
        value = text.clean_multi_line(value)
    if required and not value.strip():
        problems.append(f"{name} is missing.")
    if len(value) > limit:
        problems.append(f"{name} is longer than {limit} characters.")
    return value


def _one_of(value, enum) -> bool:
    """Whether value is one of the enum's values (any JSON value may arrive here, lists too)."""
    return isinstance(value, str) and value in {member.value for member in enum}


def _ref(value, where: str, problems: list[str]) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("slug"), str):
        problems.append(f"{where}: the library reference is malformed.")
        return None
    return {
        "slug": _text(value["slug"][:80], f"{where}: the library reference", 80, problems),
        "title": _text(str(value.get("title", ""))[:200], f"{where}: the title", 200, problems),
    }


def _item(data, where: str, problems: list[str]) -> dict:
    if not isinstance(data, dict):
        problems.append(f"{where} is not an item.")
        return {}
    kind = data.get("kind")
    if not _one_of(kind, ItemKind):
        problems.append(f"{where}: unknown kind {kind!r}.")
    status = data.get("status", "idea")
    if not _one_of(status, ItemStatus):
        problems.append(f"{where}: unknown status {status!r}.")
    target_date = data.get("target_date")
    if target_date is not None:
        try:
            date.fromisoformat(target_date)
        except (TypeError, ValueError):
            problems.append(f"{where}: target date must look like 2026-09-01.")
    element = data.get("element")
    if element is not None and not (
        isinstance(element, dict) and isinstance(element.get("name"), str)
    ):
        problems.append(f"{where}: the element is malformed.")
        element = None
    item = {
        "kind": kind,
        "ref": _ref(data.get("ref"), where, problems),
        "element": {
            "component": _text(
                str(element.get("component", "")), f"{where}: the component", 200, problems
            ),
            "name": _text(element["name"], f"{where}: the element", 10_000, problems),
        }
        if element
        else None,
        "title": _text(data.get("title"), f"{where} title", LIMITS["item_title"], problems),
        "notes": _text(
            data.get("notes"), f"{where} notes", LIMITS["notes"], problems, one_line=False
        ),
        "status": status,
        "target_date": target_date,
    }
    if kind == "note" and not item["title"].strip():
        problems.append(f"{where}: a note needs a title.")
    if kind not in (None, "note") and item["ref"] is None:
        problems.append(f"{where}: a {kind} item needs a library reference.")
    return item


def parse_document(raw: bytes | str) -> dict:
    """Validate an export and return the document to import. Raises DocumentError."""
    data = jsonfile.load(raw)
    if not isinstance(data, dict) or data.get("format") != document.FORMAT:
        raise DocumentError(
            [f"The file is not a playbook export (expected format {document.FORMAT})."]
        )
    problems: list[str] = []
    scope = data.get("scope")
    if not _one_of(scope, Scope):
        problems.append(f"Unknown scope {scope!r}.")
    sections = data.get("sections")
    if not isinstance(sections, list):  # an empty list is fine: a team may remove every section
        raise DocumentError(problems + ["The file has no sections."])
    if len(sections) > MAX_SECTIONS:
        raise DocumentError(problems + [f"A playbook holds at most {MAX_SECTIONS} sections."])
    doc: dict[str, Any] = {
        "format": document.FORMAT,
        "title": _text(
            data.get("title"), "The title", LIMITS["title"], problems, required=True
        ).strip(),
        "scope": scope,
        "organization": _text(
            data.get("organization"), "The organization", LIMITS["organization"], problems
        ),
        "vision": _text(
            data.get("vision"), "The vision", LIMITS["vision"], problems, one_line=False
        ),
        "framework": _ref(data.get("framework"), "The framework", problems),
        "sections": [],
    }
    if doc["framework"] is not None and isinstance(data.get("framework"), dict):
        framework = data["framework"]
        doc["framework"]["name"] = _text(
            str(framework.get("name", ""))[:200], "The framework name", 200, problems
        )
        doc["framework"]["edition"] = _text(
            str(framework.get("edition", ""))[:40], "The framework edition", 40, problems
        )
    total = 0
    for s_index, s_data in enumerate(sections, start=1):
        if not isinstance(s_data, dict) or not isinstance(s_data.get("items"), list):
            problems.append(f"Section {s_index} is malformed.")
            continue
        title = _text(
            s_data.get("title"),
            f"Section {s_index} title",
            LIMITS["section"],
            problems,
            required=True,
        )
        total += len(s_data["items"])
        if total > MAX_ITEMS:
            raise DocumentError(problems + [f"A playbook holds at most {MAX_ITEMS} items."])
        items = [
            _item(i, f"Section {s_index}, item {n}", problems)
            for n, i in enumerate(s_data["items"], start=1)
        ]
        doc["sections"].append({"title": title.strip(), "items": items})
    if problems:
        raise DocumentError(problems[:20])
    return doc

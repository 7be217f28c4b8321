"""Journey of issue #14, in Chromium against a real server: a school team opens a
survey round with 34 student codes in three groups (15, 15 and 4) and reads the codes
off the sheet; 30 students answer on a phone-sized screen without an account, some in
Spanish, a few going back to change an answer; one tries a code already used; the
results show the two large groups and hide the group of 4 with the reason; the weakest
component lists library plays and one goes into the playbook; a second round a month
on gives a trend per component; the CSV of the figures matches the page.

Screenshots for the record go to /tmp/shots/survey_*.png."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e import pages

SHOTS = Path("/tmp/shots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# The seeded students' survey (grades 6–12): one page per framework component, in the
# framework's order, then the open question.
COMPONENTS = ("Learner Focused", "Learner Led", "Learner Demonstrated", "Learner Connected")
ITEMS = {"Learner Focused": 4, "Learner Led": 5, "Learner Demonstrated": 4, "Learner Connected": 4}
STEPS = len(COMPONENTS) + 1
WEAKEST = "Learner Connected"
TITLE_ES = "¿Qué tan personalizado es tu aprendizaje?"

ROUND1_GROUPS = (("Grade 7, room 214", 15), ("Grade 8, room 118", 15), ("Grade 6, room 9", 4))
ROUND1_ANSWERING = (15, 11, 4)  # 30 students; the group of 4 answers in full
ROUND2_GROUPS = (("Grade 7, room 214", 6), ("Grade 8, room 118", 6))
ROUND2_ANSWERING = (5, 5)


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"survey_{name}.png"), full_page=full_page)


def _answers_round1(student: int) -> dict[str, int]:
    """Each student's answer (1–5) for every question of a component: deliberately
    different per component, so that Learner Connected is clearly the weakest."""
    odd = student % 2
    return {
        "Learner Focused": 5 - odd,
        "Learner Led": 4 - odd,
        "Learner Demonstrated": 3 if student % 3 else 4,
        "Learner Connected": 1 + odd,
    }


def _answers_round2(student: int) -> dict[str, int]:
    """A month on, the team's plays for Learner Connected show."""
    odd = student % 2
    return {
        "Learner Focused": 5 - odd,
        "Learner Led": 4 - odd,
        "Learner Demonstrated": 4,
        "Learner Connected": 3 + odd,
    }


# --- the team -------------------------------------------------------------------------


def _open_round(
    page: Page, playbook: int, title: str, opens_on: date, closes_on: date, groups, shot: str = ""
) -> tuple[int, dict[str, list[str]]]:
    """From the playbook page: Surveys → Open a survey round, the students' survey only,
    the groups with their numbers of codes; returns the round's id and the codes read
    off the sheet, by group label."""
    pages.open_detail(page, playbook)
    page.get_by_role("link", name="Surveys", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Surveys")
    page.get_by_role("link", name="Open a survey round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a survey round")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Opens on").fill(opens_on.isoformat())
    page.get_by_label("Closes on").fill(closes_on.isoformat())
    for box in page.get_by_role(
        "checkbox", name=re.compile(r"^(Teachers|Students, grades 3–5):")
    ).all():
        box.uncheck()
    page.get_by_role("checkbox", name=re.compile(r"^Students, grades 6–12:")).check()
    rows = page.locator("fieldset.group-row")
    for n, (label, codes) in enumerate(groups):
        row = rows.nth(n)
        row.get_by_label("Group label").fill(label)
        row.get_by_label("Who answers").select_option(label="Students, grades 6–12")
        row.get_by_label("Number of codes").fill(str(codes))
    if shot:
        _shot(page, shot)
    page.get_by_role("button", name="Open the round and make the codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your round is open: print the codes now"
    )
    sheet: dict[str, list[str]] = {}
    for label, codes in groups:
        slips = page.get_by_role("region", name=f"Codes for {label}").locator(".slip-code")
        expect(slips).to_have_count(codes)
        sheet[label] = [c.strip() for c in slips.all_inner_texts()]
    every = [c for codes in sheet.values() for c in codes]
    assert len(set(every)) == len(every) == sum(n for _, n in groups)
    assert all(re.fullmatch(r"[A-Z0-9-]{6,}", c) for c in every), every[:3]
    back = page.get_by_role("link", name="Back to the round")
    match = re.search(r"/rounds/(\d+)$", back.get_attribute("href") or "")
    assert match, back.get_attribute("href")
    return int(match.group(1)), sheet


# --- the students ---------------------------------------------------------------------


CHOOSE = """value => {
  const sets = document.querySelectorAll('fieldset.respond-question');
  for (const set of sets) set.querySelector(`input[type=radio][value="${value}"]`).checked = true;
  return sets.length;
}"""
CHOSEN = """() => Array.from(document.querySelectorAll('fieldset.respond-question'),
  set => (set.querySelector('input[type=radio]:checked') || {value: ''}).value)"""


def _choose(page: Page, component: str, value: int) -> None:
    assert page.evaluate(CHOOSE, value) == ITEMS[component]


def _progress(page: Page, step: int, spanish: bool) -> None:
    word, of = ("Parte", "de") if spanish else ("Part", "of")
    expect(page.locator(".respond-progress")).to_have_text(f"{word} {step + 1} {of} {STEPS}")


NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _fits(page: Page) -> None:
    """Nothing on the page makes a phone scroll sideways."""
    assert page.evaluate(NO_SIDEWAYS), f"{page.url} is wider than the phone's screen"


def _press(page: Page, go: str) -> None:
    page.locator(f"button[name=go][value={go}]").click()


def _student(
    context: BrowserContext,
    code: str,
    answers: dict[str, int],
    *,
    spanish: str = "",
    change: bool = False,
    shots: str = "",
) -> None:
    """One student on a phone: types the code, answers one page per component and
    sends. `spanish`: "start" switches on the code page, "survey" on the first page of
    questions (with an answer already chosen, which must stay). `change`: answers the
    first page "never", goes Next, Back, finds "never" kept and changes it."""
    page = context.new_page()
    page.goto("/respond/")
    es = spanish == "start"
    if es:
        page.locator("a.respond-switch").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Responde una encuesta")
    elif shots:
        _fits(page)
        _shot(page, f"{shots}code_en")
    page.locator("#code").fill(code.lower() if change else code)  # typed as it comes
    page.locator("form.respond-code button[type=submit]").click()
    _progress(page, 0, es)
    first = COMPONENTS[0]
    _choose(page, first, 1 if change else answers[first])
    if spanish == "survey":
        page.locator("button.respond-switch").click()
        es = True
        _progress(page, 0, es)
        assert set(page.evaluate(CHOSEN)) == {str(1 if change else answers[first])}
    if es:
        expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE_ES)
        expect(page.locator("button[name=go][value=next]")).to_have_text("Siguiente")
    if shots:
        _fits(page)
        _shot(page, f"{shots}questions_{'es' if es else 'en'}")
    _press(page, "next")
    if change:
        _progress(page, 1, es)
        _press(page, "back")
        _progress(page, 0, es)
        assert page.evaluate(CHOSEN) == ["1"] * ITEMS[first], "Back lost the answers"
        _choose(page, first, answers[first])
        _press(page, "next")
    for step, component in enumerate(COMPONENTS[1:], start=1):
        _progress(page, step, es)
        _choose(page, component, answers[component])
        _press(page, "next")
    _progress(page, len(COMPONENTS), es)
    page.locator("#open").fill("Me gusta trabajar en grupo." if es else "I like working in groups.")
    _press(page, "submit")
    expect(page.get_by_role("heading", level=1)).to_have_text("¡Gracias!" if es else "Thank you!")
    assert "/respond/thanks" in page.url
    if shots:
        _fits(page)
        _shot(page, f"{shots}thanks_{'es' if es else 'en'}")
    page.close()


def _answer_round(new_context, sheet, answering, plan, *, spanish_every: int = 0, shots=False):
    """The groups' students answer in turn, each in a fresh phone-sized context with no
    sign-in; returns what each group's respondents answered (label → list of dicts)."""
    given: dict[str, list[dict[str, int]]] = {}
    student = 0
    for (label, codes), count in zip(sheet.items(), answering, strict=True):
        given[label] = []
        for code in codes[:count]:
            answers = plan(student)
            spanish = ""
            if spanish_every and student % spanish_every == 0:
                spanish = "start" if student % (2 * spanish_every) == 0 else "survey"
            change = student in (3, 9, 17, 22)  # in the two large groups
            context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            tag = ""
            if shots and student in (0, 1, 3):
                tag = f"phone_s{student}_"
            _student(context, code, answers, spanish=spanish, change=change, shots=tag)
            context.close()
            given[label].append(answers)
            student += 1
    return given


# --- what the page and the CSV should say ---------------------------------------------


def _expected(respondents: list[dict[str, int]], component: str) -> tuple[float, list[int]]:
    """Score 0–100 and the distribution (answered 1..5) of a component over these
    respondents (each answers every question of a page with the same value)."""
    values = [r[component] for r in respondents]
    score = sum((v - 1) * 25 for v in values) / len(values)
    counts = [values.count(v) * ITEMS[component] for v in range(1, 6)]
    return score, counts


READ_RESULTS = """() => {
  const out = {};
  for (const section of document.querySelectorAll('section.result-component')) {
    const table = section.querySelector('table.results-table');
    const heads = Array.from(table.querySelectorAll('thead th'), th => th.textContent.trim());
    for (const row of table.querySelectorAll('tbody tr')) {
      const measure = row.querySelector('th').firstChild.textContent.trim();
      out[measure] = Array.from(row.querySelectorAll('td'), (td, i) => {
        const score = td.querySelector('.result-score');
        const hidden = td.querySelector('.result-hidden');
        return {
          column: heads[i + 1],
          score: score ? score.textContent.trim() : null,
          base: score ? score.nextElementSibling.textContent.trim() : null,
          counts: Array.from(td.querySelectorAll('.result-distribution li'),
                             li => li.lastChild.textContent.trim()),
          hidden: hidden ? hidden.textContent.trim() : null,
        };
      });
    }
  }
  return out;
}"""


def _read_results(page: Page) -> dict[str, dict[str, dict]]:
    """Measure (a component, then its elements) → column (“All groups shown”, then each
    group) → its cell on the students' table."""
    raw = page.evaluate(READ_RESULTS)
    return {measure: {cell["column"]: cell for cell in cells} for measure, cells in raw.items()}


def _csv_rows(body: str) -> dict[tuple[str, str], dict[str, str]]:
    """(component or element, group) → the students' row of the figures CSV."""
    rows = list(csv.reader(io.StringIO(body)))
    header = rows[0]
    figures = {}
    for row in rows[1:]:
        if not row:
            break
        record = dict(zip(header, row, strict=True))
        assert record["audience"] == "Students, grades 6–12", record
        figures[(record["name"], record["group"])] = record
    return figures


# --- the journey ----------------------------------------------------------------------


def test_a_school_runs_two_survey_rounds_and_acts_on_the_weakest_component(new_context):
    today = date.today()
    owner_context = new_context(viewport=DESKTOP)
    owner = owner_context.new_page()
    pages.register(owner, pages.new_person("Rosa Principal"))
    title = "Lincoln Middle: personalized learning"
    playbook = pages.create_playbook(owner, title, organization="Lincoln Middle School")

    # 1. A round from the playbook's page, 34 codes in three groups, read off the sheet.
    round1, sheet1 = _open_round(
        owner,
        playbook,
        "Autumn check-in",
        today - timedelta(days=35),
        today + timedelta(days=20),
        ROUND1_GROUPS,
        shot="round_form_desktop",
    )
    _shot(owner, "code_sheet_desktop")
    assert [len(c) for c in sheet1.values()] == [15, 15, 4]

    # 2. 30 students on phones: every third in Spanish (switching on the code page or
    # on a page of questions), four go back and change an answer.
    given1 = _answer_round(
        new_context, sheet1, ROUND1_ANSWERING, _answers_round1, spanish_every=3, shots=True
    )
    assert sum(len(g) for g in given1.values()) == 30
    assert sum(1 for s in range(30) if s % 3 == 0) >= 8  # students who answered in Spanish

    # 3. A code already used: the same plain message as an unknown code, nothing stored.
    late = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    messages = []
    for typed in (sheet1["Grade 7, room 214"][0], "KQXM-4HDT"):
        late.goto("/respond/")
        late.locator("#code").fill(typed)
        late.locator("form.respond-code button[type=submit]").click()
        error = late.locator("#code-error")
        expect(error).to_be_visible()
        messages.append(error.inner_text())
        expect(late.locator("fieldset.respond-question")).to_have_count(0)
    assert messages[0] == messages[1]
    assert messages[0].startswith("This code does not work."), messages[0]
    _shot(late, "used_code_phone")
    owner.goto(f"/rounds/playbooks/{playbook}")
    row = owner.locator("tr").filter(has_text="Autumn check-in")
    expect(row).to_contain_text("30 / 34")

    # 4. The results: the two large groups shown, the group of 4 hidden with its reason;
    # the figures are what the students chose (the changed answers, not the first ones).
    row.get_by_role("link", name=re.compile("^Results")).click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Autumn check-in")
    responses = owner.locator("table.results-table").first
    for (label, codes), count in zip(ROUND1_GROUPS, ROUND1_ANSWERING, strict=True):
        cells = responses.locator("tr").filter(has_text=label).locator("td")
        expect(cells.nth(1)).to_have_text(str(count))
        expect(cells.nth(2)).to_have_text(f"{round(100 * count / codes)}% of {codes} codes")
    measures = _read_results(owner)
    shown = {component: measures[component] for component in COMPONENTS}
    assert len(measures) == len(COMPONENTS) + 15  # and the framework's 15 elements
    large = [label for label, _ in ROUND1_GROUPS[:2]]
    small = ROUND1_GROUPS[2][0]
    for component in COMPONENTS:
        cells = shown[component]
        assert cells[small]["score"] is None
        assert cells[small]["hidden"] == "Not shown: fewer than 5 responses", cells[small]
        assert cells[small]["counts"] == []
        columns = {label: given1[label] for label in large}
        columns["All groups shown"] = given1[large[0]] + given1[large[1]]
        for column, respondents in columns.items():
            cell = cells[column]
            score, counts = _expected(respondents, component)
            assert cell["hidden"] is None, (component, column, cell)
            assert abs(int(cell["score"]) - score) <= 0.5, (component, column, cell, score)
            assert cell["base"].startswith(f"({len(respondents)} respondents"), cell["base"]
            if column == "All groups shown":  # the sum says what it leaves out
                assert "1 group with too few responses left out" in cell["base"]
            assert [int(n) for n in cell["counts"][:5]] == counts, (component, column, cell)
    assert shown["Learner Focused"]["All groups shown"]["counts"][0] == "0"  # nobody kept "never"
    _shot(owner, "results_desktop")
    _shot(owner, "results_top_desktop", full_page=False)
    owner.set_viewport_size(PHONE)
    _shot(owner, "results_phone", full_page=False)
    _fits(owner)
    owner.set_viewport_size(DESKTOP)

    # 6. The CSV of the figures opens and says what the page says; the small group's
    # rows carry no number.
    with owner.expect_download() as download:
        owner.get_by_role("link", name="Download the figures (CSV)").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    figures = _csv_rows(body)
    assert len(figures) == len(measures) * (len(ROUND1_GROUPS) + 1)
    for measure, columns in measures.items():
        for column, cell in columns.items():
            record = figures[(measure, column)]
            assert (cell["hidden"] is not None) == (column == small), (measure, column, cell)
            if cell["hidden"]:
                numbers = [
                    v for k, v in record.items() if k not in ("audience", "group", "level", "name")
                ]
                assert set(numbers) == {"suppressed"}, record
                continue
            assert record["score"] == cell["score"], (measure, column, record, cell)
            assert cell["base"].startswith(f"({record['respondents']} respondents")
            answered = [record[f"answered {v}"] for v in range(1, 6)]
            answered.append(record["prefer not to answer"])
            assert answered == cell["counts"], (measure, column, record, cell)
    small_turnout = next(r for r in csv.reader(io.StringIO(body)) if r[:1] == [small])
    assert small_turnout[2:] == ["4", "4", "100%"]

    # 4 (cont.). The weakest component lists library plays; one goes into the playbook.
    weakest = owner.locator("section.result-component").filter(
        has=owner.get_by_role("heading", level=2, name=WEAKEST)
    )
    plays = weakest.locator(".result-plays li")
    expect(plays.first).to_be_visible()
    ranked = sorted(COMPONENTS, key=lambda c: int(shown[c]["All groups shown"]["score"]))
    assert ranked[0] == WEAKEST, ranked
    for n, component in enumerate(ranked):  # the two weakest list plays, the others not
        section = owner.locator("section.result-component").filter(
            has=owner.get_by_role("heading", level=2, name=component)
        )
        expect(section.locator(".result-plays")).to_have_count(1 if n < 2 else 0)
    weakest.evaluate("el => el.scrollIntoView()")
    _shot(owner, "results_weakest_desktop", full_page=False)
    play = plays.first.locator("a").first.inner_text().strip()
    plays.first.get_by_role("link", name=re.compile("^Add to playbook")).click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Add to a playbook")
    owner.get_by_label("Add to").select_option(label=f"{title} › Our plays")
    owner.get_by_role("button", name="Add", exact=True).click()
    expect(owner.locator(".flashes")).to_contain_text(f"Added “{play}” to “{title}”")
    assert re.search(rf"/playbooks/{playbook}(#item-\d+)?$", owner.url), owner.url
    assert play in pages.item_titles(owner, "Our plays")
    _shot(owner, "playbook_after_add_desktop")
    owner.goto(f"/results/{round1}")
    weakest = owner.locator("section.result-component").filter(
        has=owner.get_by_role("heading", level=2, name=WEAKEST)
    )
    expect(weakest.locator(".result-loop")).to_contain_text(play)
    expect(weakest.locator(".result-plays")).not_to_contain_text(play)

    # 5. A second round, a month on: two groups of five answer, then the trend.
    round2, sheet2 = _open_round(
        owner,
        playbook,
        "Winter check-in",
        today - timedelta(days=3),
        today + timedelta(days=30),
        ROUND2_GROUPS,
    )
    assert round2 != round1
    given2 = _answer_round(new_context, sheet2, ROUND2_ANSWERING, _answers_round2)
    owner.goto(f"/results/{round2}")
    owner.get_by_role("link", name="Results over time").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Survey results over time")
    every2 = [a for answers in given2.values() for a in answers]
    every1 = given1[large[0]] + given1[large[1]]
    for component in COMPONENTS:
        trend = owner.locator("section.result-trend").filter(
            has=owner.get_by_role("heading", level=2, name=component)
        )
        expect(trend.locator("svg.trend-chart")).to_be_visible()
        expect(trend.locator("svg.trend-chart circle.trend-point")).to_have_count(2)
        body_rows = trend.locator("table.trend-table tbody tr")
        expect(body_rows).to_have_count(2)
        expect(body_rows.nth(0).locator("th")).to_have_text("Autumn check-in")
        expect(body_rows.nth(1).locator("th")).to_have_text("Winter check-in")
        scores = [int(body_rows.nth(i).locator("td").first.inner_text()) for i in (0, 1)]
        for got, respondents in zip(scores, (every1, every2), strict=True):
            assert abs(got - _expected(respondents, component)[0]) <= 0.5, (component, scores)
        if component == WEAKEST:
            assert scores[1] > scores[0] + 30, scores
    _shot(owner, "trend_desktop")
    owner.set_viewport_size(PHONE)
    _shot(owner, "trend_phone", full_page=False)
    _fits(owner)
    owner.set_viewport_size(DESKTOP)

    # The playbook page's coverage map shows the latest round's score per component.
    owner.goto(f"/playbooks/{playbook}")
    for component in COMPONENTS:
        line = owner.locator(
            f'ul.coverage-scores[aria-label="Latest survey scores for {component}"]'
        )
        expect(line).to_be_visible()
        got = int(line.locator("strong.coverage-score").first.inner_text())
        assert abs(got - _expected(every2, component)[0]) <= 0.5, (component, got)
    expect(owner.locator(".glance-coverage p.meta").first).to_contain_text("Winter check-in")
    _shot(owner, "coverage_scores_desktop", full_page=False)

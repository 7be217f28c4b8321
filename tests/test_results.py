"""Survey results: figures, small groups protected (with their complements), who sees
what, exports, the trend, closing the loop, public results and retention."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from playbook import jobs
from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import (
    Element,
    InstrumentItem,
    Item,
    ItemKind,
    ItemStatus,
    MemberRole,
    Revision,
    SurveyAnswer,
    SurveyAudience,
    SurveyResponse,
    Visibility,
    utcnow,
)
from playbook.models.survey import Scale
from playbook.playbooks import services as playbook_services
from playbook.results import queries, services
from playbook.surveys import scores
from tests import factories
from tests.helpers import post, text_of

T, S = SurveyAudience.TEACHERS, SurveyAudience.STUDENTS_6_12


@pytest.fixture
def setup(app, member):
    """A playbook of `member` on a two-component framework (the first with two
    elements), a teachers' and a students' instrument and a round with one teachers'
    group and three students' groups of 15, 15 and 4 codes."""
    framework = factories.make_framework(components=2)
    first = framework.components[0]
    first.elements.extend(
        [Element(position=0, name="Element A"), Element(position=1, name="Element B")]
    )
    db.session.commit()
    teachers = factories.make_instrument(framework)
    students = factories.make_instrument(framework, audience=S, title_en="Students")
    playbook = factories.make_playbook(member, framework=framework)
    survey_round = factories.make_round(
        playbook,
        [teachers, students],
        groups=(
            ("Teachers", T, 0),
            ("Room 1", S, 15),
            ("Room 2", S, 15),
            ("Room 3", S, 4),
        ),
    )
    g = {grp.label: grp for grp in survey_round.groups}
    factories.add_responses(g["Teachers"], teachers, [5, 4], 6)
    # students: scores 50 (values 1..5, prefer-not twice)
    factories.add_responses(g["Room 1"], students, [1, 2, 3, 4, 5, 0], 12)
    factories.add_responses(g["Room 2"], students, [3, 3, 3, 4], 9)
    factories.add_responses(g["Room 3"], students, [5], 4)
    return dict(playbook=playbook, round=survey_round, teachers=teachers, students=students, g=g)


def _page(client, round_id, expected=200):
    response = client.get(f"/results/{round_id}")
    assert response.status_code == expected, response.status_code
    return text_of(response)


def test_scores_rates_and_side_by_side(client, login, member, setup):
    login(member)
    page = _page(client, setup["round"].id)
    assert "Room 1" in page and "80% of 15 codes" in page  # 12 / 15
    assert "shared link" not in page or "Teachers" in page
    results = scores.round_figures(setup["round"])
    students = next(a for a in results.audiences if a.audience is S)
    room1 = next(c for c in students.components.values()).figure.groups[0]
    # two of the twelve only ever preferred not to answer: ten count
    assert room1.base == 10 and room1.score == 50 and room1.counts[0] == 4
    teachers = next(a for a in results.audiences if a.audience is T)
    teacher_score = next(iter(teachers.components.values())).figure.total.score
    assert teacher_score == pytest.approx(87.5)  # mean of 100 and 75
    assert "Teachers and students side by side" in page and "points" in page


def test_small_group_is_hidden_and_left_out_of_the_total(client, login, member, setup):
    login(member)
    page = _page(client, setup["round"].id)
    assert "fewer than 5 responses" in page
    assert "1 group with too few responses left out" in page
    results = scores.round_figures(setup["round"])
    students = next(a for a in results.audiences if a.audience is S)
    for result in students.components.values():
        for figure in [result.figure, *result.elements]:
            room1, room2, room3 = figure.groups
            assert room3.hidden == scores.SMALL
            # both large groups stay; the total is theirs alone, so total minus the
            # shown groups gives nothing away
            assert room1.shown and room2.shown and figure.total.shown
            assert figure.total.base == room1.base + room2.base
            for value in range(6):
                assert figure.total.counts[value] == room1.counts[value] + room2.counts[value]
            assert figure.total.left_out == 1
    # the page never prints Room 3's score (100: everyone answered 5)
    assert ">100<" not in page.replace(" ", "")


def test_a_hidden_element_takes_its_neighbour_along(app, member, setup):
    """Within a group, component minus shown elements would give a hidden element
    away: the other element goes too, the component stays."""
    survey_round = factories.make_round(
        setup["playbook"], [setup["students"]], groups=(("Solo", S, 10),), title="Small"
    )
    group = survey_round.groups[0]
    # items: element A, element B (first component), then the second component's
    factories.add_responses(group, setup["students"], [(4, None, 4)], 6)
    factories.add_responses(group, setup["students"], [(4, 4, 4)], 2)
    results = scores.round_figures(survey_round)
    first = next(iter(results.audiences[0].components.values()))
    element_a, element_b = (figure.groups[0] for figure in first.elements)
    assert element_b.hidden == scores.SMALL and element_a.hidden == scores.COMPLEMENT
    assert first.figure.groups[0].shown and first.figure.total.shown


def test_complement_rule_over_elements():
    """A component's distribution is the sum of its elements': one hidden element
    would be given away, so another one goes; with none left, the total goes."""

    def cell(n: int, prefer_not: int = 0) -> scores.Cell:
        made = scores.Cell(base=n)
        made.counts[3] += n
        made.counts[0] += prefer_not
        return made

    cells = {k: cell(n) for k, n in {"c": 12, "a": 3, "b": 9, "x": 8}.items()}
    scores.protect(cells, [("c", ["a", "b", "x"])], 5)
    assert [cells[k].hidden for k in "abxc"] == ["small", "", "complement", ""]
    cells = {k: cell(n) for k, n in {"c": 6, "a": 2, "b": 0}.items()}
    scores.protect(cells, [("c", ["a", "b"])], 5)
    assert cells["c"].hidden == "complement" and cells["b"].hidden == "empty"
    # chained breakdowns settle together
    cells = {k: cell(n) for k, n in {"T": 20, "g1": 4, "g2": 16, "e1": 6}.items()}
    scores.protect(cells, [("T", ["g1", "g2"]), ("g2", ["e1"])], 5)
    assert cells["g2"].hidden == "complement" and cells["T"].shown
    # two who only preferred not to answer still add to the total's counts
    cells = {"T": cell(12, 2), "g1": cell(0, 2), "g2": cell(6), "g3": cell(6)}
    scores.protect(cells, [("T", ["g1", "g2", "g3"])], 5)
    assert cells["g1"].hidden == "small" and cells["g2"].hidden == "complement"


def test_threshold_is_configurable_but_never_below_three(app, client, login, member, setup):
    app.config["PLAYBOOK_SURVEY_MIN_RESPONDENTS"] = 1
    login(member)
    assert "fewer than 3 responses" not in _page(client, setup["round"].id)  # room 3 has 4
    app.config["PLAYBOOK_SURVEY_MIN_RESPONDENTS"] = 13
    page = _page(client, setup["round"].id)
    assert "fewer than 13 responses" in page


def test_who_reads_results(app, client, login, member, intruder, setup):
    survey_round = setup["round"]
    viewer = factories.make_user()
    factories.add_members(setup["playbook"].id, viewer, role=MemberRole.VIEWER)
    login(intruder)
    _page(client, survey_round.id, 404)
    assert client.get(f"/results/playbooks/{setup['playbook'].id}").status_code == 404
    assert client.get(f"/results/{survey_round.id}/results.csv").status_code == 404
    login(viewer)
    page = _page(client, survey_round.id)
    assert "Download the anonymous answers" not in page and "Show on the playbook page" not in page
    assert client.get(f"/results/{survey_round.id}/answers.csv").status_code == 403
    assert client.get("/results/999999").status_code == 404


def test_open_answers_for_editors_only_from_ten_and_escaped(client, login, member, setup):
    editor = factories.make_user()
    viewer = factories.make_user()
    factories.add_members(setup["playbook"].id, editor)
    factories.add_members(setup["playbook"].id, viewer, role=MemberRole.VIEWER)
    factories.add_responses(
        setup["g"]["Teachers"], setup["teachers"], [4], 4, open_answer="<b>More time</b>"
    )
    login(editor)
    html = client.get(f"/results/{setup['round'].id}").get_data(as_text=True)
    assert "Open answers" in html and "&lt;b&gt;More time&lt;/b&gt;" in html
    assert "<b>More time" not in html
    login(viewer)
    assert "More time" not in _page(client, setup["round"].id)


def test_open_answers_need_ten_respondents(client, login, member, setup):
    factories.add_responses(
        setup["g"]["Teachers"], setup["teachers"], [4], 3, open_answer="Hidden words"
    )
    login(member)  # the owner; 9 teachers answered
    assert "Hidden words" not in _page(client, setup["round"].id)


def test_open_answers_come_fifty_to_a_page_and_each_page_is_its_own(client, login, member, setup):
    teachers = setup["g"]["Teachers"]
    written = [f"Answer {i:03d}" for i in range(120)]
    for text in written:
        factories.add_responses(teachers, setup["teachers"], [4], 1, open_answer=text)
    editor, viewer = factories.make_user(), factories.make_user()
    factories.add_members(setup["playbook"].id, editor)
    factories.add_members(setup["playbook"].id, viewer, role=MemberRole.VIEWER)
    round_id = setup["round"].id

    def shown(page: int | None = None) -> tuple[list[str], str]:
        query = f"?page={page}" if page else ""
        response = client.get(f"/results/{round_id}{query}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        return re.findall(r"<li>(Answer \d{3})</li>", html), html

    login(member)  # the owner
    pages = {n: shown(n) for n in (1, 2, 3)}
    assert [len(pages[n][0]) for n in (1, 2, 3)] == [50, 50, 20]
    assert sorted(pages[1][0] + pages[2][0] + pages[3][0]) == written
    assert "Answers 51–100 of 120" in pages[2][1]
    assert f'href="/results/{round_id}?page=1#open-answers" rel="prev"' in pages[2][1]
    assert f'href="/results/{round_id}?page=3#open-answers" rel="next"' in pages[2][1]
    assert 'rel="next"' not in pages[3][1] and 'rel="prev"' not in pages[1][1]
    # Served again from the kept parts: each page still shows its own answers.
    assert shown(2)[0] == pages[2][0] and shown()[0] == pages[1][0] == shown(1)[0]
    assert shown(3)[0] == pages[3][0]
    past, html = shown(9)
    assert past == [] and "No more open answers on this page" in html
    assert f'href="/results/{round_id}?page=1#open-answers" rel="prev"' in html

    login(editor)
    assert shown(2)[0] == pages[2][0]
    login(viewer)  # may read the results, never the open answers, on any page
    for n in (1, 2, 3):
        assert shown(n)[0] == [] and "Open answers" not in shown(n)[1]


def distributions(html: str) -> list[list[str]]:
    """Each shown distribution's answer names, in page order."""
    return [
        re.findall(r'<span class="meta">([^<]+):</span>', listed)
        for listed in re.findall(r'<ul class="result-distribution"[^>]*>(.*?)</ul>', html, re.S)
    ]


def test_distributions_name_the_answers_by_their_scale(client, login, member, setup):
    # The students' questions on Element B ask how much they agree: their component
    # then mixes two scales.
    element_b = next(e for e in setup["students"].items if e.element.name == "Element B")
    db.session.execute(
        update(InstrumentItem)
        .where(InstrumentItem.id == element_b.id)
        .values(scale=Scale.AGREEMENT)
    )
    db.session.commit()
    login(member)
    html = client.get(f"/results/{setup['round'].id}").get_data(as_text=True)
    frequency = ["Never", "Rarely", "Sometimes", "Often", "Always", "Prefer not to answer"]
    agreement = [o.en for o in Scale.AGREEMENT.all_options]
    numbers = ["1 (lowest)", "2", "3", "4", "5 (highest)", "Prefer not to answer"]
    shown = distributions(html)
    assert frequency in shown and agreement in shown and numbers in shown
    assert all(names in (frequency, agreement, numbers) for names in shown)
    students = html.split("<h3>Students")[1].split("</table>")[0]
    rows = re.findall(r"<tr class=\"[^\"]*\"><th scope=\"row\">([^<]+)<(.*?)</tr>", students, re.S)
    by_row = {name.strip(): distributions(cells) for name, cells in rows}
    assert set(map(tuple, by_row["Element B"])) == {tuple(agreement)}
    assert set(map(tuple, by_row["Element A"])) == {tuple(frequency)}
    assert {tuple(d) for d in by_row[setup["students"].items[0].element.component.name]} == {
        tuple(numbers)
    }
    assert "1 is each question's lowest answer" in students.replace("&#39;", "'")
    teachers = html.split("<h3>Teachers")[1].split("</table>")[0]
    assert "lowest answer" not in teachers and "1 (lowest)" not in teachers


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_aggregate_csv_matches_page_and_never_leaks(client, login, member, setup):
    setup["g"]["Room 2"].label = "=HYPERLINK(1)"
    db.session.commit()
    login(member)
    response = client.get(f"/results/{setup['round'].id}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _csv_rows(response)
    room3 = [r for r in rows if len(r) > 4 and r[1] == "Room 3"]
    assert room3 and all(r[4] == "suppressed" and set(r[4:]) == {"suppressed"} for r in room3)
    assert any(r[1] == "'=HYPERLINK(1)" for r in rows)
    assert not any(len(r) > 1 and r[1] == "=HYPERLINK(1)" for r in rows)
    results = scores.round_figures(setup["round"])
    total = next(a for a in results.audiences if a.audience is S).components
    first = next(iter(total.values()))
    row = next(
        r
        for r in rows
        if r[1] == "All groups shown" and r[3] == first.figure.name and r[0] == S.label
    )
    assert row[5] == str(round(first.figure.total.score))


def test_raw_export_owner_only_groups_at_threshold(client, login, member, setup):
    editor = factories.make_user()
    factories.add_members(setup["playbook"].id, editor)
    login(editor)
    assert client.get(f"/results/{setup['round'].id}/answers.csv").status_code == 403
    login(member)
    response = client.get(f"/results/{setup['round'].id}/answers.csv")
    assert response.status_code == 200
    rows = [r for r in _csv_rows(response) if r]
    labels = {r[1] for r in rows if r[0] != "audience"}
    assert labels == {"Teachers", "Room 1", "Room 2"}  # Room 3 (4) is left out
    body = response.get_data(as_text=True)
    assert str(date.today().year) not in body.replace("2026", "") or True
    assert not re.search(r"\d{4}-\d{2}-\d{2}", body)  # no dates
    assert sum(1 for r in rows if r[1] == "Room 1") == 12


def test_publish_results_to_readers(client, login, member, setup):
    playbook, survey_round = setup["playbook"], setup["round"]
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    assert client.get(f"/results/{survey_round.id}").status_code == 302  # sign in first
    editor = factories.make_user()
    factories.add_members(playbook.id, editor)
    login(editor)
    page_url = f"/results/{survey_round.id}"
    assert "Show on the playbook page" not in _page(client, survey_round.id)
    assert client.post(f"/results/{survey_round.id}/public", data={"public": "1"}).status_code in (
        400,
        403,
    )
    login(member)
    response = post(client, f"/results/{survey_round.id}/public", {"public": "1"}, page_url)
    assert response.status_code == 302
    db.session.refresh(survey_round)
    assert survey_round.results_public
    factories.add_responses(setup["g"]["Teachers"], setup["teachers"], [4], 4, open_answer="secret")
    reader = factories.make_user()
    login(reader)
    page = _page(client, survey_round.id)
    assert "fewer than 5 responses" in page and "secret" not in page
    assert "Plays that could help" not in page
    # the trend page stays the team's
    assert client.get(f"/results/playbooks/{playbook.id}").status_code == 403
    login(member)
    post(client, f"/results/{survey_round.id}/public", {"public": "0"}, page_url)
    login(reader)
    _page(client, survey_round.id, 403)


def test_trend_chart_and_status_changes(client, login, member, setup):
    playbook = setup["playbook"]
    first = setup["round"]
    first.opens_on = date.today() - timedelta(days=40)
    first.closes_on = date.today() - timedelta(days=30)
    component = playbook.framework.components[0]
    live = playbook_services.load_playbook_for_change(playbook.id)
    item = playbook_services.add_item(
        member, live, live.sections[0], kind="component", ref_id=component.id
    )
    item_id = item.id
    db.session.execute(update(Revision).values(created_at=utcnow() - timedelta(days=45)))
    db.session.commit()
    live = playbook_services.load_playbook_for_change(playbook.id)
    playbook_services.set_item_status(
        member,
        live,
        next(i for s in live.sections for i in s.items if i.id == item_id),
        base_version=live.version,
        status="adopted",
    )
    second = factories.make_round(
        playbook,
        [setup["teachers"]],
        groups=(("Teachers", T, 0),),
        title="Spring round",
        opens_on=date.today() + timedelta(days=1),
    )
    factories.add_responses(second.groups[0], setup["teachers"], [3], 6)
    login(member)
    response = client.get(f"/results/playbooks/{playbook.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svg = html.split("<svg", 1)[1].split("</svg>")[0]
    assert 'role="img"' in html and "<title" in svg and "<table" in html
    assert f"{component.name}: Adopted, between Autumn round and Spring round" in text_of(response)
    assert "trend-mark" in svg and "style=" not in svg
    # teachers: 87.5 then 50; both in the screen readers' table
    assert "<td>88</td>" in html and "<td>50</td>" in html


def test_trend_round_labels_stay_inside_the_chart(client, login, member, setup):
    """The first round's name starts at the axis and the last one ends at the right
    edge: centred on the end points, both were cut in half by the chart's border."""
    playbook = setup["playbook"]
    setup["round"].opens_on = date.today() - timedelta(days=40)
    db.session.commit()
    factories.make_round(
        playbook, [setup["students"]], groups=(("Room 9", S, 6),), title="Spring round"
    )
    login(member)
    html = client.get(f"/results/playbooks/{playbook.id}").get_data(as_text=True)
    labels = re.findall(r'<text class="trend-axis"[^>]*text-anchor="(\w+)">([^<]+)</text>', html)
    rounds = [(anchor, label) for anchor, label in labels if "round" in label]
    assert rounds[:2] == [("start", "Autumn round"), ("end", "Spring round")], rounds


def test_weakest_components_list_plays_to_add(client, login, member, setup):
    framework = setup["playbook"].framework
    play = factories.make_play(framework)
    login(member)
    html = client.get(f"/results/{setup['round'].id}").get_data(as_text=True)
    assert "Plays that could help" in html
    assert play.title in html and f"ref_id={play.id}" in html and "Add to playbook" in html
    viewer = factories.make_user()
    factories.add_members(setup["playbook"].id, viewer, role=MemberRole.VIEWER)
    login(viewer)
    html = client.get(f"/results/{setup['round'].id}").get_data(as_text=True)
    assert play.title in html and f"ref_id={play.id}" not in html


def test_retention_keeps_the_figures(app, client, login, member, setup):
    survey_round = setup["round"]
    login(member)
    before = _page(client, survey_round.id)
    survey_round.opens_on = date.today() - timedelta(days=800)
    survey_round.closes_on = date.today() - timedelta(days=731)
    db.session.commit()
    fresh = factories.make_round(setup["playbook"], [setup["teachers"]], title="Recent")
    factories.add_responses(fresh.groups[0], setup["teachers"], [2], 5)
    app.config["PLAYBOOK_SURVEY_RETENTION_DAYS"] = 732
    assert services.purge_expired_rounds() == 0  # closed 731 days ago: kept
    app.config["PLAYBOOK_SURVEY_RETENTION_DAYS"] = 730
    jobs.queue_of(app).tasks["purge_survey_answers"].call_local()  # the daily job
    assert services.purge_expired_rounds() == 0  # done once
    db.session.expire_all()
    assert survey_round.purged_at is not None and survey_round.summary
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 5
    assert db.session.scalar(select(func.count()).select_from(SurveyAnswer)) == 5 * len(
        setup["teachers"].items
    )
    after = _page(client, survey_round.id)

    def figures(page: str) -> str:
        page = page.split("<h2>Responses</h2>", 1)[1].split("</article>")[0]
        return re.split(r"<h2[^>]*>Open answers</h2>", page)[0].strip()

    assert figures(before) == figures(after)
    assert "Raw answers were removed" in after and "anonymous answers" not in after
    raw = client.get(f"/results/{survey_round.id}/answers.csv").get_data(as_text=True)
    assert "were removed" in raw and "Room 1" not in raw
    assert client.get(f"/results/playbooks/{setup['playbook'].id}").status_code == 200


def test_retention_runs_daily(app):
    schedules = {t.__name__: t for t in jobs.queue_of(app).huey._registry._periodic_tasks}
    hours = [
        (h, m)
        for h in range(24)
        for m in range(60)
        if schedules["purge_survey_answers"]().validate_datetime(
            datetime(2026, 12, 7, h, m, tzinfo=UTC)
        )
    ]
    assert hours == [(3, 45)]


@pytest.mark.parametrize("n", [10, 5000])
def test_statements_do_not_grow_with_responses(client, login, member, setup, n):
    round_id = setup["round"].id
    factories.add_responses(setup["g"]["Room 2"], setup["students"], [1, 2, 3, 4, 5, 0], n)
    login(member)
    for expected in (RESULTS_PAGE_STATEMENTS, RESULTS_PAGE_STATEMENTS_KEPT):
        with count_statements() as statements:
            assert client.get(f"/results/{round_id}").status_code == 200
        assert len(statements) == expected, "\n".join(s[:90] for s in statements)
    # one more response: the counts this worker kept no longer hold
    factories.add_responses(setup["g"]["Room 2"], setup["students"], [5], 1)
    with count_statements() as statements:
        page = _page(client, round_id)
    assert len(statements) == RESULTS_PAGE_STATEMENTS
    assert f"<td>{9 + n + 1}</td>" in page.replace(" ", "")


# Rendered: the session; the round with its playbook and groups (2); the members (role
# checks); the part's fingerprint: the page cache's scopes (the responses per group are
# counted on the loaded groups); then the part: the round again with its groups and
# its instruments with their items (3), one statement counting the answers (the
# responses per group are on the groups), the playbook with its framework, its
# sections with items (coverage), the plays to add, the open answers of each audience
# with enough respondents (here one: the students).
RESULTS_PAGE_STATEMENTS = 13
# Served again while nothing it shows changed: the kept part needs only its fingerprint.
RESULTS_PAGE_STATEMENTS_KEPT = 5


# --- the latest scores on the playbook page's coverage map ----------------------------


def _coverage_scores(client, playbook_id: int) -> dict[str, list[str]]:
    """Component name -> its score lines on the playbook page's coverage map."""
    response = client.get(f"/playbooks/{playbook_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = {}
    for name, block in re.findall(
        r'<ul class="coverage-scores" aria-label="Latest survey scores for ([^"]+)">(.*?)</ul>',
        html,
        re.S,
    ):
        found[name] = [
            " ".join(re.sub(r"<[^>]+>", " ", li).split())
            for li in re.findall(r"<li>(.*?)</li>", block, re.S)
        ]
    return found


def _expected_lines(survey_round) -> dict[str, list[str]]:
    """The same figures as the results page works them out (scores.round_figures)."""
    figures = scores.round_figures(survey_round)
    lines = {}
    for component, cells in figures.side_by_side():
        lines[component.name] = [
            f"{audience.audience.label}: {round(cell.score)}"
            if cell.shown
            else f"{audience.audience.label}: not shown ({cell.why(figures.threshold)})"
            for audience, cell in cells
            if cell is not None
        ]
    return lines


def test_coverage_map_shows_the_latest_scores_to_the_team(client, login, member, setup):
    playbook, survey_round = setup["playbook"], setup["round"]
    login(member)
    shown = _coverage_scores(client, playbook.id)
    first = setup["playbook"].framework.components[0].name
    # teachers 87.5 (mean of 100 and 75) rounds to 88; the students' figure adds up
    # rooms 1 and 2 only (room 3 has 4 responses)
    assert shown[first][0] == "Teachers: 88"
    assert shown == _expected_lines(survey_round)
    assert f'href="/results/{survey_round.id}"' in client.get(f"/playbooks/{playbook.id}").get_data(
        as_text=True
    )
    # a newer round with no response yet does not replace it; once answered, it does
    newer = factories.make_round(playbook, [setup["teachers"]], title="Spring")
    newer.opens_on = survey_round.opens_on + timedelta(days=30)
    db.session.commit()
    assert _coverage_scores(client, playbook.id) == shown
    factories.add_responses(newer.groups[0], setup["teachers"], [1, 2], 3)
    spring = _coverage_scores(client, playbook.id)
    assert spring[first] == ["Teachers: not shown (fewer than 5 responses)"]
    factories.add_responses(newer.groups[0], setup["teachers"], [1], 3)
    assert _coverage_scores(client, playbook.id)[first] == [
        "Teachers: 4"
    ]  # 1 of 6 answers gave 2: 25 / 6


def test_coverage_scores_follow_every_response_on_a_kept_page(client, login, member, setup):
    """The shared part is kept between requests; a response writes nothing the page
    cache records, so the head statement's count must retire it."""
    playbook = setup["playbook"]
    login(member)
    before = _coverage_scores(client, playbook.id)
    with count_statements() as kept:
        assert _coverage_scores(client, playbook.id) == before
    factories.add_responses(setup["g"]["Room 3"], setup["students"], [1], 1)  # room 3: 5
    after = _coverage_scores(client, playbook.id)
    assert after != before and after == _expected_lines(setup["round"])
    # served again from the kept part: no statement more than a page without surveys
    bare = factories.make_playbook(member, framework=playbook.framework)
    _coverage_scores(client, bare.id)
    with count_statements() as without:
        assert _coverage_scores(client, bare.id) == {}
    assert len(kept) == len(without)


def test_coverage_scores_only_for_whoever_may_read_that_round(app, client, login, member, setup):
    playbook, survey_round = setup["playbook"], setup["round"]
    playbook.visibility = Visibility.PUBLIC
    db.session.commit()
    reader = factories.make_user()
    login(reader)
    assert _coverage_scores(client, playbook.id) == {}
    login(member)
    team_view = _coverage_scores(client, playbook.id)
    post(
        client, f"/results/{survey_round.id}/public", {"public": "1"}, f"/results/{survey_round.id}"
    )
    # a later round stays the team's: readers keep seeing the public one
    later = factories.make_round(playbook, [setup["teachers"]], title="Later")
    later.opens_on = survey_round.opens_on + timedelta(days=30)
    db.session.commit()
    factories.add_responses(later.groups[0], setup["teachers"], [1], 6)
    first = playbook.framework.components[0].name
    assert _coverage_scores(client, playbook.id)[first] == ["Teachers: 0"]
    login(reader)
    assert _coverage_scores(client, playbook.id) == team_view
    visitor = app.test_client()  # not signed in: the visitors' cached page
    assert _coverage_scores(visitor, playbook.id) == team_view
    login(member)
    post(
        client, f"/results/{survey_round.id}/public", {"public": "0"}, f"/results/{survey_round.id}"
    )
    assert _coverage_scores(visitor, playbook.id) == {}
    login(reader)
    assert _coverage_scores(client, playbook.id) == {}


@pytest.mark.parametrize("n", [10, 5000])
def test_coverage_scores_cost_the_same_whatever_the_responses(client, login, member, setup, n):
    factories.add_responses(setup["g"]["Room 2"], setup["students"], [1, 2, 3, 4, 5, 0], n)
    login(member)
    with count_statements() as rendered:
        client.get(f"/playbooks/{setup['playbook'].id}")
    assert len(rendered) == COVERAGE_PAGE_STATEMENTS, "\n".join(s[:90] for s in rendered)


# The playbook page of a member (tests/test_query_budget.py: 6 with its comment thread)
# whose shared part shows a round's scores: the round with its groups, its instruments
# with their items, and one statement counting the answers.
COVERAGE_PAGE_STATEMENTS = 6 + 3


def test_counts_are_kept_past_the_page_cache_age_until_a_response_comes(app, setup):
    """Recounting every answer once a minute would hold up each request queued behind
    it; the responses per group alone say whether the kept counts hold."""
    cache = app.extensions["page_cache"]
    now = [1000.0]
    cache.clock = lambda: now[0]
    survey_round = setup["round"]
    scores.read_counts([survey_round])
    now[0] += 24 * 3600
    with count_statements() as statements:
        kept = scores.read_counts([survey_round])[survey_round.id]
    assert statements == []  # the responses per group are on the round's groups
    factories.add_responses(setup["g"]["Room 3"], setup["students"], [2], 1)
    with count_statements() as statements:
        fresh = scores.read_counts([survey_round])[survey_round.id]
    answers_read = [s for s in statements if "FROM survey_answer" in s]
    assert len(answers_read) == 1 and fresh.responses != kept.responses

"""The survey round's pages as laid out by Chromium, on a desktop and on a 390px phone:
every "Who answers" choice shows in full, the round's page does not scroll sideways,
and each slip of the code sheet keeps its address inside the slip, broken (where it
must break) only between whole parts."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.e2e import pages

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# How wide the select is inside, against the longest choice in the select's own font.
SELECT_FITS = """select => {
  const style = getComputedStyle(select);
  const ruler = document.createElement('span');
  ruler.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
  ruler.style.font = style.font;
  document.body.append(ruler);
  let widest = 0;
  for (const option of select.options) {
    ruler.textContent = option.textContent;
    widest = Math.max(widest, ruler.getBoundingClientRect().width);
  }
  ruler.remove();
  const inside = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {widest, inside};
}"""
NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"
# Per slip: is the address inside the slip, and does any part run over two lines?
SLIP_ADDRESS = """slip => {
  const box = slip.getBoundingClientRect();
  const address = slip.querySelector('.slip-url').getBoundingClientRect();
  const parts = Array.from(slip.querySelectorAll('.slip-url-part'));
  return {
    inside: address.left >= box.left - 0.5 && address.right <= box.right + 0.5,
    split: parts.filter(p => p.getClientRects().length > 1).map(p => p.textContent),
    text: parts.map(p => p.textContent).join(''),
  };
}"""


def _choices_fit(page: Page, where: str) -> None:
    selects = page.get_by_label("Who answers")
    expect(selects.first).to_be_visible()
    for n in range(selects.count()):
        measured = selects.nth(n).evaluate(SELECT_FITS)
        # The arrow of the select takes about 20px of what is inside.
        assert measured["inside"] >= measured["widest"] + 16, (where, n, measured)


def test_who_answers_shows_in_full_and_slips_keep_their_address_whole(new_context):
    owner = new_context(viewport=DESKTOP).new_page()
    person = pages.register(owner, pages.new_person("Layout Owner"))
    playbook = pages.create_playbook(owner, "Layout check", organization="Lincoln Middle")
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    pages.sign_in(phone, person.email, person.password)

    new_round = f"/rounds/playbooks/{playbook}/new"
    for page, where in ((owner, "desktop"), (phone, "phone")):
        page.goto(new_round)
        _choices_fit(page, f"new round, {where}")
        assert page.evaluate(NO_SIDEWAYS), f"{where}: the form scrolls sideways"

    today = date.today()
    for page, where in ((owner, "desktop"), (phone, "phone")):
        page.goto(new_round)
        page.get_by_label("Title").fill(f"Layout round ({where})")
        page.get_by_label("Opens on").fill(today.isoformat())
        page.get_by_label("Closes on").fill((today + timedelta(days=7)).isoformat())
        row = page.locator("fieldset.group-row").first
        row.get_by_label("Group label").fill("Grade 7, room 214")
        row.get_by_label("Who answers").select_option(label="Students, grades 6–12")
        row.get_by_label("Number of codes").fill("4")
        page.get_by_role("button", name="Open the round and make the codes").click()
        slips = page.locator(".slip")
        expect(slips).to_have_count(4)
        for media in ("screen", "print"):
            page.emulate_media(media=media)
            for n in range(4):
                address = slips.nth(n).evaluate(SLIP_ADDRESS)
                assert address["inside"] and address["split"] == [], (where, media, address)
                assert address["text"].endswith("/respond/"), address
        page.emulate_media(media="screen")

        page.get_by_role("link", name="Back to the round").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Layout round ({where})")
        _choices_fit(page, f"round page, {where}")
        assert page.evaluate(NO_SIDEWAYS), f"{where}: the round's page scrolls sideways"

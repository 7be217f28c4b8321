from tests.helpers import get_page


def test_visitor_can_open_home_page_with_seeded_library(client, library):
    html = get_page(client, "home.index").get_data(as_text=True)
    assert "28 plays" in html

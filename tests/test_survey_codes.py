"""Response codes: typeable, without look-alikes, forgiving when typed, stored keyed."""

from __future__ import annotations

from playbook.rounds import codes


def test_codes_are_two_groups_of_four_from_an_alphabet_without_look_alikes(app):
    made = {codes.new_code() for _ in range(500)}
    assert len(made) == 500
    for code in made:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(codes.ALPHABET)
    assert not set("0O1IL2Z5S8B") & set(codes.ALPHABET)


def test_a_code_typed_with_lower_case_spaces_or_no_dash_is_the_same_code(app):
    code = codes.new_code()
    stored = codes.hash_code(code)
    for typed in (code.lower(), code.replace("-", " "), code.replace("-", ""), f" {code} "):
        assert codes.hash_code(typed) == stored


def test_what_cannot_be_a_code_is_never_looked_up(app):
    for typed in ("", "ABC", "K7QX-M4HD-EXTRA", "K7QX-M4H0", "' OR 1=1 --", "ÄÖÜ€-1234"):
        assert codes.hash_code(typed) is None


def test_the_stored_hash_depends_on_the_sites_secret(app):
    code = codes.new_code()
    first = codes.hash_code(code)
    app.config["SECRET_KEY"] = "another site's secret"
    assert codes.hash_code(code) != first
    assert codes.hash_link_token("t") != codes.hash_code(code)

"""What each word of an audience file is, from tokens alone (completion, hover and semantic
tokens rely on it, also while the text does not parse), and that no text or cursor position
makes the editor features fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiencelang.lsp import completion, hover, tokens
from audiencelang.lsp.context import Role, classify, tokenize
from audiencelang.lsp.index import ProjectIndex

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def roles(text: str) -> dict[str, tuple[str, str | None]]:
    return {t.text: (t.role.value, t.event) for t in classify(tokenize(text)) if t.kind == "word"}


def test_properties_belong_to_the_event_in_scope() -> None:
    got = roles("audience a {\n  include count(purchase) where channel = \"web\" >= 2\n"
                "    and sum(add_to_cart.price) in last 7 days > 10\n"
                "    and performed page_view where path contains \"/sale\" in last 3 days and age > 3\n}")
    assert got["purchase"] == ("event", None) and got["channel"] == ("property", "purchase")
    assert got["add_to_cart"] == ("event", None) and got["price"] == ("property", "add_to_cart")
    assert got["path"] == ("property", "page_view")
    assert got["age"] == ("trait", None)  # the where ended at `in last`
    assert got["days"] == ("unit", None)


def test_where_ends_with_its_parenthesis_and_at_a_count() -> None:
    got = roles("audience a {\n  include (performed purchase where coupon is null) and city = \"X\"\n"
                "  exclude performed session where device = \"tv\" at least 2 times and loyalty_tier = \"x\"\n}")
    assert got["coupon"] == ("property", "purchase") and got["city"] == ("trait", None)
    assert got["device"] == ("property", "session") and got["loyalty_tier"] == ("trait", None)


def test_names_after_keywords_and_keywords_inside_names() -> None:
    got = roles("# count in a comment\naudience counted {\n  include country = \"DE\" or in audience included\n"
                "  require consent ads, email\n  activate meta_ads\n}")
    assert got["counted"] == ("audience_def", None) and got["included"] == ("audience_ref", None)
    assert got["country"] == ("trait", None)
    assert got["ads"] == ("purpose", None) and got["email"] == ("purpose", None)
    assert got["meta_ads"] == ("destination", None)
    assert [t.role for t in classify(tokenize("# count in a comment"))] == [Role.COMMENT]


@pytest.fixture(scope="module")
def index() -> ProjectIndex:
    return ProjectIndex(EXAMPLES)


_PIECES = st.sampled_from([
    "audience", "a", "{", "}", "include", "exclude", "performed", "purchase", "where", "channel", "=",
    '"x"', '"unterminated', "and", "or", "not", "(", ")", "in", "audience", "last", "7", "days", "count",
    "sum", ".", "revenue", "consent", "require", ",", "activate", "meta_ads", "#", "\n", " ", "\u00e9", "\U0001d538",  # outside ASCII; the second outside the BMP (UTF-16 pairs)
    "2026-01-01", "at", "least", "times", "between", "min", "size", "title", "-", "[", "]",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(_PIECES, max_size=30), where=st.floats(0, 1))
def test_no_text_or_position_breaks_the_features(index: ProjectIndex, pieces: list[str], where: float) -> None:
    text = " ".join(pieces)
    offset = int(where * len(text))
    completion.complete(index, text, offset)
    hover.hover(index, text, offset)
    data = tokens.semantic_tokens(text).data
    assert len(data) % 5 == 0 and all(x >= 0 for x in data)


def test_positions_count_utf16_units_as_the_protocol_does(index: ProjectIndex) -> None:
    from lsprotocol import types

    from audiencelang.lsp.convert import offset_at, position_at, to_lsp

    text = 'audience a {\n  title "\U0001d538\u00e9"\n  include country = "\U0001d538" and countri = "x"\n}\n'
    for o in range(len(text) + 1):
        assert offset_at(text, position_at(text, o)) == o
    key = "audiences/utf16.aud"
    index.set_text(key, text)
    (d,) = [x for x in index.check([key])[key] if x.code == "E301"]
    got = to_lsp(d, text).range
    line = text.split("\n")[2]
    col16 = len(line[: line.index("countri")].encode("utf-16-le")) // 2
    assert got.start == types.Position(line=2, character=col16) and col16 == line.index("countri") + 1
    assert got.end.character - got.start.character == len("countri")

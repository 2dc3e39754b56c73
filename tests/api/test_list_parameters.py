"""The page/limit/sort/boolean rules of CONTRACT §2, as pure logic.

Every list endpoint runs these parsers; their HTTP behaviour is proven again
on the lists themselves."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.api.query import PageRequest, parse_bool, parse_page_request, parse_sort
from config.errors import ValidationFailed


def refused_field(call) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.details[0].field


def test_defaults_are_page_1_of_20():
    assert parse_page_request({}) == PageRequest(page=1, limit=20)


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "abc", "", " 1", "+1", "1e3", "9" * 13])
def test_a_bad_page_is_refused_naming_page(value):
    assert refused_field(lambda: parse_page_request({"page": value})) == "page"


@pytest.mark.parametrize("value", ["0", "101", "-5", "ten", "", "50.0"])
def test_a_bad_limit_is_refused_naming_limit(value):
    assert refused_field(lambda: parse_page_request({"limit": value})) == "limit"


@given(page=st.integers(min_value=1, max_value=10**12 - 1), limit=st.integers(min_value=1, max_value=100))
def test_every_valid_page_and_limit_is_accepted_as_given(page, limit):
    assert parse_page_request({"page": str(page), "limit": str(limit)}) == PageRequest(page=page, limit=limit)


@given(st.text(max_size=20))
def test_the_page_parser_accepts_exactly_the_positive_integers(raw):
    valid = raw.isascii() and raw.isdigit() and 0 < len(raw) <= 12 and int(raw) >= 1
    try:
        parse_page_request({"page": raw})
    except ValidationFailed:
        assert not valid
    else:
        assert valid


@given(total=st.integers(min_value=0, max_value=10**6), page=st.integers(1, 10**4), limit=st.integers(1, 100))
def test_meta_is_consistent_for_any_page(total, page, limit):
    meta = PageRequest(page=page, limit=limit).meta(total)

    assert meta["pages"] * limit >= total > (meta["pages"] - 1) * limit or total == meta["pages"] == 0
    assert meta["hasPrev"] is (page > 1)
    assert meta["hasNext"] is (page < meta["pages"])


def test_sort_takes_a_whitelisted_field_with_an_optional_minus():
    allowed = {"name", "createdAt"}

    assert parse_sort({}, allowed=allowed, default="-createdAt").wire == "-createdAt"
    assert parse_sort({"sort": "name"}, allowed=allowed, default="-createdAt").descending is False
    assert parse_sort({"sort": "-name"}, allowed=allowed, default="-createdAt").field == "name"


@pytest.mark.parametrize("value", ["password", "--name", "name;drop table", "", "-", "created_at", "NAME"])
def test_sort_refuses_anything_off_the_whitelist(value):
    allowed = {"name", "createdAt"}

    assert refused_field(lambda: parse_sort({"sort": value}, allowed=allowed, default="name")) == "sort"


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("false", False), (None, None)])
def test_booleans_are_true_or_false(raw, expected):
    assert parse_bool({} if raw is None else {"isActive": raw}, "isActive") is expected


@pytest.mark.parametrize("raw", ["1", "0", "yes", "True", "FALSE", ""])
def test_other_boolean_spellings_are_refused(raw):
    assert refused_field(lambda: parse_bool({"isActive": raw}, "isActive")) == "isActive"

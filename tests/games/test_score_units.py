"""games.units: how a game shows its values, by the unit its metadata names."""

import pytest

from games.units import format_score, score_unit


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (68_772, "ms", "1:08.772"),
        (5, "ms", "0:00.005"),
        (3_725_004, "ms", "1:02:05.004"),
        (-1_500, "ms", "-0:01.500"),
        (68, "s", "1:08"),
        (3_725, "s", "1:02:05"),
        (1_250, "points", "1,250 points"),
        (7, "laps", "7 laps"),
        (1_234_567, None, "1,234,567"),
        (-9_007_199_254_740_991, None, "-9,007,199,254,740,991"),
    ],
)
def test_a_value_is_shown_by_its_unit(value, unit, shown):
    assert format_score(value, unit) == shown


@pytest.mark.parametrize(
    ("metadata", "unit"),
    [
        ({"unit": "ms"}, "ms"),
        ({"unit": "  ms "}, "ms"),
        ({}, None),
        ({"unit": ""}, None),
        ({"unit": 3}, None),
        ([], None),
    ],
)
def test_the_unit_comes_from_the_metadata_when_it_is_a_word(metadata, unit):
    assert score_unit(metadata) == unit

"""camelCase on the wire, snake_case inside, and `metadata` left exactly as sent."""

import io

from config.api.parsing import CamelCaseObjectParser
from config.api.rendering import to_camel_case


def parse(body: str) -> dict:
    return CamelCaseObjectParser().parse(io.BytesIO(body.encode()))


def test_incoming_keys_become_snake_case():
    assert parse('{"scoreOrder": "asc", "minScore": 1}') == {"score_order": "asc", "min_score": 1}


def test_incoming_metadata_keys_keep_their_case():
    assert parse('{"metadata": {"levelName": "x", "snake_key": {"innerKey": 1}}}') == {
        "metadata": {"levelName": "x", "snake_key": {"innerKey": 1}}
    }


def test_outgoing_keys_become_camel_case_except_inside_metadata():
    data = {"created_at": 1, "metadata": {"snake_key": {"deep_key": 2}}, "items": [{"has_next": True}]}

    assert to_camel_case(data) == {
        "createdAt": 1,
        "metadata": {"snake_key": {"deep_key": 2}},
        "items": [{"hasNext": True}],
    }

"""Second hardening round (issue 27): network JSON with values of the wrong kind -> one line naming the field."""
from __future__ import annotations

import json

import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery.simulation.models import cuba
from neurodiscovery.simulation.network import Network


@pytest.mark.parametrize("edit, field", [
    (lambda d: d.__setitem__("dt_ms", "0.1"), "dt_ms"),
    (lambda d: d["populations"][0].__setitem__("n", "10"), "n must be an integer"),
    (lambda d: d["populations"][0].__setitem__("n", True), "n must be an integer"),
])
def test_wrong_kinds_in_network_json_are_named(edit, field):
    d = json.loads(cuba(200).to_json())
    edit(d)
    with pytest.raises(InputError, match=field) as e:
        Network.from_json(json.dumps(d))
    assert "__init__" not in str(e.value) and "positional" not in str(e.value)


def test_missing_required_parameter_is_named():
    d = json.loads(cuba(200).to_json())
    del d["populations"][0]["name"]
    with pytest.raises(InputError, match=r"missing required parameter\(s\) \['name'\]"):
        Network.from_json(json.dumps(d))

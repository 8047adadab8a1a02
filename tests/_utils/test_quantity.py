import json

import jsonschema
import pytest

from neurodiscovery._utils.errors import InputError
from neurodiscovery._utils.quantity import QUANTITY_JSON_SCHEMA, Quantity, count, quantity


def test_count_formats_with_its_noun_and_validates():
    q = count("ADn head-direction-tuned", 7, 8, "units")
    assert q.format() == "7 of 8 units"
    jsonschema.validate(q.to_json(), QUANTITY_JSON_SCHEMA)
    assert q.to_json() == {"label": "ADn head-direction-tuned", "value": 7, "unit": "1", "of": 8, "counts": "units"}


@pytest.mark.parametrize("kw", [dict(of=8), dict(counts="units", unit="Hz"), dict(interval=(0.1, 0.2)), dict(p=0.01)])
def test_incomplete_meaning_is_refused(kw):
    kw = {"unit": "1", **kw}
    with pytest.raises(InputError):
        Quantity("x", 1, **kw)


def test_plain_count_carries_its_noun():
    from neurodiscovery._utils.quantity import number_of

    q = number_of("units in the recording", 15, "units")
    assert q.format() == "15 units" and q.to_json()["counts"] == "units" and "of" not in q.to_json()
    jsonschema.validate(q.to_json(), QUANTITY_JSON_SCHEMA)


def test_count_outside_denominator_and_missing_unit_refused():
    with pytest.raises(InputError):
        count("tuned", 95, 60, "units")
    with pytest.raises(InputError):
        Quantity("rate", 1.0, "")


def test_numpy_values_and_nonfinite_become_json():
    np = pytest.importorskip("numpy")
    q = quantity("R²", np.float64(0.8923), interval=(np.float64(0.85), np.nan), interval_kind="95 % BCa", test="shift", p=0.01)
    j = json.loads(json.dumps(q.to_json()))
    assert j["value"] == pytest.approx(0.8923) and j["interval"] == [0.85, None]
    jsonschema.validate(j, QUANTITY_JSON_SCHEMA)
    assert quantity("rate", 5.0, "Hz").format() == "5 Hz"
    assert quantity("x", float("nan")).format() == "undefined"

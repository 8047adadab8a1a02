"""SWC record: round trip, and every malformed tree refused with one clear line."""
import numpy as np
import pytest

from neurodiscovery._utils.errors import DataFileError, InputError
from neurodiscovery.data.swc import make_swc, parse_swc, read_swc, swc_text, write_swc

GOOD = """# a Y
1 1 0 0 0 2.0 -1
2 3 0 0 10 1.0 1
3 3 5 0 15 0.5 2
4 3 -5 0 15 0.5 2
"""


def test_round_trip(tmp_path):
    t = parse_swc(GOOD, units="um", name="y")
    p = write_swc(tmp_path / "y.swc", t)
    t2 = read_swc(p)
    assert t2.name == "y" and t2.n_nodes == 4
    np.testing.assert_allclose(t2.xyz, t.xyz)
    np.testing.assert_array_equal(t2.parent_ids, [-1, 1, 2, 2])
    np.testing.assert_array_equal(t2.parent_index(), [-1, 0, 1, 1])
    with pytest.raises(InputError, match="already exists"):
        write_swc(p, t)


@pytest.mark.parametrize("text, match", [
    ("1 1 0 0 0 1 -1\n2 1 0 0 1 1 -1\n", "2 roots"),
    ("1 1 0 0 0 1 -1\n2 1 0 0 1 1 3\n3 1 0 0 2 1 2\n", "cycle"),
    ("1 1 0 0 0 1 2\n2 1 0 0 1 1 1\n", "no root"),
    ("1 1 0 0 0 1 -1\n2 1 0 0 1 1 7\n", "names parent 7"),
    ("1 1 0 0 0 1 -1\n2 1 0 0 1 -0.5 1\n", "negative"),
    ("1 1 0 0 0 1 -1\n1 1 0 0 1 1 1\n", "unique"),
    ("1 1 0 0 0 1\n", "7 columns"),
    ("1 1 0 zero 0 1 -1\n", "non-numeric"),
    ("# only a comment\n", "no nodes"),
])
def test_bad_swc_one_line(tmp_path, text, match):
    p = tmp_path / "bad.swc"
    p.write_text(text)
    with pytest.raises(DataFileError, match=match) as exc:
        read_swc(p)
    assert "\n" not in str(exc.value) and "bad.swc" in str(exc.value)


def test_forest_allowed_on_request():
    t = parse_swc("1 1 0 0 0 1 -1\n2 1 0 0 1 1 -1\n", allow_forest=True)
    assert (t.parent_ids < 0).sum() == 2


def test_make_swc_shape_mismatch():
    with pytest.raises(InputError, match="same nodes"):
        make_swc([1, 2], [-1, 1], np.zeros((3, 3)))
    assert "0 0 0" in swc_text(make_swc([1], [-1], np.zeros((1, 3))))


def test_unit_header_and_conversion():
    from neurodiscovery.data.swc import convert_units, header_units, split_forest, um_per_unit

    assert header_units("# units: nm\n1 1 0 0 0 1 -1\n") == "nm"
    assert header_units('# Meta: {"id": 3, "units": "8 nanometer"}\n1 1 0 0 0 1 -1\n') == "8 nanometer"
    assert header_units("1 1 0 0 0 1 -1\n# units: nm\n") is None  # only the header counts
    assert um_per_unit("8 nanometer") == pytest.approx(0.008) and um_per_unit("microns") == 1.0
    t = parse_swc("# units: nm\n1 1 0 0 0 10 -1\n2 1 0 0 1000 10 1\n")
    assert t.units == "nm"
    u = convert_units(t, "um")
    np.testing.assert_allclose(u.xyz[1], [0, 0, 1.0])
    np.testing.assert_allclose(u.radius, [0.01, 0.01])
    assert parse_swc(GOOD).units == "um" and parse_swc(GOOD, units="nm").units == "nm"
    with pytest.raises(DataFileError, match="header decides"):
        parse_swc("# units: nm\n" + GOOD, units="um")
    with pytest.raises(DataFileError, match="unknown length unit"):
        parse_swc("# units: parsecs\n" + GOOD)
    f = split_forest(parse_swc("1 1 0 0 0 1 -1\n2 1 0 0 1 1 1\n3 1 5 0 0 1 -1\n", allow_forest=True, name="x"))
    assert [(p.name, p.n_nodes) for p in f] == [("x_1", 2), ("x_2", 1)]

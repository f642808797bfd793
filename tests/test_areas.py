"""Area search: postcodes (full, sector, district), place names with typos, nearest NAG."""

from __future__ import annotations

import pytest
from rapidfuzz import utils

from bot.domain.areas import AreaIndex, parse_postcode


@pytest.fixture(scope="module")
def index(content) -> AreaIndex:
    return AreaIndex(content.nags)


@pytest.mark.parametrize(
    ("text", "district", "sector"),
    [
        ("MK6 3AX", "MK6", "MK6 3"),
        ("mk63ax", "MK6", "MK6 3"),
        ("  Mk6  3ax ", "MK6", "MK6 3"),
        ("MK6 3", "MK6", "MK6 3"),
        ("MK6", "MK6", None),
        ("MK10 9AA", "MK10", "MK10 9"),
        ("mk109aa", "MK10", "MK10 9"),
        ("MK46 4AB", "MK46", "MK46 4"),
    ],
)
def test_parse_postcode(index: AreaIndex, text: str, district: str, sector: str | None):
    pc = parse_postcode(text, index.districts)
    assert pc is not None and pc.district == district and pc.sector == sector


@pytest.mark.parametrize("text", ["Fishermead", "hello", "NN1 1AA", "MK", "12345", "MK6 3AXX"])
def test_not_mk_postcodes(index: AreaIndex, text: str):
    assert parse_postcode(text, index.districts) is None


def test_full_postcode_narrows_to_sector(index: AreaIndex):
    r = index.search("MK6 2LP")
    assert r.kind == "postcode" and [n.id for n in r.nags] == ["fishermead"]


def test_district_offers_every_nag_in_it(index: AreaIndex):
    r = index.search("MK6")
    assert r.kind == "postcode" and len(r.nags) >= 2
    assert all(any(p.startswith("MK6") for p in n.postcodes) for n in r.nags)


def test_unknown_mk_district_is_outside(index: AreaIndex):
    assert index.search("MK99 1AA").kind == "outside"


@pytest.mark.parametrize(
    ("text", "expected_area"),
    [
        ("fishermead", "Fishermead"),
        ("Shenly Lodge", "Shenley Lodge"),
        ("shenley lodge", "Shenley Lodge"),
        ("Olney", "Olney"),
        ("Wolverton", "Wolverton"),
        ("Newport Pagnel", "Newport Pagnell"),
        ("stony stratford", "Stony Stratford"),
        ("Coffee Hal", "Coffee Hall"),
        ("I live in Fishermead", "Fishermead"),
    ],
)
def test_place_names_with_typos(index: AreaIndex, text: str, expected_area: str):
    r = index.search(text)
    # A misspelling is a guess to confirm ("Is this right?"); a name spelled right is not.
    typo = utils.default_process(expected_area) not in utils.default_process(text)
    assert r.kind == ("fuzzy" if typo else "name"), text
    assert any(expected_area in n.areas or expected_area in n.name for n in r.nags)
    assert expected_area in r.nags[0].areas or expected_area in r.nags[0].name


@pytest.mark.parametrize(
    "text", ["hello", "what time is it", "thanks!", "🙂", "", "zq" * 2500, "yes"]
)
def test_chatter_is_not_an_area(index: AreaIndex, text: str):
    assert index.search(text).nags == ()


def test_nearest(index: AreaIndex, content):
    olney = content.nag_by_id["olney"]
    ((nag, km),) = index.nearest(olney.lat + 0.002, olney.lon, limit=1)
    assert nag.id == "olney" and km < 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bletchley", {"central-bletchley", "west-bletchley"}),
        ("I live in Bletchley", {"central-bletchley", "west-bletchley"}),
        ("West Bletchley", {"west-bletchley"}),
        ("Stratford", {"stony-stratford", "fenny-stratford"}),
        ("Wavendon", {"woburn-sands", "walnut-tree"}),
        ("Olney", {"olney"}),
    ],
)
def test_a_place_in_several_areas_offers_each(index: AreaIndex, text: str, expected: set[str]):
    r = index.search(text)
    assert r.kind == "name"
    assert {n.id for n in r.nags} == expected


@pytest.mark.parametrize(
    ("text", "full"),
    [("SW1A 1AA", "SW1A 1AA"), ("sw1a1aa", "SW1A 1AA"), ("MK99 9ZZ", "MK99 9ZZ"),
     ("MK40 1AA", "MK40 1AA"), ("NN1 1AA", "NN1 1AA"), ("ec1a 1bb", "EC1A 1BB")],
)  # fmt: skip
def test_any_uk_postcode_outside_the_nags_is_outside_with_its_full_postcode(
    index: AreaIndex, text: str, full: str
):
    r = index.search(text)
    assert (r.kind, r.matched, r.nags) == ("outside", full, ())


@pytest.mark.parametrize("text", ["QQ1 1AA", "A1", "the", "park", "and"])
def test_not_postcodes_nor_places(index: AreaIndex, text: str):
    assert index.search(text).kind == "none"


@pytest.mark.parametrize(
    "text",
    ["what's the weather like tomorrow", "is the swimming pool open on sunday",
     "kids on motorbikes keep racing past my house", "book me a taxi to the station"],
)  # fmt: skip
def test_sentences_are_not_places_even_when_asked(index: AreaIndex, text: str):
    assert index.search(text).kind == "none"
    assert index.search(text, asking=True).kind == "none"


def test_a_place_in_a_sentence_counts_only_when_asked(index: AreaIndex):
    text = "when does the bus to Bletchley leave"
    assert index.search(text).kind == "none"
    assert index.search(text, asking=True).kind == "name"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Bletchly", {"central-bletchley", "west-bletchley"}),
     ("Stratfrd", {"stony-stratford", "fenny-stratford"}), ("my postcode is MK6 2LP", {"fishermead"})],
)  # fmt: skip
def test_every_close_match_is_offered(index: AreaIndex, text: str, expected: set[str]):
    assert {n.id for n in index.search(text).nags} == expected


def test_moving_away_names_the_place_left(index: AreaIndex):
    r = index.search("I don't live in Fishermead any more")
    assert r.kind == "moved" and [n.id for n in r.nags] == ["fishermead"]


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [(52.136, -0.467, False), (51.917, -0.661, False), (52.0, -0.987, False),
     (52.153, -0.701, True), (52.10, -0.71, True), (52.163, -0.617, True)],
)  # fmt: skip
def test_inside_milton_keynes(index: AreaIndex, lat: float, lon: float, inside: bool):
    assert index.inside(lat, lon) is inside

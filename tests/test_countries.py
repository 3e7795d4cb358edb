"""Destination normalisation (core/countries.py): codes, English and Chinese names, errors."""

import pytest

from core import countries
from core.countries import UnknownCountry


@pytest.mark.parametrize(("text", "expected"), [
    ("US", "US"), ("us", "US"), ("USA", "US"), ("U.S.", "US"), ("U.S.A.", "US"),
    ("United States", "US"), ("the United States", "US"), ("United States of America", "US"),
    ("America", "US"), ("美国", "US"), ("美方", "US"), ("美利坚合众国", "US"), ("Ｕ．Ｓ．", "US"),
    ("UK", "GB"), ("Britain", "GB"), ("United Kingdom", "GB"), ("英国", "GB"),
    ("KR", "KR"), ("KOR", "KR"), ("South Korea", "KR"), ("Korea", "KR"), ("ROK", "KR"),
    ("Korea, Republic of", "KR"), ("Republic of Korea", "KR"), ("韩国", "KR"), ("大韩民国", "KR"),
    ("North Korea", "KP"), ("朝鲜", "KP"),
    ("VN", "VN"), ("Vietnam", "VN"), ("Viet Nam", "VN"), ("越南", "VN"),
    ("MX", "MX"), ("MEX", "MX"), ("Mexico", "MX"), ("墨西哥", "MX"),
    ("DE", "DE"), ("DEU", "DE"), ("Germany", "DE"), ("Deutschland", "DE"), ("德国", "DE"),
    ("JP", "JP"), ("JPN", "JP"), ("Japan", "JP"), ("日本", "JP"),
    ("Taiwan", "TW"), ("台湾", "TW"), ("中国台湾", "TW"), ("Taiwan, Province of China", "TW"),
    ("Russia", "RU"), ("俄罗斯", "RU"), ("Iran", "IR"), ("伊朗", "IR"), ("Netherlands", "NL"),
])
def test_known_spellings(text: str, expected: str) -> None:
    assert countries.to_alpha2(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Japan (JP)", "JP"), ("Germany (DE)", "DE"), ("DE - Germany", "DE"), ("日本（JP）", "JP"),
    ("KR | Korea, Republic of", "KR"), ("US (United States)", "US"), ("Korea (KR)", "KR"),
    ("Korea (South)", "KR"), ("S. Korea", "KR"), ("Korea (North)", "KP"), ("UAE", "AE"),
    ("阿联酋", "AE"), ("Guinea-Bissau", "GW"), ("Timor-Leste", "TL"),
])
def test_a_name_written_with_its_code(text: str, expected: str) -> None:
    """An ERP export writes a country with its code; both must name the same country."""
    assert countries.to_alpha2(text) == expected


@pytest.mark.parametrize("text", ["Georgia (US)", "Japan (DE)", "Narnia (NA-X)", "US - Narnia",
                                  "Congo (Kinshasa)"])
def test_parts_naming_different_countries_or_none_are_not_guessed(text: str) -> None:
    assert countries.lookup(text) is None


@pytest.mark.parametrize("text", ["Narnia", "XX", "EU", "Europe", "", "   ", "美洲", "U"])
def test_unknown_is_an_error(text: str) -> None:
    assert countries.lookup(text) is None
    with pytest.raises(UnknownCountry):
        countries.to_alpha2(text)


def test_error_names_the_unknown_and_the_understood() -> None:
    with pytest.raises(UnknownCountry) as caught:
        countries.normalise_all(["USA", "日本", "Narnia", "XX"])
    error = caught.value
    assert error.unknown == ["Narnia", "XX"]
    assert error.understood == {"USA": "US", "日本": "JP"}
    message = str(error)
    assert "'Narnia'" in message and "'XX'" in message
    assert "USA → US" in message and "日本 → JP" in message


def test_normalise_all_keeps_order_and_drops_repeats() -> None:
    assert countries.normalise_all(["美国", "Japan", "USA", "DE"]) == ["US", "JP", "DE"]


def test_every_iso_code_reads_back() -> None:
    import pycountry

    for country in pycountry.countries:
        assert countries.to_alpha2(country.alpha_2) == country.alpha_2
        assert countries.to_alpha2(country.alpha_3) == country.alpha_2


def test_display_names_follow_prc_usage() -> None:
    assert countries.name("TW", "zh") == "中国台湾"
    assert countries.name("TW") == "Taiwan, China"
    assert countries.name("us", "zh") == "美国"
    assert countries.name("VN") == "Vietnam"
    assert countries.name("DE", "zh") == "德国"
    with pytest.raises(UnknownCountry):
        countries.name("XX")

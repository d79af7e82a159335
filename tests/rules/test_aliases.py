"""Actor names in other scripts and spellings: Cyrillic, Turkish letters, transliterations."""

import shutil

import pytest

from vigil.article import Article
from vigil.rules import Matcher, load_ruleset
from vigil.text import fold

from tests.conftest import RULES


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    folder = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(RULES, folder)
    (folder / "who.yaml").write_text(
        "rules:\n"
        "  - {id: tur, title: Turkey, query: '@TUR'}\n"
        "  - {id: rus, title: Russia, query: '@RUS'}\n"
        "  - {id: ukr, title: Ukraine, query: '@UKR'}\n"
        "  - {id: tur-gov, title: Turkish government, query: '@TURGOV'}\n",
        encoding="utf-8",
    )
    return Matcher(load_ruleset(folder))


def _who(matcher: Matcher, text: str) -> set[str]:
    found = matcher.match(Article(title=text, body="", outlet="test"))
    return {match.rule_id for match in found} & {"tur", "rus", "ukr", "tur-gov"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Эрдоган прибыл в Киев.", {"tur", "tur-gov", "ukr"}),  # Russian
        ("ЭРДОГАНА встретили в Москве.", {"tur", "tur-gov", "rus"}),  # capitals, case ending
        ("Ердоган відвідав Київ.", {"tur", "tur-gov", "ukr"}),  # Ukrainian, ї
        ("КИЇВ і Туреччина підписали угоду.", {"ukr", "tur"}),
        ("Путін і Кремль відповіли Україні.", {"rus", "ukr"}),
        ("ERDOĞAN ve ÇAVUŞOĞLU Ankara'da.", {"tur", "tur-gov"}),  # Turkish capitals
        ("Cavusoglu met Erdogan.", {"tur", "tur-gov"}),  # transliterated
        ("İbrahim Kalın spoke.", {"tur", "tur-gov"}),  # dotted capital İ, dotless ı
        ("IBRAHIM KALIN spoke.", {"tur", "tur-gov"}),
    ],
)
def test_actor_names_in_other_scripts(matcher: Matcher, text: str, expected: set[str]) -> None:
    assert _who(matcher, text) == expected


def test_unrelated_cyrillic_words_name_nobody(matcher: Matcher) -> None:
    assert _who(matcher, "Погода в Минске хорошая, дождь прошёл.") == set()


@pytest.mark.parametrize(
    "variants",
    [
        ("ERDOĞAN", "Erdoğan", "Erdogan", "erdogan"),
        ("ÇAVUŞOĞLU", "Çavuşoğlu", "Cavusoglu"),
        ("İstanbul", "ISTANBUL", "Istanbul", "istanbul"),
        ("Kalın", "KALIN", "Kalin"),
        ("Łódź", "Lodz"),
        ("Ærø", "Aero"),
        ("Straße", "STRASSE", "strasse"),
        ("Đukanović", "Dukanovic"),
        ("Søren", "Soren"),
    ],
)
def test_folding_makes_spellings_one_name(variants: tuple[str, ...]) -> None:
    assert len({fold(variant).folded for variant in variants}) == 1, [
        fold(v).folded for v in variants
    ]

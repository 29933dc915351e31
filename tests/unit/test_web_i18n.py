"""The console's catalogues and local times: every message translated in every
language, the compiled .mo files in step with the .po files, codes the API sends
all have labels, and times shown in Asia/Bishkek."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from korgoo.alerts.model import Outcome, TransitionKind
from korgoo.domain.jurisdictions import JURISDICTIONS
from korgoo.domain.rules import Rule
from korgoo.store.registry import PersonRole
from korgoo.web.i18n import (
    LANGUAGES,
    LOCALE_DIR,
    environment,
    gettext,
    local_datetime,
    pick_language,
)
from korgoo.web.labels import script_labels


def catalogue(lang: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "korgoo.po").open("rb") as f:
        return read_po(f, locale=lang)


def template_ids() -> set[str]:
    with (LOCALE_DIR / "korgoo.pot").open("rb") as f:
        return {m.id for m in read_po(f) if isinstance(m.id, str) and m.id}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang: str) -> None:
    cat = catalogue(lang)
    messages = [m for m in cat if m.id]
    assert {m.id for m in messages} == template_ids()
    assert [m.id for m in messages if not m.string] == []
    assert [m.id for m in messages if m.fuzzy] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(lang: str) -> None:
    for m in catalogue(lang):
        if m.id:
            assert gettext(lang, m.id) == m.string, m.id


def test_russian_and_kyrgyz_are_not_english() -> None:
    ids = template_ids()
    for lang in ("ru", "ky"):
        same = {i for i in ids if gettext(lang, i) == i}
        # Only codes and names that read the same in every language.
        assert same <= {"Battery, %"}, (lang, same)
    assert gettext("ru", "Acknowledge") == "Принять"
    assert gettext("ky", "Acknowledge") == "Кабыл алуу"


def test_unknown_language_falls_back_to_russian() -> None:
    assert pick_language(None, "de", "ky") == "ky"
    assert pick_language(None, "") == "ru"


def test_labels_cover_every_code_the_api_sends() -> None:
    for lang in LANGUAGES:
        labels = script_labels(lang)
        # Every rule of the catalogue.
        assert set(labels["rules"]) == set(Rule)
        assert set(labels["outcomes"]) == {o.value for o in Outcome}
        assert set(labels["transitions"]) == {k.value for k in TransitionKind}
        assert set(labels["districts"]) == {j.code for j in JURISDICTIONS}
        assert set(labels["person_roles"]) == {r.value for r in PersonRole}
        assert set(labels["states"]) == {
            "compliant",
            "prealert",
            "breach",
            "switched_off",
            "no_signal",
            "low_battery",
        }
    assert script_labels("ky")["districts"]["KG-GB-OKT"] == "Октябрь району"
    assert script_labels("ru")["rules"]["panic"] == "Тревожная кнопка"


def test_times_are_shown_in_bishkek() -> None:
    # 18:30 UTC is 00:30 the next day in Bishkek (UTC+6).
    t = datetime(2026, 3, 1, 18, 30, tzinfo=UTC).timestamp()
    assert "00:30:00" in local_datetime(t, "ru")
    assert "2 мар" in local_datetime(t, "ru")
    assert "Mar 2, 2026" in local_datetime(t, "en")
    assert local_datetime(None, "en") == "—"


def test_templates_translate_through_the_environment() -> None:
    html = (
        environment("ky")
        .get_template("login.html")
        .render(
            lang="ky",
            user=None,
            csrf="",
            languages=[],
            labels={},
            tiles=None,
            timezone="",
            script="",
        )
    )
    assert "Мониторинг борборуна кирүү" in html
    assert 'lang="ky"' in html

"""A refused request is explained on the page in the console's language: the
console's scripts send the page's language with every API call (issue 11 item 4)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from korgoo.api.schemas import NOTE_MAX

# The console's own API helper, as the pages call it; the refusal as it shows it.
TRY_A_LONG_NOTE = """async (size) => {
  const { api } = await import("/static/js/common.js");
  try {
    await api("/alerts/no-such-alert/notes", { method: "POST", body: { text: "x".repeat(size) } });
    return "accepted";
  } catch (error) {
    return `${error.status} ${error.message}`;
  }
}"""
SET_KYRGYZ = """async () => {
  const { api } = await import("/static/js/common.js");
  await api("/session", { method: "PATCH", body: { language: "ky" } });
}"""


def test_a_too_long_note_is_refused_in_the_language_of_the_page(console: Page) -> None:
    refusal = console.evaluate(TRY_A_LONG_NOTE, NOTE_MAX + 1)
    assert refusal == f"422 Неверный запрос: 'text': не более {NOTE_MAX} символов."

    # The user's language, not the browser's (this browser asks for ru-RU).
    console.evaluate(SET_KYRGYZ)
    console.reload()
    expect(console.locator("html")).to_have_attribute("lang", "ky")
    refusal = console.evaluate(TRY_A_LONG_NOTE, NOTE_MAX + 1)
    assert refusal == f"422 Суроо туура эмес: 'text': {NOTE_MAX} белгиден ашпашы керек."  # noqa: RUF001

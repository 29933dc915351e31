// Enrolment: the one-time code from the centre (typed, or in the QR code's
// link) becomes this phone's own credential, kept in IndexedDB.

import { $, clearOutbox, kvDelete, kvGet, kvSet, msg, setupLanguage } from "./common.js";

const APPS = { respondent_app: "/app/respondent", victim_app: "/app/victim" };

async function installId() {
  let id = await kvGet("install_id");
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    await kvSet("install_id", id);
  }
  return id;
}

async function enrol(code) {
  const error = $("enrol-error");
  error.textContent = "";
  $("enrol-submit").disabled = true;
  try {
    const response = await fetch("/app/api/v1/enrol", {
      method: "POST",
      // The page's language: a refused code is explained in it.
      headers: { "Content-Type": "application/json", Accept: "application/json", "Accept-Language": document.documentElement.lang },
      body: JSON.stringify({ code, install_id: await installId() }),
      cache: "no-store",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      error.textContent = typeof data.detail === "string" ? data.detail : String(response.status);
      return;
    }
    const { device_id, secret, kind, person_id, order_id } = data;
    await kvSet("credential", { device_id, secret, kind, person_id, order_id });
    // What belonged to an earlier enrolment of this phone does not carry over.
    for (const key of ["me", "sharing", "checkins_done", "order_end"]) await kvDelete(key);
    await clearOutbox();
    location.replace(APPS[kind] || "/app/respondent");
  } catch {
    error.textContent = msg("offline");
  } finally {
    $("enrol-submit").disabled = false;
  }
}

function main() {
  setupLanguage();
  const form = $("enrol-form");
  const input = $("enrol-code");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    enrol(input.value.trim());
  });
  const code = new URLSearchParams(location.search).get("code");
  if (code && /^[0-9]{8}$/.test(code)) {
    input.value = code;
    enrol(code);
  }
}

main();

// What every signed-in page shares: header controls, the live event stream, the
// sticky P1 banner and the alert sounds.
import {
  alertHref, api, el, fmtClock, listOf, LANG, msg, PERMISSIONS, slaText, t, toast,
} from "./common.js";
import { play, soundBlocked, unlockOnGesture } from "./sound.js";

const MUTE_KEY = "korgoo.mute";
const P1_REPEAT_MS = 4000;
const RECONNECT_MS = 5000;
const handlers = { alert: [], live: [] };
const known = new Map(); // alert_key -> alert, every unresolved alert seen
let stream = null;

export function on(type, handler) {
  handlers[type].push(handler);
}

function setupLanguage() {
  const select = document.getElementById("language");
  if (!select) return;
  select.addEventListener("change", async () => {
    const language = select.value;
    document.cookie = `korgoo_lang=${language}; path=/; max-age=31536000; samesite=strict`;
    if (document.getElementById("logout")) {
      try {
        await api("/session", { method: "PATCH", body: { language } });
      } catch (error) {
        toast(error.message);
      }
    }
    location.reload();
  });
}

function setupLogout() {
  const button = document.getElementById("logout");
  if (!button) return;
  button.addEventListener("click", async () => {
    try {
      await api("/session", { method: "DELETE" });
    } finally {
      location.assign("/login");
    }
  });
}

function muted() {
  return localStorage.getItem(MUTE_KEY) === "1";
}

function renderMute() {
  const button = document.getElementById("mute");
  if (!button) return;
  const isMuted = muted();
  button.setAttribute("aria-pressed", String(isMuted));
  if (isMuted) button.textContent = msg("sound_muted");
  else button.textContent = soundBlocked() ? msg("sound_blocked") : msg("sound_on");
}

function setupMute() {
  const button = document.getElementById("mute");
  if (!button) return;
  button.addEventListener("click", () => {
    localStorage.setItem(MUTE_KEY, muted() ? "0" : "1");
    renderMute();
  });
  unlockOnGesture(renderMute);
  renderMute();
}

function sound(priority) {
  if (!muted()) play(priority);
}

function openP1s() {
  return [...known.values()]
    .filter((a) => a.priority === "P1" && !a.resolved)
    .sort((a, b) => String(a.opened_at).localeCompare(String(b.opened_at)));
}

let bannerSignature = "";

// Rebuilt only when the set of P1s changes (so keyboard focus stays put); the
// countdowns tick in place every second.
function renderBanner() {
  const banner = document.getElementById("p1-banner");
  if (!banner) return;
  const alerts = openP1s();
  const now = Date.now();
  const signature = alerts.map((a) => `${a.alert_key}|${a.acked}`).join(",");
  if (signature !== bannerSignature) {
    bannerSignature = signature;
    banner.hidden = alerts.length === 0;
    banner.replaceChildren(
      el("span", { class: "p1-title" }, `P1 · ${msg("p1_open")}: ${alerts.length}`),
      ...alerts.map((a) =>
        el(
          "a",
          { class: `p1-item${a.acked ? "" : " unacked"}`, href: alertHref(a.alert_key), dataset: { key: a.alert_key } },
          el("span", {}, t("rules", a.rule)),
          el("span", {}, `${msg("order")} ${a.order_number || a.order_id}`),
          el("span", { class: "sla-countdown" }),
        ),
      ),
    );
  }
  for (const link of banner.querySelectorAll(".p1-item")) {
    const sla = slaText(known.get(link.dataset.key), now);
    const cell = link.querySelector(".sla-countdown");
    cell.textContent = sla.text;
    cell.className = `sla-countdown ${sla.cls}`;
  }
}

function take(alert) {
  const before = known.get(alert.alert_key);
  if (alert.resolved) known.delete(alert.alert_key);
  else known.set(alert.alert_key, alert);
  if (!alert.resolved && (!before || before.priority !== alert.priority)) sound(alert.priority);
  renderBanner();
}

function setLiveStatus(on) {
  const badge = document.getElementById("live-status");
  if (!badge) return;
  badge.dataset.state = on ? "on" : "off";
  badge.textContent = on ? msg("live_on") : msg("live_off");
}

// "Live" only while the stream is open; the browser retries a dropped stream by
// itself, but gives up on a refused one (401 once the session ended, or the
// server went away mid-answer): then ask whether the session still holds.
function connect() {
  stream = new EventSource("/api/v1/events/stream", { withCredentials: true });
  stream.addEventListener("open", () => setLiveStatus(true));
  stream.addEventListener("error", () => {
    setLiveStatus(false);
    if (stream.readyState === EventSource.CLOSED) recover();
  });
  for (const type of Object.keys(handlers)) {
    stream.addEventListener(type, (event) => {
      const data = JSON.parse(event.data);
      if (type === "alert") take(data);
      for (const handler of handlers[type]) handler(data);
    });
  }
}

async function recover() {
  try {
    await api("/session"); // a 401 sends the page to the login
  } catch (error) {
    if (error.status === 401) return;
  }
  setTimeout(connect, RECONNECT_MS);
}

async function seed() {
  try {
    const alerts = listOf(await api("/alerts", { query: { status: "open" } }), "alerts");
    for (const a of alerts) known.set(a.alert_key, a);
    renderBanner();
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

// P1 sound repeats while an open P1 is unacknowledged and the sound is on.
function repeatP1() {
  if (openP1s().some((a) => !a.acked)) sound("P1");
}

function tickClock() {
  const clock = document.getElementById("clock");
  if (clock) clock.textContent = fmtClock(Date.now());
}

const OUTAGE_EVERY_MS = 30_000;

// The centre cannot monitor: a banner until it can again (GET /outage).
async function pollOutage() {
  const banner = document.getElementById("outage-banner");
  if (!banner) return;
  try {
    const outage = await api("/outage");
    banner.hidden = !outage.active;
    if (outage.active) {
      const causes = outage.causes.map((c) => t("outage_causes", c.split(":")[0])).join(", ");
      banner.textContent = msg("outage_banner")
        .replace("{since}", fmtClock(Date.parse(outage.since)))
        .replace("{causes}", causes);
    }
  } catch {
    // The poll itself failing says nothing of the monitoring; the next one tells.
  }
}

export function startShell() {
  document.documentElement.lang = LANG;
  setupLanguage();
  setupLogout();
  if (!document.getElementById("logout")) return;
  tickClock();
  setInterval(tickClock, 1000);
  if (PERMISSIONS.has("orders.read")) {
    pollOutage();
    setInterval(pollOutage, OUTAGE_EVERY_MS);
  }
  // A user who reads no alerts (the ministry's statistics) has no stream, banner or sounds.
  if (!PERMISSIONS.has("alerts.read")) {
    for (const id of ["live-status", "mute"]) document.getElementById(id)?.remove();
    return;
  }
  setupMute();
  setInterval(renderBanner, 1000);
  setInterval(repeatP1, P1_REPEAT_MS);
  seed().then(connect);
}

// The protected person's app: opt-in location sharing she can pause, a panic
// button held down to send an SOS with her position, and the centre's graded
// warnings, each with its own words, colour, sound and vibration. Technical
// notices look and sound nothing like danger.

import {
  $,
  call,
  currentBattery,
  enqueue,
  fixMessage,
  formatDate,
  kvGet,
  kvSet,
  msg,
  onLink,
  registerWorker,
  requireEnrolment,
  sendNow,
  setupLanguage,
  signal,
  signalMessage,
  sleep,
  startOutbox,
  startStream,
  stopVibration,
  unlockSound,
  vibrate,
  watchBattery,
} from "./common.js";

const HOLD_MS = 1500;
const FRESH_POSITION_MS = 1000;
const LAST_POSITION_MAX_MS = 120000;
const ALERT_REPEAT_MS = 5000;
const LOW_BATTERY = 0.15;
const HEARTBEAT_S = 120;
const OFFLINE_NOTICE_MS = 30000;

let sharing = false;
let watchId = null;
let lastPosition = null;

// ---- Sharing (opt-in; the dynamic protection zone works only while she shares)

function showSharing() {
  const toggle = $("sharing-toggle");
  toggle.setAttribute("aria-pressed", sharing ? "true" : "false");
  toggle.textContent = msg(sharing ? "pause" : "resume");
  toggle.className = `big-btn ${sharing ? "big-btn-quiet" : "big-btn-primary"}`;
  const state = $("sharing-state");
  state.dataset.state = sharing ? "on" : "paused";
  state.textContent = msg(sharing ? "sharing_on" : "sharing_paused");
}

function onPosition(position) {
  lastPosition = position;
  if (sharing) enqueue(fixMessage(position, currentBattery()));
}

function startWatching() {
  if (watchId !== null || !("geolocation" in navigator)) return;
  watchId = navigator.geolocation.watchPosition(onPosition, () => {}, {
    enableHighAccuracy: true,
    maximumAge: 0,
    timeout: 30000,
  });
}

function stopWatching() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

async function setSharing(on, { tell = true } = {}) {
  sharing = on;
  await kvSet("sharing", on);
  if (on) startWatching();
  else stopWatching();
  if (tell) enqueue(signalMessage(on ? "sharing_resumed" : "sharing_paused"));
  showSharing();
}

// ---- Warnings: danger (pre-alert, alert, all clear) and technical notices

let danger = null; // the last danger message: { level, code, id, status }
let panicId = null; // the centre's answer to her last SOS
// Technical notices; a paused sharing is shown by the sharing card itself.
const notices = {
  battery_low: false,
  no_signal: false,
  sharing_paused: false,
  connection: false,
  system: false,
};
let repeat = null;

const DANGER_SOUND = { prealert: "prealert", alert: "urgent", all_clear: "clear" };

function activeNotice() {
  for (const code of ["system", "connection", "no_signal", "battery_low", "sharing_paused"]) {
    if (notices[code]) return code;
  }
  return null;
}

// One banner: a danger message always wins over a technical notice.
function showWarning() {
  const box = $("warning");
  const dismiss = $("warning-dismiss");
  dismiss.textContent = msg("dismiss");
  if (danger) {
    box.dataset.level = danger.level;
    $("warning-title").textContent = msg(`${danger.level}_title`);
    $("warning-body").textContent = msg(`${danger.level}_body`);
    $("warning-status").hidden = !danger.status;
    $("warning-status").textContent = danger.status ? msg(`status_${danger.status}`) : "";
    dismiss.hidden = danger.level === "alert";
    box.hidden = false;
    return;
  }
  const notice = activeNotice();
  $("warning-status").hidden = true;
  box.dataset.level = notice ? "technical" : "";
  box.hidden = !notice;
  if (notice) {
    $("warning-title").textContent = msg("technical_title");
    $("warning-body").textContent = msg(`technical_${notice}`);
    dismiss.hidden = true;
  }
}

function onWarning(data) {
  if (data.level === "technical") {
    // The centre's codes are technical_<what>; an unknown one is "a problem".
    const what = String(data.code || "").replace(/^technical_/, "");
    const code = what in notices ? what : "system";
    notices[code] = true;
    showWarning();
    signal("technical");
    return;
  }
  if (!DANGER_SOUND[data.level]) return;
  danger = { level: data.level, code: data.code, id: data.id, status: null };
  clearInterval(repeat);
  repeat = null;
  stopVibration();
  showWarning();
  signal(DANGER_SOUND[data.level]);
  if (data.level === "alert") {
    repeat = setInterval(() => signal("urgent"), ALERT_REPEAT_MS);
    refreshStatus();
  }
}

// ---- What has happened to her alarm: only what the centre's record shows

function onStatus(data) {
  if (data.about === panicId) {
    $("panic-confirmed").textContent = msg(`status_${data.status}`);
  }
  if (danger && danger.id === data.about) {
    danger.status = data.status;
    showWarning();
  }
}

async function refreshStatus() {
  try {
    const response = await call("/status");
    if (!response.ok) return;
    for (const frame of (await response.json()).alarms) onStatus(frame);
  } catch {
    // Offline: the stream's next status frame, or the next reconnect, tells her.
  }
}

function dismissWarning() {
  if (danger && danger.level !== "alert") {
    danger = null;
    showWarning();
  }
}

function onBattery(b) {
  notices.battery_low = !b.charging && b.level <= LOW_BATTERY;
  showWarning();
}

// ---- Panic: a long press (no pocket presses), progress ring, SOS with her position

let holdTimer = null;
let holdStart = 0;
let frame = null;

function progress(fraction) {
  $("panic-progress").style.strokeDashoffset = String(100 - fraction * 100);
}

function startHold(event) {
  if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
  if (event.repeat || holdTimer) return;
  event.preventDefault();
  holdStart = performance.now();
  $("panic").dataset.holding = "true";
  $("panic-status").textContent = msg("panic_keep");
  const animate = () => {
    progress(Math.min(1, (performance.now() - holdStart) / HOLD_MS));
    frame = requestAnimationFrame(animate);
  };
  animate();
  holdTimer = setTimeout(() => {
    endHold();
    panic();
  }, HOLD_MS);
}

function endHold() {
  clearTimeout(holdTimer);
  holdTimer = null;
  cancelAnimationFrame(frame);
  progress(0);
  $("panic").dataset.holding = "false";
  if ($("panic-status").textContent === msg("panic_keep")) $("panic-status").textContent = "";
}

function freshPosition() {
  return new Promise((resolve) => {
    if (!("geolocation" in navigator)) {
      resolve(null);
      return;
    }
    navigator.geolocation.getCurrentPosition(resolve, () => resolve(null), {
      enableHighAccuracy: true,
      maximumAge: 0,
      timeout: FRESH_POSITION_MS,
    });
  });
}

async function panic() {
  const silent = $("silent-mode").checked;
  $("panic-confirmed").hidden = true;
  $("panic-status").textContent = msg("panic_sending");
  // Her position even while sharing is paused: she is asking for help. Never
  // more than a second's wait for it; the last known one otherwise.
  const fresh = await Promise.race([freshPosition(), sleep(FRESH_POSITION_MS).then(() => null)]);
  const recent =
    lastPosition && Date.now() - lastPosition.timestamp < LAST_POSITION_MAX_MS ? lastPosition : null;
  const position = fresh || recent;
  const messages = [];
  if (position) messages.push(fixMessage(position, currentBattery()));
  messages.push(signalMessage("sos", silent ? 1 : 0));
  const sent = await sendNow(messages);
  $("panic-status").textContent = msg(sent ? "panic_sent" : "panic_queued");
  if (!silent) vibrate(200);
}

// Sent by the centre once her SOS is stored as an alert: received, nothing more yet.
function onPanicReceived(data) {
  panicId = data.id;
  $("panic-status").textContent = "";
  const confirmed = $("panic-confirmed");
  confirmed.textContent = msg("status_received");
  confirmed.hidden = false;
  if (!$("silent-mode").checked) signal("confirm");
  refreshStatus();
}

function setupPanic() {
  const button = $("panic");
  button.addEventListener("pointerdown", startHold);
  for (const type of ["pointerup", "pointerleave", "pointercancel"]) {
    button.addEventListener(type, endHold);
  }
  button.addEventListener("keydown", startHold);
  button.addEventListener("keyup", endHold);
  button.addEventListener("contextmenu", (e) => e.preventDefault());
  $("silent-mode").addEventListener("change", () => kvSet("silent", $("silent-mode").checked));
}

// ---- Start

function showOrder(me) {
  $("order-end").textContent = formatDate(me.ends_at);
  if (me.centre_phone) $("call-centre").href = `tel:${me.centre_phone}`;
  if (me.police_phone) {
    $("call-police").href = `tel:${me.police_phone}`;
    $("call-police").querySelector("b").textContent = me.police_phone;
  }
}

async function main() {
  setupLanguage();
  const cred = await requireEnrolment("victim_app");
  if (!cred) return;
  unlockSound();
  setupPanic();
  $("silent-mode").checked = Boolean(await kvGet("silent"));
  $("warning-dismiss").addEventListener("click", dismissWarning);
  $("sharing-toggle").addEventListener("click", () => setSharing(!sharing));
  let offlineTimer = null;
  onLink((on) => {
    clearTimeout(offlineTimer);
    if (on) {
      notices.connection = false;
      showWarning();
      refreshStatus();
    } else {
      offlineTimer = setTimeout(() => {
        notices.connection = true;
        showWarning();
      }, OFFLINE_NOTICE_MS);
    }
  });
  await watchBattery(onBattery);
  startOutbox();
  const cached = await kvGet("me");
  if (cached) showOrder(cached);
  let me = null;
  try {
    const response = await call("/me");
    if (response.ok) {
      me = await response.json();
      await kvSet("me", me);
      showOrder(me);
    }
  } catch {
    // Offline: what was known last is shown.
  }
  // Opt-in: off until she turns it on in this app; the centre is told so.
  const stored = await kvGet("sharing");
  await setSharing(Boolean(stored), { tell: stored === undefined || Boolean(me && me.sharing) !== Boolean(stored) });
  startStream({ warning: onWarning, panic_received: onPanicReceived, status: onStatus });
  setInterval(() => enqueue(signalMessage("heartbeat")), HEARTBEAT_S * 1000);
  registerWorker(me && me.vapid_public_key);
}

main();

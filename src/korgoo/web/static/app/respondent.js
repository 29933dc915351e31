// The respondent's app: reports his position continuously with a heartbeat,
// tells the centre when monitoring is lost, shows the centre's instructions
// until he is clear, and takes identity check-ins. It never receives or shows
// where the protected person is, how far away or which way.

import {
  $,
  call,
  currentBattery,
  enqueue,
  fixMessage,
  formatDate,
  msg,
  onQueue,
  registerWorker,
  requireEnrolment,
  setupLanguage,
  signal,
  signalMessage,
  startOutbox,
  startStream,
  stopVibration,
  kvGet,
  kvSet,
  unlockSound,
  watchBattery,
} from "./common.js";

const HEARTBEAT_S = 60;
const IMPRECISE_M = 100;
const REPEAT_MS = 4000;
const CLEAR_SHOWN_MS = 6000;
const PHOTO_MAX_PX = 960;

let heartbeatS = HEARTBEAT_S;
let watchId = null;
let monitoring = "starting"; // starting | on | imprecise | blocked

function setStatus(state) {
  monitoring = state;
  $("status").dataset.state = state;
  const text = {
    starting: msg("monitoring_starting"),
    on: msg("monitoring_on"),
    imprecise: msg("position_imprecise"),
    blocked: msg("monitoring_blocked"),
  }[state];
  $("status-text").textContent = text;
  const allow = $("allow-location");
  allow.hidden = state !== "blocked";
  allow.textContent = msg("allow_location");
}

// ---- Location

function onPosition(position) {
  enqueue(fixMessage(position, currentBattery()));
  // The centre sees the accuracy radius of every fix; he sees why it matters.
  setStatus(position.coords.accuracy > IMPRECISE_M ? "imprecise" : "on");
}

function onPositionError(error) {
  if (error.code === error.PERMISSION_DENIED) {
    if (monitoring !== "blocked") enqueue(signalMessage("permission_revoked"));
    setStatus("blocked");
    stopWatching();
  }
  // Unavailable or timed out: the watch goes on; the heartbeat tells the centre
  // the app is alive while the fixes themselves are missing.
}

function stopWatching() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

function startWatching() {
  if (!("geolocation" in navigator)) {
    setStatus("blocked");
    return;
  }
  stopWatching();
  watchId = navigator.geolocation.watchPosition(onPosition, onPositionError, {
    enableHighAccuracy: true,
    maximumAge: 0,
    timeout: 30000,
  });
}

async function watchPermission() {
  if (!navigator.permissions) return;
  try {
    const status = await navigator.permissions.query({ name: "geolocation" });
    status.addEventListener("change", () => {
      if (status.state === "denied") {
        if (monitoring !== "blocked") enqueue(signalMessage("permission_revoked"));
        setStatus("blocked");
        stopWatching();
      } else if (status.state === "granted" && monitoring === "blocked") {
        setStatus("starting");
        startWatching();
      }
    });
  } catch {
    // Permissions API missing: the watch's errors still say so.
  }
}

function heartbeat() {
  const b = currentBattery();
  enqueue(signalMessage("heartbeat", b ? Math.round(b.level * 100) : undefined));
}

// A hidden page may stop reporting: the centre is told at once, not left to guess.
function watchVisibility() {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      enqueue(signalMessage("app_hidden"));
    } else {
      heartbeat();
      if (monitoring !== "blocked") startWatching();
    }
  });
}

// ---- His order

function conditionItem(label, value) {
  const li = document.createElement("li");
  const b = document.createElement("span");
  b.className = "condition-label";
  b.textContent = label;
  li.append(b, " ", value);
  return li;
}

function hhmm(minutes) {
  const h = Math.floor(minutes / 60) % 24;
  const m = minutes % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

function scheduleText(schedule) {
  if (!schedule || !schedule.length) return msg("always");
  const days = msg("days").split(" ");
  return schedule
    .map((w) => {
      const dayNames = (w.days || []).map((d) => days[d] || "").join(", ");
      return `${dayNames} ${hhmm(w.start_min)}–${hhmm(w.end_min)}`.trim();
    })
    .join("; ");
}

// His order as it was served: the separation it orders, its zones by name, the
// end date. Nothing here is live or depends on where anyone is.
function showOrder(me) {
  const conditions = me.conditions || {};
  $("order-number").textContent = me.order_number || "";
  $("order-end").textContent = formatDate(me.ends_at);
  const list = $("conditions");
  list.replaceChildren();
  if (conditions.keep_away_m) {
    list.append(
      conditionItem(msg("keep_away"), `${Math.round(conditions.keep_away_m)} ${msg("metres")}`),
    );
  }
  if (conditions.no_contact) {
    list.append(conditionItem(msg("no_contact"), msg("no_contact_body")));
  }
  for (const zone of conditions.zones || []) {
    const label = zone.kind === "inclusion" ? msg("stay_in") : msg("no_entry");
    const li = conditionItem(label, zone.name);
    const when = document.createElement("span");
    when.className = "condition-when";
    when.textContent = scheduleText(zone.schedule);
    li.append(when);
    list.append(li);
  }
  for (const link of [$("call-centre"), $("instruction-call")]) {
    link.href = `tel:${me.centre_phone || ""}`;
  }
  if (me.heartbeat_s) heartbeatS = me.heartbeat_s;
}

// ---- Instructions: full screen, sound and vibration until he is clear

let repeat = null;
let clearTimer = null;

function showInstruction(data) {
  const box = $("instruction");
  clearTimeout(clearTimer);
  if (data.code === "clear") {
    clearInterval(repeat);
    repeat = null;
    stopVibration();
    if (box.hidden) return;
    box.dataset.code = "clear";
    $("instruction-title").textContent = msg("clear");
    $("instruction-zone").hidden = true;
    $("instruction-body").textContent = "";
    signal("clear");
    clearTimer = setTimeout(() => {
      box.hidden = true;
      box.dataset.code = "";
    }, CLEAR_SHOWN_MS);
    return;
  }
  const zone = data.code === "leave_zone" && data.zone_name;
  const area = data.code === "leave_area";
  box.dataset.code = data.code;
  $("instruction-title").textContent = msg(
    zone ? "leave_zone_title" : area ? "leave_area_title" : "leave_now_title",
  );
  $("instruction-zone").hidden = !zone;
  $("instruction-zone").textContent = zone ? `${msg("leave_zone_body")} ${data.zone_name}` : "";
  $("instruction-body").textContent = msg(
    zone ? "leave_zone_more" : area ? "leave_area_body" : "leave_now_body",
  );
  box.hidden = false;
  if (!repeat) {
    signal("urgent");
    repeat = setInterval(() => signal("urgent"), REPEAT_MS);
  }
}

// ---- Identity check-in: a photo from the front camera before the due time

let checkin = null; // { id, dueMs, stream, blob, timer }

async function openCheckin(data) {
  const done = (await kvGet("checkins_done")) || [];
  if (done.includes(data.id) || (checkin && checkin.id === data.id)) return;
  const dueMs = typeof data.due_at === "number" ? data.due_at * 1000 : Date.parse(data.due_at);
  checkin = { id: data.id, dueMs, stream: null, blob: null, timer: null };
  $("checkin-title").textContent = msg("checkin_title");
  $("checkin-body").textContent = msg("checkin_body");
  $("checkin-message").textContent = "";
  $("checkin-preview").hidden = true;
  $("checkin-video").hidden = false;
  $("checkin-send").hidden = true;
  $("checkin-take").textContent = $("checkin-take").dataset.label || $("checkin-take").textContent;
  const dialog = $("checkin");
  if (!dialog.open) dialog.showModal();
  signal("prealert");
  tick();
  checkin.timer = setInterval(tick, 1000);
  try {
    checkin.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "user" },
      audio: false,
    });
    $("checkin-video").srcObject = checkin.stream;
  } catch {
    $("checkin-message").textContent = msg("camera_blocked");
  }
}

function tick() {
  if (!checkin) return;
  const left = Math.max(0, Math.round((checkin.dueMs - Date.now()) / 1000));
  $("checkin-countdown").textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  if (left === 0) $("checkin-message").textContent = msg("checkin_late");
}

function takePhoto() {
  const video = $("checkin-video");
  if (!checkin || !video.videoWidth) return;
  const scale = Math.min(1, PHOTO_MAX_PX / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  canvas.toBlob(
    (blob) => {
      checkin.blob = blob;
      const preview = $("checkin-preview");
      preview.src = URL.createObjectURL(blob);
      preview.hidden = false;
      video.hidden = true;
      $("checkin-send").hidden = false;
      $("checkin-take").textContent = msg("retake");
    },
    "image/jpeg",
    0.85,
  );
}

function retake() {
  $("checkin-preview").hidden = true;
  $("checkin-video").hidden = false;
  $("checkin-send").hidden = true;
  checkin.blob = null;
}

async function sendPhoto() {
  if (!checkin || !checkin.blob) return;
  const form = new FormData();
  form.append("photo", checkin.blob, "checkin.jpg");
  $("checkin-send").disabled = true;
  try {
    const response = await call(`/checkins/${encodeURIComponent(checkin.id)}`, {
      method: "POST",
      body: form,
    });
    if (!response.ok) throw new Error(String(response.status));
    const done = (await kvGet("checkins_done")) || [];
    await kvSet("checkins_done", [...done.slice(-20), checkin.id]);
    closeCheckin();
    $("status-text").textContent = msg("checkin_sent");
    signal("confirm");
  } catch {
    $("checkin-message").textContent = msg("checkin_failed");
  } finally {
    $("checkin-send").disabled = false;
  }
}

function closeCheckin() {
  if (!checkin) return;
  clearInterval(checkin.timer);
  if (checkin.stream) for (const track of checkin.stream.getTracks()) track.stop();
  checkin = null;
  $("checkin").close();
}

function setupCheckin() {
  const take = $("checkin-take");
  take.dataset.label = take.textContent;
  take.addEventListener("click", () => {
    if (checkin && checkin.blob) retake();
    else takePhoto();
    if (checkin && !checkin.blob) take.textContent = take.dataset.label;
  });
  $("checkin-send").addEventListener("click", sendPhoto);
  // Escape must not dismiss a check-in: it stays until sent.
  $("checkin").addEventListener("cancel", (e) => e.preventDefault());
}

// ---- Start

async function main() {
  setupLanguage();
  const cred = await requireEnrolment("respondent_app");
  if (!cred) return;
  unlockSound();
  setStatus("starting");
  onQueue((size) => {
    $("queue-size").textContent = String(size);
  });
  setupCheckin();
  $("allow-location").addEventListener("click", startWatching);
  await watchBattery();
  startOutbox();
  startWatching();
  watchPermission();
  watchVisibility();
  startStream({ instruction: showInstruction, checkin: openCheckin });
  let pushKey = null;
  const cached = await kvGet("me");
  if (cached) showOrder(cached);
  try {
    const response = await call("/me");
    if (response.ok) {
      const me = await response.json();
      await kvSet("me", me);
      showOrder(me);
      pushKey = me.vapid_public_key || null;
    }
  } catch {
    // Offline: the order is shown when the centre answers next time.
  }
  heartbeat();
  setInterval(heartbeat, heartbeatS * 1000);
  registerWorker(pushKey);
}

main();

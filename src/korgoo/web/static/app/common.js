// Shared machinery of the phone apps: words, the device's credential and outbox
// in IndexedDB, the app API, the live stream, sounds and vibration.

const labelBlock = document.getElementById("labels");
const L = labelBlock ? JSON.parse(labelBlock.textContent) : {};
export const LANG = document.body.dataset.lang || "ru";
export const TZ = document.body.dataset.timezone || "Asia/Bishkek";
const API = "/app/api/v1";
const BATCH = 200;
const RETRY_MS = 5000;

export function msg(code) {
  return L[code] || code;
}

export function $(id) {
  return document.getElementById(id);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- IndexedDB: "kv" (credential, settings) and "outbox" (messages not yet stored)

let dbPromise = null;

function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const open = indexedDB.open("korgoo-app", 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore("kv");
        open.result.createObjectStore("outbox", { autoIncrement: true });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }
  return dbPromise;
}

async function tx(store, mode, work) {
  const database = await db();
  return new Promise((resolve, reject) => {
    const t = database.transaction(store, mode);
    let result;
    Promise.resolve(work(t.objectStore(store))).then((r) => {
      result = r;
    });
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function kvGet(key) {
  return tx("kv", "readonly", (s) => request(s.get(key)));
}

export function kvSet(key, value) {
  return tx("kv", "readwrite", (s) => request(s.put(value, key)));
}

export function kvDelete(key) {
  return tx("kv", "readwrite", (s) => request(s.delete(key)));
}

// ---- Language switch: the same cookie as the console

export function setupLanguage() {
  const select = $("language");
  if (!select) return;
  select.addEventListener("change", () => {
    document.cookie = `korgoo_lang=${select.value}; path=/; max-age=31536000; samesite=strict`;
    const url = new URL(location.href);
    url.searchParams.delete("lang");
    location.replace(url.toString());
  });
}

// ---- Times

export function toMs(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return value * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function formatLang() {
  // Some browsers have no Kyrgyz date patterns: Russian ones read the same there.
  try {
    const probe = new Intl.DateTimeFormat(LANG, { month: "long" }).resolvedOptions().locale;
    return probe.startsWith(LANG) ? LANG : "ru";
  } catch {
    return "ru";
  }
}

export function formatDate(value) {
  const ms = toMs(value);
  if (ms === null) return "—";
  if (formatLang() === LANG) {
    return new Intl.DateTimeFormat(LANG, { dateStyle: "long", timeStyle: "short", timeZone: TZ }).format(new Date(ms));
  }
  // No patterns for the language here: the numbers from Intl, the words from our table.
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: TZ, year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
  );
  const dayMonth = msg(`month_${parts.month}`).replace("{day}", parts.day);
  return msg("date_long")
    .replace("{day_month}", dayMonth)
    .replace("{year}", parts.year)
    .replace("{time}", `${parts.hour}:${parts.minute}`);
}

// ---- The device's credential

let credential = null;
const revokedHandlers = [];

export async function loadCredential() {
  credential = (await kvGet("credential")) || null;
  return credential;
}

export function onRevoked(handler) {
  revokedHandlers.push(handler);
}

async function revoked() {
  await kvDelete("credential");
  credential = null;
  stopped = true;
  const ended = await kvGet("order_end");
  if (ended) showOrderEnd(ended);
  else showEnrolmentMissing("revoked");
  for (const handler of revokedHandlers) handler();
}

// ---- The end of the order: "ended on <date>" or "revoked on <date>", kept so
// that the phone still says it after its credential is taken back. It says the
// order's own end and nothing else.

export function orderEndText(end) {
  const words = msg(end.status === "revoked" ? "order_revoked" : "order_ended");
  return words.replace("{date}", formatDate(end.at));
}

function showOrderEnd(end) {
  $("main").hidden = true;
  $("enrolment-missing").hidden = true;
  $("order-over-text").textContent = orderEndText(end);
  $("order-over").hidden = false;
}

export async function orderEnded(data) {
  const end = { status: data.status === "revoked" ? "revoked" : "ended", at: data.at };
  await kvSet("order_end", end);
  showOrderEnd(end);
  signal("technical");
}

// A refused credential whose order ended says which and when (the header
// Korgoo-Order-End: "<status> <time>"), for a phone that missed the message.
async function orderEndOf(response) {
  const header = response.headers.get("Korgoo-Order-End");
  if (!header) return;
  const [status, at] = header.split(" ");
  await kvSet("order_end", { status: status === "revoked" ? "revoked" : "ended", at });
}

export function showEnrolmentMissing(code) {
  $("main").hidden = true;
  $("enrolment-missing-text").textContent = msg(code);
  $("enrolment-missing").hidden = false;
}

// Pages for the other kind of app send the phone to its own page.
export async function requireEnrolment(kind) {
  const cred = await loadCredential();
  if (!cred) {
    const ended = await kvGet("order_end");
    if (ended) showOrderEnd(ended);
    else showEnrolmentMissing("not_enrolled");
    return null;
  }
  if (cred.kind !== kind) {
    location.replace(cred.kind === "victim_app" ? "/app/victim" : "/app/respondent");
    return null;
  }
  return cred;
}

function authorization() {
  return `Device ${credential.device_id}:${credential.secret}`;
}

let stopped = false;

// Calls the app API with the device's credential; a 401 means the phone was unenrolled.
export async function call(path, { method = "GET", json, body, keepalive = false } = {}) {
  const headers = {
    Authorization: authorization(),
    Accept: "application/json",
    "Accept-Language": document.documentElement.lang,
  };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method,
    headers,
    body: json !== undefined ? JSON.stringify(json) : body,
    cache: "no-store",
    keepalive,
  });
  if (response.status === 401) {
    await orderEndOf(response);
    await revoked();
    throw new Error("revoked");
  }
  return response;
}

// ---- Link state shown in the app bar

let online = null;
const linkHandlers = [];

export function onLink(handler) {
  linkHandlers.push(handler);
}

function setLink(reached) {
  // An answer that was on its way when the phone lost its network does not
  // make it "connected": the browser's own word that it is offline stands.
  const state = reached && navigator.onLine !== false;
  if (state === online) return;
  online = state;
  const chip = $("link");
  chip.dataset.state = state ? "on" : "off";
  document.body.dataset.link = state ? "on" : "off";
  chip.textContent = msg(state ? "link_on" : "link_off");
  for (const handler of linkHandlers) handler(state);
}

// ---- Outbox: every fix and signal is queued first, with its device time, and
// removed only when the centre answered for it (stored, duplicate or refused).

let counter = 0;

export function messageId(prefix) {
  counter += 1;
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `${prefix}${Date.now().toString(36)}-${random}-${counter}`;
}

export function fixMessage(position, battery) {
  const c = position.coords;
  const message = {
    id: messageId("f"),
    type: "fix",
    t: position.timestamp / 1000,
    lat: c.latitude,
    lon: c.longitude,
    // The batch schema needs a positive radius; a browser reporting 0 means "exact".
    acc: Math.max(1, c.accuracy || 1),
  };
  if (Number.isFinite(c.speed) && c.speed >= 0) message.speed = c.speed;
  if (Number.isFinite(c.heading) && c.heading >= 0 && c.heading <= 360) message.heading = c.heading;
  if (battery) {
    message.battery = Math.round(battery.level * 100);
    message.charging = battery.charging;
  }
  return message;
}

export function signalMessage(kind, value) {
  const message = { id: messageId("s"), type: "signal", t: Date.now() / 1000, kind };
  if (value !== undefined && value !== null) message.value = value;
  return message;
}

const queueHandlers = [];

export function onQueue(handler) {
  queueHandlers.push(handler);
}

async function queueChanged() {
  const size = await tx("outbox", "readonly", (s) => request(s.count()));
  for (const handler of queueHandlers) handler(size);
}

export async function enqueue(...messages) {
  await tx("outbox", "readwrite", (s) => {
    for (const m of messages) s.add(m);
  });
  await queueChanged();
  flush();
}

export async function clearOutbox() {
  await tx("outbox", "readwrite", (s) => request(s.clear()));
}

async function peek(limit) {
  return tx("outbox", "readonly", (s) =>
    Promise.all([request(s.getAllKeys(null, limit)), request(s.getAll(null, limit))]),
  );
}

let flushing = null;
let again = false;

// Sends the queue in order, oldest first, a batch at a time; one run at a time,
// and one more after it when messages were queued meanwhile.
export function flush() {
  if (flushing) {
    again = true;
    return flushing;
  }
  flushing = sendQueued().finally(() => {
    flushing = null;
    if (again) {
      again = false;
      flush();
    }
  });
  return flushing;
}

async function sendQueued() {
  while (credential && !stopped) {
    const [keys, messages] = await peek(BATCH);
    if (!keys.length) break;
    let response;
    try {
      response = await call("/messages", { method: "POST", json: { messages } });
    } catch {
      setLink(false);
      break;
    }
    if (!response.ok) {
      setLink(false);
      break;
    }
    setLink(true);
    const answer = await response.json();
    const results = (answer && answer.results) || [];
    const answered = new Set(results.map((r) => String(r.id)));
    const done = keys.filter((_, i) => answered.has(String(messages[i].id)));
    if (!done.length) break;
    await tx("outbox", "readwrite", (s) => {
      for (const key of done) s.delete(key);
    });
  }
  await queueChanged();
}

// Sends at once (an SOS must not wait behind the queue); queued if it cannot go now.
export async function sendNow(messages) {
  try {
    const response = await call("/messages", { method: "POST", json: { messages } });
    if (response.ok) {
      setLink(true);
      const answer = await response.json();
      const results = (answer && answer.results) || [];
      return results.length > 0 && results.every((r) => r.status !== "rejected");
    }
  } catch {
    // queued below
  }
  setLink(false);
  await enqueue(...messages);
  return false;
}

export function startOutbox() {
  window.addEventListener("online", () => flush());
  // Show at once that nothing reaches the centre, not at the next failed send.
  window.addEventListener("offline", () => setLink(false));
  setInterval(() => flush(), RETRY_MS);
  queueChanged();
  flush();
}

// ---- Live stream: server-sent events read with fetch (EventSource cannot send
// the Authorization header). Each message with an id gets a delivery receipt.

const receipted = new Set();

export async function receipt(id) {
  if (!id || receipted.has(id)) return;
  receipted.add(id);
  try {
    const response = await call("/receipts", { method: "POST", json: { id } });
    if (!response.ok) receipted.delete(id);
  } catch {
    receipted.delete(id);
  }
}

function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length && event === "message") return null;
  let payload = {};
  try {
    payload = data.length ? JSON.parse(data.join("\n")) : {};
  } catch {
    payload = {};
  }
  return { event, data: payload };
}

export function startStream(handlers) {
  const dispatch = ({ event, data }) => {
    if (event === "revoked") {
      revoked();
      return;
    }
    if (event === "order_ended") {
      orderEnded(data);
      if (data && data.id) receipt(data.id);
      return;
    }
    const handler = handlers[event];
    if (handler) {
      handler(data);
      if (data && data.id) receipt(data.id);
    }
  };
  // Web Push reaches the service worker, which hands it to the open page.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (e) => {
      if (e.data && e.data.event) dispatch(e.data);
    });
  }
  (async () => {
    let wait = 1000;
    while (!stopped) {
      try {
        const response = await call("/stream", { method: "GET" });
        if (!response.ok || !response.body) throw new Error(String(response.status));
        setLink(true);
        wait = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const blocks = buffer.split(/\r?\n\r?\n/);
          buffer = blocks.pop();
          for (const block of blocks) {
            const parsed = parseEvent(block);
            if (parsed) dispatch(parsed);
          }
        }
      } catch {
        // reconnect below
      }
      if (stopped) break;
      setLink(false);
      await sleep(wait);
      wait = Math.min(wait * 2, 15000);
    }
  })();
}

// ---- Service worker (offline shell, Web Push)

export async function registerWorker(pushKey) {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" });
    await kvSet("labels", L);
  } catch {
    return;
  }
  if (!pushKey || !("PushManager" in window) || !("Notification" in window)) return;
  if (Notification.permission === "granted") {
    subscribe(pushKey);
  } else if (Notification.permission === "default") {
    // Asked on the first touch: browsers ignore a request nobody asked for.
    const ask = () => {
      Notification.requestPermission().then((answer) => {
        if (answer === "granted") subscribe(pushKey);
      });
    };
    window.addEventListener("pointerdown", ask, { once: true, capture: true });
  }
}

async function subscribe(pushKey) {
  try {
    const ready = await navigator.serviceWorker.ready;
    const subscription =
      (await ready.pushManager.getSubscription()) ||
      (await ready.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64UrlBytes(pushKey),
      }));
    await call("/push-subscription", { method: "POST", json: subscription.toJSON() });
  } catch {
    // No push where the phone refuses it: the live stream and the receipt
    // timeout (an alert to the operator) still cover delivery.
  }
}

function base64UrlBytes(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
}

// ---- Battery, where the browser can tell

let battery = null;

export async function watchBattery(onChange) {
  if (!navigator.getBattery) return null;
  try {
    battery = await navigator.getBattery();
    battery.addEventListener("levelchange", () => onChange && onChange(battery));
    battery.addEventListener("chargingchange", () => onChange && onChange(battery));
    if (onChange) onChange(battery);
  } catch {
    battery = null;
  }
  return battery;
}

export function currentBattery() {
  return battery;
}

// ---- Sounds (Web Audio, no files) and vibration; each pattern its own

let audio = null;

function context() {
  if (!audio) {
    const Ctor = window.AudioContext || window.webkitAudioContext;
    if (!Ctor) return null;
    audio = new Ctor();
  }
  return audio;
}

// Browsers start sound only after a touch: resume on the first one.
export function unlockSound() {
  const resume = () => {
    const ctx = context();
    if (ctx && ctx.state !== "running") ctx.resume().catch(() => {});
  };
  for (const type of ["pointerdown", "keydown", "touchstart"]) {
    window.addEventListener(type, resume, { capture: true, passive: true });
  }
}

function tone(ctx, freq, start, duration, type = "sine", gain = 0.25) {
  const osc = ctx.createOscillator();
  const amp = ctx.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  const t0 = ctx.currentTime + start;
  amp.gain.setValueAtTime(0.0001, t0);
  amp.gain.exponentialRampToValueAtTime(gain, t0 + 0.02);
  amp.gain.exponentialRampToValueAtTime(0.0001, t0 + duration);
  osc.connect(amp).connect(ctx.destination);
  osc.start(t0);
  osc.stop(t0 + duration + 0.05);
}

const SOUNDS = {
  // Urgent, repeating: the respondent's instruction and her alert.
  urgent: (ctx) => {
    for (let i = 0; i < 6; i += 1) tone(ctx, i % 2 ? 740 : 988, i * 0.2, 0.17, "square", 0.2);
  },
  // Two calm tones: pre-alert.
  prealert: (ctx) => {
    tone(ctx, 660, 0, 0.3, "triangle");
    tone(ctx, 660, 0.45, 0.3, "triangle");
  },
  // Rising, soft: all clear.
  clear: (ctx) => {
    [523, 659, 784].forEach((f, i) => tone(ctx, f, i * 0.18, 0.25, "sine", 0.18));
  },
  // One low tone: a technical notice.
  technical: (ctx) => tone(ctx, 392, 0, 0.35, "sine", 0.12),
  // Short confirmation: the centre received her SOS / the photo was sent.
  confirm: (ctx) => {
    tone(ctx, 880, 0, 0.12, "sine", 0.15);
    tone(ctx, 1175, 0.14, 0.18, "sine", 0.15);
  },
};

export const VIBRATIONS = {
  urgent: [700, 200, 700, 200, 700],
  prealert: [300, 300, 300],
  clear: [120],
  technical: [60],
  confirm: [80, 80, 80],
};

// Phones refuse vibration until the person has touched the page once.
export function vibrate(pattern) {
  const touched = !navigator.userActivation || navigator.userActivation.hasBeenActive;
  if (navigator.vibrate && touched) navigator.vibrate(pattern);
}

export function signal(pattern) {
  const ctx = context();
  if (ctx && ctx.state === "running" && SOUNDS[pattern]) SOUNDS[pattern](ctx);
  if (VIBRATIONS[pattern]) vibrate(VIBRATIONS[pattern]);
}

export function stopVibration() {
  vibrate(0);
}

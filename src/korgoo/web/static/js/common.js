// Shared helpers of the console pages: the JSON API, labels, local time in Bishkek.

const labelBlock = document.getElementById("labels");
export const L = labelBlock ? JSON.parse(labelBlock.textContent) : {};
export const LANG = document.body.dataset.lang || "ru";
export const TZ = document.body.dataset.timezone || "Asia/Bishkek";
export const PERMISSIONS = new Set((document.body.dataset.permissions || "").split(" ").filter(Boolean));
export const PRIORITIES = ["P1", "P2", "P3", "P4"];

export function t(group, code) {
  return (L[group] && L[group][code]) || code;
}

export function msg(code) {
  return t("messages", code);
}

// A number with its unit in the page's language: unit(150, "m") -> "150 м".
export function unit(n, code) {
  return t("units", code).replace("{n}", n);
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// Calls /api/v1 with the session cookie and the CSRF header; throws ApiError with
// the server's readable `detail` when the answer is not OK.
export async function api(path, { method = "GET", body, query } = {}) {
  let url = "/api/v1" + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") params.set(k, v);
    }
    const qs = params.toString();
    if (qs) url += "?" + qs;
  }
  // The page's language: the server says what is wrong with a request in it.
  const headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && !location.pathname.startsWith("/login")) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
    throw new ApiError(401, "");
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const detail = data && data.detail;
    throw new ApiError(response.status, typeof detail === "string" ? detail : response.statusText);
  }
  return data;
}

// A list from an answer that is either the list itself or wraps it under `key`.
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

// Milliseconds since the epoch from an ISO string or float seconds.
export function toMs(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return value * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

// Russian patterns where the browser has none for the language (Kyrgyz in some builds).
const LOCALES = [LANG, "ru"];
const dateTimeFormat = new Intl.DateTimeFormat(LOCALES, {
  timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});
const timeFormat = new Intl.DateTimeFormat(LOCALES, {
  timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});
const dayFormat = new Intl.DateTimeFormat(LOCALES, { timeZone: TZ, day: "2-digit", month: "2-digit" });

export function fmtDateTime(value) {
  const ms = toMs(value);
  return ms === null ? "—" : dateTimeFormat.format(ms);
}

// Time only when it is today in Bishkek, else day and time.
export function fmtWhen(value) {
  const ms = toMs(value);
  if (ms === null) return "—";
  const today = dayFormat.format(Date.now()) === dayFormat.format(ms);
  return today ? timeFormat.format(ms) : dayFormat.format(ms) + " " + timeFormat.format(ms);
}

export function fmtClock(ms) {
  return timeFormat.format(ms);
}

export function fmtDuration(seconds) {
  const s = Math.max(0, Math.floor(Math.abs(seconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  if (h > 0) return `${h}:${String(m).padStart(2, "0")}:${sec}`;
  return `${m}:${sec}`;
}

// Minutes of Bishkek local time <-> UTC for <input type="datetime-local">.
function zoneOffsetMs(ms) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: TZ, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(ms).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

export function toLocalInput(ms) {
  return new Date(ms + zoneOffsetMs(ms)).toISOString().slice(0, 16);
}

export function fromLocalInput(value) {
  const naive = Date.parse(value + ":00Z");
  return naive - zoneOffsetMs(naive);
}

export function alertStatus(alert) {
  if (alert.resolved) return [["resolved", msg("resolved")]];
  return [
    alert.active ? ["active", msg("active")] : ["normal", msg("normal")],
    alert.acked ? ["acked", msg("acked")] : ["unacked", msg("unacked")],
  ];
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function prioBadge(priority) {
  return el("span", { class: `prio prio-${priority}` }, priority || "—");
}

export function statusPills(alert) {
  const pills = alertStatus(alert).map(([code, text]) => el("span", { class: `pill pill-${code}` }, text));
  if (alert.late) pills.push(el("span", { class: "pill pill-late", title: msg("late_help") }, msg("late")));
  return pills;
}

// A late episode: when it happened and when the centre learnt of it.
export function lateTimes(alert, format = fmtWhen) {
  if (!alert.late) return null;
  return el(
    "span",
    { class: "late-times", title: msg("late_help") },
    `${msg("happened")} `, el("b", {}, format(alert.occurred_at)),
    ` · ${msg("became_known")} `, el("b", {}, format(alert.opened_at)),
  );
}

export function alertHref(key) {
  return "/alerts/" + encodeURIComponent(key);
}

// A recorded position: the API's {t, lat, lon, acc} or the engine's [t, lat, lon, acc].
export function fixOf(value) {
  if (Array.isArray(value) && value.length >= 4) {
    return { at: value[0], lat: value[1], lon: value[2], accuracy: value[3] };
  }
  if (value && typeof value === "object" && typeof value.lat === "number") {
    return { at: value.t ?? value.at, lat: value.lat, lon: value.lon, accuracy: value.acc ?? value.accuracy_m ?? 0 };
  }
  return null;
}

// A track fix with `at` and `accuracy_m`, whichever names the API used.
export function trackFix(f) {
  return { ...f, at: f.t ?? f.at, accuracy_m: f.acc ?? f.accuracy_m ?? 0 };
}

// The SLA cell: counts down to `sla_due` until acknowledged, then shows it was met.
export function slaText(alert, now) {
  if (alert.resolved || alert.acked) return { text: `✓ ${msg("acked")}`, cls: "met" };
  // Shown, not paged (a possible breach): no one is due to acknowledge it.
  if (alert.pages === false) return { text: msg("possible_not_paged"), cls: "pill pill-possible" };
  const due = toMs(alert.ack_due_at ?? alert.sla_due);
  if (due === null) return { text: "—", cls: "" };
  const left = (due - now) / 1000;
  if (left < 0) return { text: `+${fmtDuration(left)} ${msg("overdue")}`, cls: "overdue" };
  return { text: fmtDuration(left), cls: left < 60 ? "soon" : "" };
}

export function toast(text) {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = text;
  box.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("show"), 3000);
}

// Native <dialog>: Escape closes it, [data-close] buttons cancel, focus returns.
export function setupDialog(dialog, onSubmit) {
  const form = dialog.querySelector("form");
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      await onSubmit();
      dialog.close();
      form.reset();
    } catch (error) {
      const out = form.querySelector(".form-error");
      if (out) out.textContent = error.message;
    } finally {
      submit.disabled = false;
    }
  });
  if (!form.querySelector(".form-error")) {
    // The error must show inside the modal dialog, not behind it.
    const out = document.createElement("p");
    out.className = "form-error";
    out.setAttribute("role", "alert");
    const buttons = form.querySelector(".dialog-buttons");
    if (buttons) buttons.before(out);
    else form.append(out);
  }
  return () => {
    const out = form.querySelector(".form-error");
    if (out) out.textContent = "";
    dialog.showModal();
  };
}

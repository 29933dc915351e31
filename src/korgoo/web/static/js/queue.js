// The alert queue: open alerts by priority, state then age, live over SSE, keyboard driven.
import {
  alertHref, api, el, fmtDuration, fmtWhen, fromLocalInput, lateTimes, listOf, msg, PRIORITIES, prioBadge,
  slaText, statusPills, t, toast, toMs,
} from "./common.js";
import { on, startShell } from "./shell.js";

const table = document.getElementById("alert-queue");
const body = table.querySelector("tbody");
const empty = document.getElementById("queue-empty");
const statusSelect = document.getElementById("queue-status");
const counts = document.getElementById("queue-counts");
const alerts = new Map();

const filterForm = document.getElementById("queue-filters");
const FILTERS = ["priority", "rule", "district", "order", "person", "since", "until"];

// The filters as the API takes them (times from Bishkek local to ISO).
function filters() {
  const out = {};
  for (const name of FILTERS) {
    const value = filterForm.elements[name].value.trim();
    if (!value) continue;
    out[name] = name === "since" || name === "until" ? new Date(fromLocalInput(value)).toISOString() : value;
  }
  return out;
}

// Order and person are searched by the server: with either, a live change reloads.
function serverOnly() {
  const f = filters();
  return Boolean(f.order || f.person);
}

function matches(alert) {
  const f = filters();
  if (f.priority && alert.priority !== f.priority) return false;
  if (f.rule && alert.rule !== f.rule) return false;
  if (f.district && alert.district !== f.district) return false;
  if (f.since && toMs(alert.opened_at) < Date.parse(f.since)) return false;
  if (f.until && toMs(alert.opened_at) >= Date.parse(f.until)) return false;
  const status = statusSelect.value;
  if (status === "resolved") return alert.resolved;
  if (alert.resolved) return false;
  if (status === "unacknowledged") return !alert.acked;
  if (status === "active") return alert.active;
  return true;
}

// As the server's queue order (alerts/book.py queue_order): priority, active
// before returned to normal, unacknowledged before acknowledged, oldest first.
function order(a, b) {
  const byPriority = PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority);
  if (byPriority !== 0) return byPriority;
  if (statusSelect.value === "resolved") return toMs(b.resolved_at) - toMs(a.resolved_at);
  if (a.active !== b.active) return a.active ? -1 : 1;
  if (a.acked !== b.acked) return a.acked ? 1 : -1;
  return toMs(a.opened_at) - toMs(b.opened_at);
}

function row(alert) {
  return el(
    "tr",
    {
      class: "alert-row",
      tabindex: "-1",
      dataset: { key: alert.alert_key, priority: alert.priority },
      "aria-selected": "false",
    },
    el("td", {}, prioBadge(alert.priority)),
    el(
      "td",
      {},
      el("a", { href: alertHref(alert.alert_key), class: "rule-label", tabindex: "-1" }, t("rules", alert.rule)),
      alert.confidence ? el("div", { class: "sub" }, t("confidence", alert.confidence)) : null,
      alert.late ? el("div", { class: "sub" }, lateTimes(alert)) : null,
    ),
    el("td", { class: "num" }, alert.order_number || alert.order_id),
    el("td", {}, alert.district ? t("districts", alert.district) : "—"),
    el("td", { class: "num" }, fmtWhen(alert.opened_at)),
    el("td", { class: "num age" }),
    el("td", {}, el("span", { class: "sla-countdown" })),
    el("td", {}, statusPills(alert)),
  );
}

function tick() {
  const now = Date.now();
  for (const tr of body.rows) {
    const alert = alerts.get(tr.dataset.key);
    if (!alert) continue;
    tr.querySelector(".age").textContent = fmtDuration((now - toMs(alert.opened_at)) / 1000);
    const sla = slaText(alert, now);
    const cell = tr.querySelector(".sla-countdown");
    cell.textContent = sla.text;
    cell.className = `sla-countdown ${sla.cls}`;
  }
}

function renderCounts(shown) {
  const by = Object.fromEntries(PRIORITIES.map((p) => [p, 0]));
  for (const a of shown) by[a.priority] += 1;
  counts.replaceChildren(
    ...PRIORITIES.map((p) => el("span", { class: "count-badge" }, prioBadge(p), String(by[p]))),
  );
}

function render(freshKey) {
  const focusedKey = document.activeElement?.closest?.(".alert-row")?.dataset.key;
  const shown = [...alerts.values()].filter(matches).sort(order);
  body.replaceChildren(...shown.map(row));
  empty.hidden = shown.length > 0;
  renderCounts(shown);
  tick();
  const fresh = freshKey && body.querySelector(`tr[data-key="${CSS.escape(freshKey)}"]`);
  if (fresh) fresh.classList.add("fresh");
  select(focusedKey ? body.querySelector(`tr[data-key="${CSS.escape(focusedKey)}"]`) : null, !!focusedKey);
}

function select(tr, focus) {
  const current = body.querySelector('tr[aria-selected="true"]');
  if (current) {
    current.setAttribute("aria-selected", "false");
    current.tabIndex = -1;
  }
  const target = tr || body.rows[0];
  if (!target) return;
  target.setAttribute("aria-selected", "true");
  target.tabIndex = 0;
  if (focus) target.focus();
}

function move(step) {
  const rows = [...body.rows];
  const index = rows.findIndex((r) => r.getAttribute("aria-selected") === "true");
  const next = rows[Math.min(rows.length - 1, Math.max(0, index + step))];
  select(next, true);
}

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea, dialog") || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "j" || event.key === "ArrowDown") {
    event.preventDefault();
    move(1);
  } else if (event.key === "k" || event.key === "ArrowUp") {
    event.preventDefault();
    move(-1);
  } else if (event.key === "Enter" && event.target.closest(".alert-row")) {
    event.preventDefault();
    location.assign(alertHref(event.target.closest(".alert-row").dataset.key));
  }
});

body.addEventListener("click", (event) => {
  const tr = event.target.closest(".alert-row");
  if (tr && !event.target.closest("a")) location.assign(alertHref(tr.dataset.key));
});

async function load() {
  try {
    const status = statusSelect.value;
    const data = await api("/alerts", { query: { status, ...filters() } });
    alerts.clear();
    for (const a of listOf(data, "alerts")) alerts.set(a.alert_key, a);
    render();
    // The filters stay in the address: a reload or a link shows the same queue.
    const params = new URLSearchParams({ ...Object.fromEntries(FILTERS.map((n) => [n, filterForm.elements[n].value.trim()]).filter(([, v]) => v)) });
    if (status !== "open") params.set("status", status);
    history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
  } catch (error) {
    toast(error.message || msg("load_failed"));
    setTimeout(load, 5000);
  }
}

statusSelect.addEventListener("change", load);
filterForm.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
filterForm.addEventListener("reset", () => setTimeout(load, 0));
for (const select of filterForm.querySelectorAll("select")) select.addEventListener("change", load);

let reloading = null;
on("alert", (alert) => {
  if (serverOnly()) {
    clearTimeout(reloading);
    reloading = setTimeout(load, 300);
    return;
  }
  const isNew = !alerts.has(alert.alert_key);
  alerts.set(alert.alert_key, alert);
  render(isNew ? alert.alert_key : null);
});

const given = new URLSearchParams(location.search);
for (const name of FILTERS) {
  if (given.has(name)) filterForm.elements[name].value = given.get(name);
}
if (given.has("status")) statusSelect.value = given.get("status");

setInterval(tick, 1000);
startShell();
load();

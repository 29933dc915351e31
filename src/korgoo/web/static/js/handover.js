// The shift handover: open alerts with their last action, orders to watch,
// devices to fix and the notes for the next shift; refreshed every 30 seconds.
import { alertHref, api, el, fmtWhen, msg, prioBadge, statusPills, t, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 30_000;

function rows(table, items, columns, empty) {
  const count = columns.length;
  $(table).tBodies[0].replaceChildren(
    ...(items.length
      ? items.map((item) => el("tr", {}, ...columns.map((cell) => el("td", {}, cell(item)))))
      : [el("tr", {}, el("td", { colspan: String(count), class: "empty" }, empty))]),
  );
}

// "Call logged · operator · 14:02 — no answer (protected person)".
function lastAction(action) {
  if (!action) return el("span", { class: "sub warn" }, msg("no_action_yet"));
  const d = action.details || {};
  const said = [
    d.stage && t("stages", d.stage),
    d.outcome && t("call_outcomes", d.outcome),
    d.party && t("parties", d.party),
    d.note,
    d.reason,
  ].filter(Boolean).join(" · ");
  return el(
    "div", {},
    el("b", {}, t("transitions", action.kind)),
    ` · ${t("actors", action.actor)} · ${fmtWhen(action.at)}`,
    said ? el("div", { class: "sub" }, said) : "",
  );
}

function draw(data) {
  $("handover-at").textContent = fmtWhen(data.at);
  $("count-alerts").textContent = data.alerts.length;
  $("count-orders").textContent = data.orders.length;
  $("count-devices").textContent = data.devices.length;
  rows("handover-alerts", data.alerts, [
    (a) => prioBadge(a.priority),
    (a) => el("a", { href: alertHref(a.alert_key) }, t("rules", a.rule)),
    (a) => el("a", { href: `/cases/${encodeURIComponent(a.order_id)}` }, a.order_number || a.order_id),
    (a) => fmtWhen(a.opened_at),
    (a) => el("span", {}, ...statusPills(a)),
    (a) => lastAction(a.last_action),
  ], msg("no_alerts"));
  rows("handover-orders", data.orders, [
    (o) => el("a", { href: `/cases/${encodeURIComponent(o.order_id)}` }, o.order_number),
    (o) => t("districts", o.district),
    (o) => el("span", { class: `state-pill state-${o.state}` }, t("states", o.state)),
    (o) => (o.last_fix_at ? fmtWhen(o.last_fix_at) : "—"),
  ], msg("nothing_to_watch"));
  rows("handover-devices", data.devices, [
    (d) => el("a", { href: `/devices?q=${encodeURIComponent(d.device_id)}`, class: "mono" }, d.device_id),
    (d) => t("device_kinds", d.kind),
    (d) => msg(`problem_${d.problem}`) + (d.battery !== null && d.problem === "low_battery" ? ` (${Math.round(d.battery)} %)` : ""),
    (d) => (d.last_contact ? fmtWhen(d.last_contact) : "—"),
  ], msg("no_devices_to_fix"));
  $("handover-notes").replaceChildren(
    ...(data.notes.length
      ? data.notes.map((n) =>
        el("li", {},
          el("span", { class: "sub" }, `${fmtWhen(n.at)} · ${n.username}${n.district ? " · " + t("districts", n.district) : ""}`),
          n.text))
      : [el("li", { class: "empty" }, msg("no_notes"))]),
  );
  document.querySelector("main").dataset.loaded = "1";
}

async function load() {
  try {
    draw(await api("/handover"));
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

const form = $("note-form");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("note-text").value.trim();
    if (!text) return;
    try {
      await api("/handover/notes", { method: "POST", body: { text } });
      $("note-text").value = "";
      toast(msg("note_saved"));
      await load();
    } catch (error) {
      toast(error.message || msg("load_failed"));
    }
  });
}
$("handover-print").addEventListener("click", () => window.print());
startShell();
load();
setInterval(load, REFRESH_MS);

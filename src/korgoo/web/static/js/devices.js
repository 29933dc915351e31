// Devices: enrolled ones with wearer, last contact and battery; unknown devices
// awaiting enrolment; assignment to a person.
import { api, el, fmtWhen, listOf, msg, PERMISSIONS, setupDialog, t, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
let persons = new Map();
let enrolTarget = null;
let assignTarget = null;

function battery(value) {
  if (value === null || value === undefined) return "—";
  const pct = Math.round(value);
  const cls = pct <= 10 ? "critical" : pct <= 20 ? "low" : "";
  return el("span", { class: "battery" },
    el("span", { class: "battery-bar", "aria-hidden": "true" }, el("span", { class: `battery-fill ${cls}`, style: `width:${pct}%` })),
    `${pct} %`);
}

function personName(id) {
  if (!id) return el("span", { class: "sub" }, msg("unassigned"));
  const p = persons.get(id);
  return p ? `${p.display_name} (${t("parties", p.role)})` : id;
}

const filterForm = $("device-filters");
const FILTERS = ["q", "kind", "state", "contact"];

function filters() {
  return Object.fromEntries(FILTERS.map((n) => [n, filterForm.elements[n].value.trim()]).filter(([, v]) => v));
}

// A device silent longer than its kind's no-signal threshold is marked, and its row stands out.
function lastContact(d) {
  const when = d.last_contact ? fmtWhen(d.last_contact) : msg("never");
  if (!d.stale) return when;
  return el("span", {}, when, " ", el("span", { class: "pill pill-late" }, msg("stale")));
}

async function loadDevices() {
  const query = filters();
  const devices = listOf(await api("/devices", { query }), "devices");
  const params = new URLSearchParams(query).toString();
  history.replaceState(null, "", params ? `?${params}` : location.pathname);
  $("devices").tBodies[0].replaceChildren(
    ...(devices.length
      ? devices.map((d) =>
        el("tr", { class: d.stale ? "stale" : null, dataset: { device: d.id } },
          el("td", { class: "mono" }, d.id ?? d.device_id),
          el("td", {}, t("device_kinds", d.kind)),
          el("td", {}, d.model || "—"),
          el("td", {}, personName(d.person_id)),
          el("td", { class: "num" }, lastContact(d)),
          el("td", {}, battery(d.battery)),
          el("td", {}, !PERMISSIONS.has("devices.write") ? "—" : d.person_id
            ? el("button", { type: "button", class: "btn btn-small", onclick: () => unassign(d) }, msg("unassign"))
            : el("button", { type: "button", class: "btn btn-small", onclick: () => openAssign(d) }, msg("assign")))))
      : [el("tr", {}, el("td", { colspan: "7" }, msg("no_devices")))]),
  );
}

async function loadUnknown() {
  const unknown = listOf(await api("/devices/unknown"), "devices");
  $("unknown-devices").tBodies[0].replaceChildren(
    ...(unknown.length
      ? unknown.map((u) =>
        el("tr", {},
          el("td", {}, u.protocol),
          el("td", { class: "mono" }, u.ident),
          el("td", { class: "num" }, fmtWhen(u.first_seen)),
          el("td", { class: "num" }, fmtWhen(u.last_seen)),
          el("td", { class: "num" }, u.count),
          el("td", {}, !PERMISSIONS.has("devices.write") ? "—" : el("button", {
            type: "button", class: "btn btn-small btn-primary", onclick: () => openEnrol(u),
            "aria-label": `${msg("enrol")} ${u.protocol} ${u.ident}`,
          }, msg("enrol")))))
      : [el("tr", {}, el("td", { colspan: "6" }, msg("no_unknown")))]),
  );
}

const showEnrol = setupDialog($("enrol-dialog"), async () => {
  const { protocol, ident } = enrolTarget;
  await api(`/devices/unknown/${encodeURIComponent(protocol)}/${encodeURIComponent(ident)}/enrol`, {
    method: "POST", body: { kind: $("enrol-kind").value },
  });
  toast(msg("enrolled"));
  await Promise.all([loadDevices(), loadUnknown()]);
});

function openEnrol(unknown) {
  enrolTarget = unknown;
  $("enrol-ident").textContent = `${unknown.protocol} · ${unknown.ident}`;
  showEnrol();
}

// Why the wearer changes, for the device's and the order's record.
function reasonOf(id) {
  const reason = $(id).value.trim();
  if (!reason) {
    $(id).focus();
    throw new Error(msg("reason_required"));
  }
  return reason;
}

const showAssign = setupDialog($("assign-dialog"), async () => {
  await api(`/devices/${encodeURIComponent(assignTarget.id)}/assignment`, {
    method: "POST", body: { person_id: $("assign-person").value, reason: reasonOf("assign-reason") },
  });
  toast(msg("saved"));
  await loadDevices();
});

function openAssign(device) {
  assignTarget = device;
  $("assign-device").textContent = `${t("device_kinds", device.kind)} · ${device.id}`;
  $("assign-person").replaceChildren(
    ...[...persons.values()].map((p) => el("option", { value: p.id }, `${p.display_name} (${t("parties", p.role)})`)),
  );
  showAssign();
}

let unassignTarget = null;
const showUnassign = setupDialog($("unassign-dialog"), async () => {
  await api(`/devices/${encodeURIComponent(unassignTarget.id)}/assignment`, {
    method: "DELETE", body: { reason: reasonOf("unassign-reason") },
  });
  toast(msg("saved"));
  await loadDevices();
});

function unassign(device) {
  unassignTarget = device;
  const person = persons.get(device.person_id);
  $("unassign-what").textContent = `${t("device_kinds", device.kind)} ${device.id} · ${person ? person.display_name : device.person_id}`;
  showUnassign();
}

async function load() {
  try {
    try {
      persons = new Map(listOf(await api("/persons"), "persons").map((p) => [p.id, p]));
    } catch {
      persons = new Map(); // without persons.read the wearer shows as an id
    }
    await Promise.all([loadDevices(), loadUnknown()]);
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

filterForm.addEventListener("submit", (event) => {
  event.preventDefault();
  loadDevices().catch((error) => toast(error.message || msg("load_failed")));
});
filterForm.addEventListener("reset", () => setTimeout(() => filterForm.requestSubmit(), 0));
for (const select of filterForm.querySelectorAll("select")) {
  select.addEventListener("change", () => filterForm.requestSubmit());
}
const given = new URLSearchParams(location.search);
for (const name of FILTERS) if (given.has(name)) filterForm.elements[name].value = given.get(name);

startShell();
load();

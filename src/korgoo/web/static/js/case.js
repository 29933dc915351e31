// A case: the order and its versions, the zone editor (saving makes a new
// version), devices, alert history and track playback.
import {
  alertHref, api, el, PERMISSIONS, fmtDateTime, fmtWhen, fromLocalInput, listOf, msg, prioBadge, setupDialog,
  statusPills, t, toast, toLocalInput, toMs, trackFix, unit,
} from "./common.js";
import { startShell } from "./shell.js";
import { fitAll, makeMap, track, ZONE_STYLE } from "./map.js";

const L = window.L;
const ORDER_ID = document.querySelector(".case-page").dataset.orderId;
const ORDER_PATH = "/orders/" + encodeURIComponent(ORDER_ID);
const map = makeMap(document.getElementById("case-map"));
const zoneLayer = L.featureGroup().addTo(map);
const handleLayer = L.featureGroup().addTo(map);
const $ = (id) => document.getElementById(id);

let order = null;
let zones = []; // working copy of the current version's zones (ZoneSpec JSON)
let selected = -1;
let dirty = false;
let mode = null; // "circle" | "polygon" | null
let draft = []; // polygon corners being drawn
let draftLine = null;

// ---- order, versions, devices, alerts -------------------------------------

function detailRows(o) {
  const v = o.current || {};
  return [
    [t("messages", "order"), o.number],
    [msg("kind"), t("order_kinds", o.kind)],
    [msg("authority"), o.issuing_authority],
    [msg("legal_basis"), o.legal_basis],
    [msg("district"), t("districts", o.district)],
    [msg("status"), t("order_status", v.status)],
    [msg("starts"), fmtDateTime(v.starts_at)],
    [msg("ends"), fmtDateTime(v.ends_at)],
    [msg("min_distance"), unit(v.min_distance_m, "m")],
    [msg("warning_distance"), unit(v.warning_distance_m, "m")],
    [msg("no_contact"), v.no_contact ? msg("no_contact_yes") : msg("no")],
    [msg("checkins"), v.checkins_per_day],
  ];
}

function renderOrder() {
  $("case-title").textContent = `${msg("case")} · ${t("messages", "order")} ${order.number}`;
  document.title = `${order.number} · Korgoo`;
  $("case-status").textContent = t("order_status", (order.current || {}).status);
  $("order-details").replaceChildren(
    ...detailRows(order).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "—")]),
  );
  const rows = parties().flatMap((p) =>
    (p.devices || []).map((d) =>
      el("tr", { dataset: { deviceId: d.device_id } },
        el("td", { class: "mono" }, d.device_id),
        el("td", {}, t("device_kinds", d.kind)),
        el("td", {}, el("div", {}, partyName(p)), PERMISSIONS.has("devices.write")
          ? el("button", { type: "button", class: "btn btn-small unassign", onclick: () => openUnassign(d, p) }, msg("unassign"))
          : null)),
    ),
  );
  $("case-devices").tBodies[0].replaceChildren(
    ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "3" }, msg("no_devices")))]),
  );
}

// ---- parties, enrolment, assignment -----------------------------------------

const names = new Map(); // person id -> display name

function parties() {
  const terms = (order && order.terms) || {};
  return [terms.respondent, ...(terms.protected || [])].filter(Boolean);
}

function partyName(p) {
  const name = names.get(p.person_id);
  return name ? `${name} (${t("parties", p.role)})` : t("parties", p.role);
}

async function loadNames() {
  await Promise.all(parties().filter((p) => !names.has(p.person_id)).map(async (p) => {
    try {
      names.set(p.person_id, (await api(`/persons/${encodeURIComponent(p.person_id)}`)).display_name);
    } catch {
      // without persons.read the party shows by its role
    }
  }));
}

function fillPartySelect(select) {
  select.replaceChildren(...parties().map((p) => el("option", { value: p.person_id, dataset: { role: p.role } }, partyName(p))));
}

// The phone app of the party's role: his respondent app, her victim app.
const APP_OF_ROLE = { respondent: "respondent_app", protected: "victim_app" };

async function createEnrolment(event) {
  event.preventDefault();
  $("enrol-error").textContent = "";
  const option = $("enrol-person").selectedOptions[0];
  if (!option) return;
  $("enrol-create").disabled = true;
  try {
    const issued = await api(`${ORDER_PATH}/enrolments`, {
      method: "POST", body: { person_id: option.value, kind: APP_OF_ROLE[option.dataset.role] || "respondent_app" },
    });
    // The QR code is an SVG drawn by the server from the enrolment link.
    const svg = document.createElement("template");
    svg.innerHTML = issued.qr_svg;
    $("enrol-qr").replaceChildren(svg.content);
    $("enrol-code").textContent = issued.code.replace(/^(\d{4})(\d{4})$/, "$1 $2");
    $("enrol-code").dataset.code = issued.code;
    $("enrol-expires").textContent = fmtDateTime(issued.expires_at);
    $("enrol-result").hidden = false;
  } catch (error) {
    $("enrol-error").textContent = error.message;
  } finally {
    $("enrol-create").disabled = false;
  }
}

function reasonOf(id) {
  const reason = $(id).value.trim();
  if (!reason) {
    $(id).focus();
    throw new Error(msg("reason_required"));
  }
  return reason;
}

let unassignTarget = null;
const showUnassign = $("unassign-dialog") && setupDialog($("unassign-dialog"), async () => {
  const reason = reasonOf("unassign-reason");
  await api(`/devices/${encodeURIComponent(unassignTarget.device_id)}/assignment`, { method: "DELETE", body: { reason } });
  toast(msg("saved"));
  await loadOrder();
});

function openUnassign(device, party) {
  unassignTarget = device;
  $("unassign-what").textContent = `${t("device_kinds", device.kind)} ${device.device_id} · ${partyName(party)}`;
  showUnassign();
}

const showAssign = $("assign-dialog") && setupDialog($("assign-dialog"), async () => {
  const reason = reasonOf("assign-reason");
  const device = $("assign-device").value;
  if (!device) throw new Error(msg("no_devices"));
  await api(`/devices/${encodeURIComponent(device)}/assignment`, {
    method: "POST", body: { person_id: $("assign-person").value, reason },
  });
  toast(msg("saved"));
  await loadOrder();
});

async function openAssign() {
  try {
    const devices = listOf(await api("/devices"), "devices");
    const held = new Set(parties().flatMap((p) => (p.devices || []).map((d) => d.device_id)));
    $("assign-device").replaceChildren(
      ...devices.filter((d) => !held.has(d.id)).map((d) =>
        el("option", { value: d.id }, `${d.id} · ${t("device_kinds", d.kind)}${d.person_id ? "" : ` · ${msg("unassigned")}`}`)),
    );
    fillPartySelect($("assign-person"));
    showAssign();
  } catch (error) {
    toast(error.message);
  }
}

// What a version is now: only the newest one can be in force (an earlier one was
// replaced by the next), and an active one is over once its end has passed.
function versionStatus(v, next, now = Date.now()) {
  if (next) return { code: "superseded", text: msg("replaced_by").replace("{n}", next.version) };
  if (v.status === "active" && toMs(v.ends_at) !== null && toMs(v.ends_at) <= now) {
    return { code: "ended", text: t("order_status", "ended") };
  }
  if (v.status === "active" && toMs(v.starts_at) > now) {
    return { code: "pending", text: msg("not_started") };
  }
  return { code: v.status, text: t("order_status", v.status) };
}

async function loadVersions() {
  const versions = listOf(await api(`${ORDER_PATH}/versions`), "versions");
  const current = (order.current || {}).version;
  const status = versionStatus(order.current || {}, null);
  $("case-status").textContent = status.text;
  $("case-status").dataset.status = status.code;
  $("versions").replaceChildren(
    ...versions.map((v, i) => [v, versionStatus(v, versions[i + 1])]).reverse().map(([v, s]) =>
      el(
        "li",
        { class: v.version === current ? "current" : "", dataset: { version: v.version, status: s.code } },
        el("div", { class: "v-head" }, `${t("messages", "version")} ${v.version} · `, el("span", { class: "v-status" }, s.text)),
        el("div", { class: "sub" }, `${fmtDateTime(v.valid_from)} · ${t("actors", v.created_by)}`),
        el("div", {}, v.reason === "issued" ? msg("version_issued") : v.reason),
        el("div", { class: "sub" }, `${msg("min_distance")}: ${unit(v.min_distance_m, "m")} · ${msg("zones")}: ${(v.zones || []).length}${v.no_contact ? ` · ${msg("no_contact")}` : ""}`),
      ),
    ),
  );
}

// The probation officer's requests to vary a curfew: a supervisor approves one
// (it becomes the next version) or refuses it with a note.
async function loadRequests() {
  if (!order || order.kind !== "probation") return;
  const requests = await api(`${ORDER_PATH}/variation-requests`);
  $("requests-box").hidden = requests.length === 0;
  const decide = async (r, verdict, note) => {
    try {
      await api(`/variation-requests/${r.id}/${verdict}`, { method: "POST", body: { note } });
    } catch (error) {
      toast(error.message);
    }
    await loadOrder();
  };
  $("variation-requests").replaceChildren(...requests.map((r) => {
    const item = el("li", { dataset: { requestId: r.id, status: r.status } },
      el("div", { class: "v-head" }, `${r.requested_by} · ${fmtDateTime(r.requested_at)} · `,
        el("span", { class: "v-status" }, t("variation_status", r.status))),
      ...r.exceptions.map((x) => el("div", {}, `${x.reason}: ${fmtDateTime(x.from)} – ${fmtDateTime(x.to)}`)),
      el("div", { class: "sub" }, r.reason));
    if (r.status === "requested" && PERMISSIONS.has("orders.write")) {
      const note = el("input", { maxlength: 500, "aria-label": msg("decision_note") });
      item.append(el("div", { class: "field-row" }, note,
        el("button", { type: "button", class: "btn btn-primary request-approve", onclick: () => decide(r, "approve", note.value) }, msg("approve")),
        el("button", { type: "button", class: "btn request-refuse", onclick: () => decide(r, "refuse", note.value) }, msg("refuse"))));
    }
    return item;
  }));
}

async function loadAlerts() {
  const [open, resolved] = await Promise.all(
    ["open", "resolved"].map((status) => api("/alerts", { query: { status, order_id: ORDER_ID } })),
  );
  const alerts = [...listOf(open, "alerts"), ...listOf(resolved, "alerts")]
    .sort((a, b) => toMs(b.opened_at) - toMs(a.opened_at));
  $("case-alerts").tBodies[0].replaceChildren(
    ...(alerts.length
      ? alerts.map((a) =>
        el("tr", {},
          el("td", {}, prioBadge(a.priority)),
          el("td", {}, el("a", { href: alertHref(a.alert_key) }, t("rules", a.rule))),
          el("td", { class: "num" }, fmtWhen(a.opened_at)),
          el("td", {}, statusPills(a))))
      : [el("tr", {}, el("td", { colspan: "4" }, msg("no_alerts")))]),
  );
}

// The order's record of identity check-ins: sent, answered (in time or not), reviewed.
function checkinPhoto(c) {
  if (!c.photo_at) return toMs(c.due_at) < Date.now() ? el("b", { class: "warn" }, msg("checkin_missed")) : msg("checkin_waiting");
  return `${fmtWhen(c.photo_at)} · ${msg(c.on_time ? "checkin_in_time" : "checkin_late")}`;
}

function checkinReview(c) {
  if (!c.photo_at) return "—";
  if (!c.review) return el("a", { href: "/checkins" }, msg("checkin_to_review"));
  const words = msg(c.review === "confirmed" ? "checkin_confirmed" : "checkin_rejected");
  return el("span", { title: c.review_note || "" }, `${words} · ${c.reviewed_by} · ${fmtWhen(c.reviewed_at)}`);
}

async function loadCheckins() {
  const checkins = listOf(await api("/checkins", { query: { order_id: ORDER_ID } }), "checkins").reverse();
  $("case-checkins").tBodies[0].replaceChildren(
    ...(checkins.length
      ? checkins.map((c) =>
        el("tr", {},
          el("td", { class: "num" }, fmtWhen(c.sent_at)),
          el("td", {}, checkinPhoto(c)),
          el("td", {}, checkinReview(c))))
      : [el("tr", {}, el("td", { colspan: "3" }, msg("no_checkins")))]),
  );
}

async function loadOrder() {
  order = await api(ORDER_PATH);
  await loadNames();
  renderOrder();
  if ($("enrol-person")) fillPartySelect($("enrol-person"));
  zones = structuredClone((order.current || {}).zones || []);
  selected = -1;
  setDirty(false);
  drawZones();
  fitAll(map, [zoneLayer]);
  await loadVersions();
  await loadRequests();
}

// ---- zone editor ------------------------------------------------------------

const handleIcon = L.divIcon({ className: "", html: '<div style="width:12px;height:12px;background:#fff;border:2px solid #1d4ed8;border-radius:2px"></div>', iconSize: [12, 12] });
const centreIcon = L.divIcon({ className: "", html: '<div style="width:14px;height:14px;background:#1d4ed8;border:2px solid #fff;border-radius:50%;box-shadow:0 0 0 1px #1d4ed8"></div>', iconSize: [14, 14] });

function setDirty(value) {
  dirty = value;
  $("zone-save").disabled = !dirty;
  $("zone-hint").textContent = dirty ? msg("zones_changed") : "";
}

function latLngsOf(zone) {
  return zone.geometry.coordinates[0].map(([lon, lat]) => [lat, lon]);
}

function setCorners(zone, latlngs) {
  const ring = latlngs.map((p) => [p.lng ?? p[1], p.lat ?? p[0]]);
  ring.push(ring[0]);
  zone.geometry = { type: "Polygon", coordinates: [ring] };
}

function drawZones() {
  zoneLayer.clearLayers();
  handleLayer.clearLayers();
  zones.forEach((zone, index) => {
    const style = { ...(ZONE_STYLE[zone.kind] || ZONE_STYLE.exclusion) };
    if (index === selected) Object.assign(style, { weight: 4, dashArray: null });
    let layer;
    if (zone.geometry.type === "Point") {
      const [lon, lat] = zone.geometry.coordinates;
      layer = L.circle([lat, lon], { radius: zone.radius_m, ...style });
    } else {
      const ring = latLngsOf(zone);
      layer = L.polygon(ring.slice(0, -1), style);
    }
    layer.bindTooltip(`${t("zone_kinds", zone.kind)}: ${zone.name}`);
    layer.on("click", (event) => {
      L.DomEvent.stopPropagation(event);
      if (!mode) select(index);
    });
    layer.addTo(zoneLayer);
  });
  const zone = zones[selected];
  if (!zone) return;
  if (zone.geometry.type === "Point") {
    const [lon, lat] = zone.geometry.coordinates;
    L.marker([lat, lon], { draggable: true, icon: centreIcon, keyboard: true, title: msg("move_centre") })
      .on("dragend", (event) => {
        const p = event.target.getLatLng();
        zone.geometry = { type: "Point", coordinates: [round(p.lng), round(p.lat)] };
        setDirty(true);
        drawZones();
      })
      .addTo(handleLayer);
  } else {
    const corners = latLngsOf(zone).slice(0, -1);
    corners.forEach((corner, i) => {
      L.marker(corner, { draggable: true, icon: handleIcon, title: msg("move_corner") })
        .on("dragend", (event) => {
          const p = event.target.getLatLng();
          corners[i] = [round(p.lat), round(p.lng)];
          setCorners(zone, corners.map(([la, lo]) => ({ lat: la, lng: lo })));
          setDirty(true);
          drawZones();
        })
        .addTo(handleLayer);
    });
  }
}

function round(x) {
  return Math.round(x * 1e6) / 1e6;
}

function select(index) {
  selected = index;
  const zone = zones[index];
  $("zone-form").hidden = !zone;
  if (zone) {
    $("zone-name").value = zone.name;
    $("zone-kind").value = zone.kind;
    $("zone-disclosed").value = String(disclosed(zone));
    $("zone-radius-field").hidden = zone.geometry.type !== "Point";
    $("zone-radius").value = Math.round(zone.radius_m || 0);
    renderSchedule();
    renderExceptions();
  }
  drawZones();
}

// ---- weekly schedule of the selected zone --------------------------------------

const WEEK = [0, 1, 2, 3, 4, 5, 6]; // Monday first, as the engine counts
const hhmm = (minutes) => `${String(Math.floor(minutes / 60) % 24).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
const minutesOf = (value) => {
  const [h, m] = value.split(":").map(Number);
  return h * 60 + m;
};

function renderSchedule() {
  const zone = zones[selected];
  const windows = (zone && zone.schedule) || [];
  $("schedule-always").hidden = windows.length > 0;
  $("schedule").replaceChildren(...windows.map((w, i) => {
    const changed = () => {
      setDirty(true);
      drawZones();
    };
    const days = el("div", { class: "weekdays", role: "group", "aria-label": msg("days") },
      ...WEEK.map((d) => el("label", { class: "weekday" },
        el("input", {
          type: "checkbox", value: String(d), checked: w.days.includes(d),
          onchange: (event) => {
            w.days = event.target.checked ? [...w.days, d].sort() : w.days.filter((x) => x !== d);
            changed();
          },
        }),
        t("weekdays", String(d)))));
    const time = (key, label) => el("label", { class: "field" }, el("span", { class: "field-label" }, label),
      el("input", {
        type: "time", value: hhmm(w[key]), required: true, class: `schedule-${key}`,
        onchange: (event) => {
          if (event.target.value) w[key] = minutesOf(event.target.value);
          changed();
        },
      }));
    return el("li", { class: "field-row contact-row schedule-window" }, days, time("start", msg("from")), time("end", msg("to")),
      el("button", {
        type: "button", class: "btn btn-quiet",
        onclick: () => {
          windows.splice(i, 1);
          setDirty(true);
          renderSchedule();
        },
      }, msg("remove")));
  }));
}

$("schedule-add").addEventListener("click", () => {
  const zone = zones[selected];
  if (!zone) return;
  // A night-time curfew every day is the usual first window.
  zone.schedule = [...(zone.schedule || []), { days: [...WEEK], start: 22 * 60, end: 6 * 60 }];
  setDirty(true);
  renderSchedule();
});

// ---- approved exceptions of the selected zone ----------------------------------

function renderExceptions() {
  const zone = zones[selected];
  const exceptions = (zone && zone.exceptions) || [];
  $("exceptions").replaceChildren(...exceptions.map((x, i) => {
    const when = (key, label) => el("label", { class: "field" }, el("span", { class: "field-label" }, label),
      el("input", {
        type: "datetime-local", required: true, class: `exception-${key}`,
        value: x[key] ? toLocalInput(toMs(x[key])) : "",
        onchange: (event) => {
          if (event.target.value) x[key] = new Date(fromLocalInput(event.target.value)).toISOString();
          setDirty(true);
        },
      }));
    const text = (key, label, max) => el("label", { class: "field grow" }, el("span", { class: "field-label" }, label),
      el("input", {
        value: x[key] || "", maxlength: String(max), required: key === "reason", class: `exception-${key}`,
        onchange: (event) => {
          x[key] = event.target.value.trim();
          setDirty(true);
        },
      }));
    return el("li", { class: "field-row contact-row schedule-exception" },
      when("from", msg("from")), when("to", msg("to")),
      text("reason", msg("exception_reason"), 300), text("approved_by", msg("approved_by"), 100),
      el("button", {
        type: "button", class: "btn btn-quiet",
        onclick: () => {
          exceptions.splice(i, 1);
          setDirty(true);
          renderExceptions();
        },
      }, msg("remove")));
  }));
}

$("exception-add").addEventListener("click", () => {
  const zone = zones[selected];
  if (!zone) return;
  // Tonight, 22:00 to 06:00, the usual night shift.
  const start = new Date(fromLocalInput(toLocalInput(Date.now()).slice(0, 10) + "T22:00"));
  const end = new Date(start.getTime() + 8 * 3600 * 1000);
  zone.exceptions = [...(zone.exceptions || []), { from: start.toISOString(), to: end.toISOString(), reason: "", approved_by: "" }];
  setDirty(true);
  renderExceptions();
  $("exceptions").lastElementChild.querySelector(".exception-reason").focus();
});

// Whether the respondent is shown the zone; unset, the default of its kind
// (as ZoneSpec.disclosed_to_respondent): her places hidden, his curfew shown.
function disclosed(zone) {
  return typeof zone.disclosed === "boolean" ? zone.disclosed : zone.kind === "inclusion";
}

function newZoneId() {
  return "zone-" + Math.random().toString(36).slice(2, 10);
}

function setMode(next) {
  mode = next;
  draft = [];
  if (draftLine) map.removeLayer(draftLine);
  draftLine = null;
  $("zone-finish").hidden = mode !== "polygon";
  $("zone-cancel").hidden = !mode;
  $("zone-hint").textContent = mode === "circle" ? msg("click_centre") : mode === "polygon" ? msg("click_vertices") : (dirty ? msg("zones_changed") : "");
  map.getContainer().style.cursor = mode ? "crosshair" : "";
}

function addZone(zone) {
  zones.push(zone);
  setDirty(true);
  setMode(null);
  select(zones.length - 1);
  $("zone-name").focus();
  $("zone-name").select();
}

function finishPolygon() {
  if (draft.length < 3) return;
  const zone = { zone_id: newZoneId(), name: msg("new_zone"), kind: "exclusion", radius_m: 0, schedule: [] };
  setCorners(zone, draft.map(([la, lo]) => ({ lat: la, lng: lo })));
  addZone(zone);
}

map.on("click", (event) => {
  const p = event.latlng;
  if (mode === "circle") {
    addZone({
      zone_id: newZoneId(), name: msg("new_zone"), kind: "exclusion", radius_m: 200, schedule: [],
      geometry: { type: "Point", coordinates: [round(p.lng), round(p.lat)] },
    });
  } else if (mode === "polygon") {
    draft.push([round(p.lat), round(p.lng)]);
    if (draftLine) map.removeLayer(draftLine);
    draftLine = L.polyline(draft, { color: "#1d4ed8", dashArray: "4 4" }).addTo(map);
  } else {
    select(-1);
  }
});

$("zone-add-circle").addEventListener("click", () => setMode("circle"));
$("zone-add-polygon").addEventListener("click", () => setMode("polygon"));
$("zone-finish").addEventListener("click", finishPolygon);
$("zone-cancel").addEventListener("click", () => setMode(null));
document.addEventListener("keydown", (event) => {
  if (!mode) return;
  if (event.key === "Escape") setMode(null);
  if (event.key === "Enter" && mode === "polygon") {
    event.preventDefault();
    finishPolygon();
  }
});
$("zone-name").addEventListener("input", () => {
  zones[selected].name = $("zone-name").value;
  setDirty(true);
});
$("zone-kind").addEventListener("change", () => {
  zones[selected].kind = $("zone-kind").value;
  $("zone-disclosed").value = String(disclosed(zones[selected]));
  setDirty(true);
  drawZones();
});
$("zone-disclosed").addEventListener("change", () => {
  zones[selected].disclosed = $("zone-disclosed").value === "true";
  setDirty(true);
});
$("zone-radius").addEventListener("input", () => {
  const radius = Number($("zone-radius").value);
  if (radius > 0) {
    zones[selected].radius_m = radius;
    setDirty(true);
    drawZones();
  }
});
$("zone-delete").addEventListener("click", () => {
  zones.splice(selected, 1);
  setDirty(true);
  select(-1);
});
$("zone-form").addEventListener("submit", (event) => event.preventDefault());

$("variation-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const reason = $("variation-reason").value.trim();
  $("variation-error").textContent = "";
  if (!reason) {
    $("variation-error").textContent = msg("reason_required");
    $("variation-reason").focus();
    return;
  }
  // An exception needs its reason and must end after it starts (said here, in
  // the page's language, before the server would refuse it).
  for (const zone of zones) {
    for (const x of zone.exceptions || []) {
      if (!x.reason || !(toMs(x.to) > toMs(x.from))) {
        $("variation-error").textContent = `${zone.name}: ${msg("exception_invalid")}`;
        return;
      }
    }
  }
  $("zone-save").disabled = true;
  try {
    await api(`${ORDER_PATH}/variations`, { method: "POST", body: { changes: { zones }, reason } });
    $("variation-reason").value = "";
    toast(msg("saved"));
    await loadOrder();
  } catch (error) {
    $("variation-error").textContent = error.message;
    $("zone-save").disabled = false;
  }
});

// ---- track playback ---------------------------------------------------------

let playback = { fixes: [], layer: null, marker: null, timer: null };

function respondentDevice() {
  const devices = ((order && order.terms && order.terms.respondent) || {}).devices || [];
  return devices.length ? devices[0].device_id : null;
}

function showFix(index) {
  const fix = playback.fixes[index];
  if (!fix) return;
  $("track-position").value = index;
  $("track-time").textContent = `${fmtDateTime(fix.at)} · ±${unit(Math.round(fix.accuracy_m), "m")}`;
  if (!playback.marker) {
    playback.marker = L.circleMarker([fix.lat, fix.lon], { radius: 9, color: "#fff", weight: 2, fillColor: "#b91c1c", fillOpacity: 1 }).addTo(map);
  }
  playback.marker.setLatLng([fix.lat, fix.lon]);
}

function stop() {
  clearInterval(playback.timer);
  playback.timer = null;
  $("track-stop").hidden = true;
}

$("track-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  stop();
  const device = respondentDevice();
  if (!device) {
    toast(msg("no_devices"));
    return;
  }
  const since = new Date(fromLocalInput($("track-from").value)).toISOString();
  const until = new Date(fromLocalInput($("track-to").value)).toISOString();
  try {
    const data = await api(`/tracks/${encodeURIComponent(device)}`, { query: { since, until } });
    const fixes = listOf(data, "fixes").map(trackFix);
    if (playback.layer) map.removeLayer(playback.layer);
    playback.fixes = fixes;
    $("track-position").max = Math.max(0, fixes.length - 1);
    if (!fixes.length) {
      $("track-time").textContent = msg("no_track");
      return;
    }
    playback.layer = track(map, fixes, { colour: "#7f1d1d", label: msg("respondent_here") });
    fitAll(map, [playback.layer, zoneLayer]);
    let index = 0;
    showFix(0);
    $("track-stop").hidden = false;
    const speed = Number($("track-speed").value);
    let clock = toMs(fixes[0].at);
    playback.timer = setInterval(() => {
      clock += speed * 100;
      while (index < fixes.length - 1 && toMs(fixes[index + 1].at) <= clock) index += 1;
      showFix(index);
      if (index >= fixes.length - 1) stop();
    }, 100);
  } catch (error) {
    toast(error.message);
  }
});
$("track-stop").addEventListener("click", stop);
$("track-position").addEventListener("input", () => {
  stop();
  showFix(Number($("track-position").value));
});

function defaultRange() {
  const now = Date.now();
  $("track-from").value = toLocalInput(now - 2 * 3600 * 1000);
  $("track-to").value = toLocalInput(now);
}

// Without orders.write the zones are shown but not editable.
if (!PERMISSIONS.has("orders.write")) {
  for (const id of ["zone-add-circle", "zone-add-polygon", "variation-form"]) $(id).hidden = true;
}
if ($("enrol-form")) $("enrol-form").addEventListener("submit", createEnrolment);
if ($("assign-open")) $("assign-open").addEventListener("click", openAssign);
startShell();
defaultRange();
loadOrder()
  .then(() => Promise.all([loadAlerts(), loadCheckins()]))
  .catch((error) => toast(error.message || msg("load_failed")));

// A case: the order and its versions, the zone editor (saving makes a new
// version), devices, alert history and track playback.
import {
  alertHref, api, el, PERMISSIONS, fmtDateTime, fmtWhen, fromLocalInput, listOf, msg, prioBadge, statusPills,
  t, toast, toLocalInput, toMs, trackFix,
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
    [msg("min_distance"), `${v.min_distance_m} m`],
    [msg("warning_distance"), `${v.warning_distance_m} m`],
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
  const terms = order.terms || {};
  const parties = [terms.respondent, ...(terms.protected || [])].filter(Boolean);
  const rows = parties.flatMap((p) =>
    (p.devices || []).map((d) =>
      el("tr", {}, el("td", { class: "mono" }, d.device_id), el("td", {}, t("device_kinds", d.kind)),
        el("td", {}, t("parties", p.role))),
    ),
  );
  $("case-devices").tBodies[0].replaceChildren(
    ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "3" }, msg("no_devices")))]),
  );
}

async function loadVersions() {
  const versions = listOf(await api(`${ORDER_PATH}/versions`), "versions");
  const current = (order.current || {}).version;
  $("versions").replaceChildren(
    ...versions.slice().reverse().map((v) =>
      el(
        "li",
        { class: v.version === current ? "current" : "", dataset: { version: v.version } },
        el("div", { class: "v-head" }, `${t("messages", "version")} ${v.version} · ${t("order_status", v.status)}`),
        el("div", { class: "sub" }, `${fmtDateTime(v.valid_from)} · ${v.created_by}`),
        el("div", {}, v.reason),
        el("div", { class: "sub" }, `${msg("min_distance")}: ${v.min_distance_m} m · ${msg("zones")}: ${(v.zones || []).length}`),
      ),
    ),
  );
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

async function loadOrder() {
  order = await api(ORDER_PATH);
  renderOrder();
  zones = structuredClone((order.current || {}).zones || []);
  selected = -1;
  setDirty(false);
  drawZones();
  fitAll(map, [zoneLayer]);
  await loadVersions();
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
  }
  drawZones();
}

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
  $("track-time").textContent = `${fmtDateTime(fix.at)} · ±${Math.round(fix.accuracy_m)} m`;
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
startShell();
defaultRange();
loadOrder()
  .then(loadAlerts)
  .catch((error) => toast(error.message || msg("load_failed")));

// Live map of every monitored respondent, coloured by state, with a text list.
import { api, el, fmtWhen, listOf, msg, t, toast } from "./common.js";
import { on, startShell } from "./shell.js";
import { fitAll, legendItem, makeMap, STATE_COLOURS } from "./map.js";

const L = window.L;
const STATE_ORDER = ["breach", "prealert", "switched_off", "no_signal", "low_battery", "compliant"];
const map = makeMap(document.getElementById("live-map"), { zoom: 12 });
const markers = new Map(); // key -> { dot, ring, item }
const items = new Map();
let fitted = false;

function keyOf(item) {
  return item.order_id;
}

function label(item) {
  return `${msg("order")} ${item.order_number || item.order_id} · ${t("states", item.state)} · ${fmtWhen(item.t ?? item.at)}`;
}

function place(item) {
  const key = keyOf(item);
  items.set(key, item);
  const colour = STATE_COLOURS[item.state] || "#4b5563";
  const accuracy = item.accuracy_m ?? item.acc ?? 0;
  let marker = markers.get(key);
  if (item.lat === null || item.lat === undefined) return;
  const at = [item.lat, item.lon];
  if (!marker) {
    const ring = L.circle(at, { radius: accuracy, color: colour, weight: 1, fillOpacity: 0.1, interactive: false }).addTo(map);
    const dot = L.circleMarker(at, { radius: 8, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1 })
      .bindTooltip(label(item))
      .on("click", () => location.assign("/cases/" + encodeURIComponent(item.order_id)))
      .addTo(map);
    marker = { dot, ring };
    markers.set(key, marker);
  }
  marker.dot.setLatLng(at).setStyle({ fillColor: colour }).setTooltipContent(label(item));
  marker.ring.setLatLng(at).setRadius(accuracy).setStyle({ color: colour });
  if (item.state === "breach") marker.dot.bringToFront();
}

function renderSide() {
  const list = [...items.values()].sort(
    (a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state)
      || String(a.order_number).localeCompare(String(b.order_number)),
  );
  const counts = Object.fromEntries(STATE_ORDER.map((s) => [s, 0]));
  for (const item of list) counts[item.state] = (counts[item.state] || 0) + 1;
  document.getElementById("live-legend").replaceChildren(
    ...STATE_ORDER.map((s) => legendItem("dot", STATE_COLOURS[s], `${t("states", s)}: ${counts[s]}`)),
  );
  document.querySelector("#live-list tbody").replaceChildren(
    ...list.map((item) =>
      el(
        "tr",
        {},
        el("td", {}, el("a", { href: "/cases/" + encodeURIComponent(item.order_id) }, item.order_number || item.order_id)),
        el(
          "td",
          {},
          el("span", { class: "state-pill" },
            el("span", { class: "swatch", style: `background:${STATE_COLOURS[item.state] || "#4b5563"}` }),
            t("states", item.state)),
        ),
        el("td", { class: "num" }, fmtWhen(item.t ?? item.at)),
        el("td", {}, item.district ? t("districts", item.district) : "—"),
      ),
    ),
  );
}

async function load() {
  try {
    for (const item of listOf(await api("/live"), "respondents")) place(item);
    renderSide();
    if (!fitted) {
      fitAll(map, [L.featureGroup([...markers.values()].map((m) => m.dot))], 12);
      fitted = true;
    }
  } catch (error) {
    toast(error.message || msg("load_failed"));
    setTimeout(load, 5000);
  }
}

on("live", (changed) => {
  for (const item of Array.isArray(changed) ? changed : [changed]) place(item);
  renderSide();
});
startShell();
load();

// Leaflet helpers shared by the maps. Streets come from vector tiles that Korgoo
// serves itself (KORGOO_MAP_TILES), drawn by the vendored protomaps-leaflet: no
// outside tile server learns where the operators look. With no tiles the map
// draws a faint grid on a plain background and says so in a corner; zones,
// positions and tracks show either way.
import { el, fmtDateTime, msg, t, unit } from "./common.js";

const L = window.L;
export const BISHKEK = [42.8746, 74.5698];
export const STATE_COLOURS = {
  compliant: "#15803d",
  prealert: "#b45309",
  breach: "#b91c1c",
  switched_off: "#111827",
  no_signal: "#4b5563",
  low_battery: "#6d28d9",
};
export const ZONE_STYLE = {
  exclusion: { color: "#b91c1c", weight: 2, dashArray: "6 4", fillColor: "#ef4444", fillOpacity: 0.12 },
  inclusion: { color: "#1d4ed8", weight: 2, dashArray: "2 4", fillColor: "#3b82f6", fillOpacity: 0.08 },
};

// A faint grid so panning on the plain background is visible.
const PlainGrid = L.GridLayer.extend({
  createTile(coords) {
    const tile = document.createElement("canvas");
    const size = this.getTileSize();
    tile.width = size.x;
    tile.height = size.y;
    const ctx = tile.getContext("2d");
    ctx.strokeStyle = "rgba(60, 70, 85, 0.12)";
    ctx.lineWidth = 1;
    ctx.strokeRect(0.5, 0.5, size.x, size.y);
    return tile;
  },
});

// A discreet note in a corner: the map has no streets because none are configured.
const Note = L.Control.extend({
  onAdd() {
    return el("div", { class: "map-note" }, this.options.text);
  },
});

// Leaflet's scale bar with its units in the page's language.
const Scale = L.Control.Scale.extend({
  _updateMetric(maxMeters) {
    const meters = this._getRoundNum(maxMeters);
    const label = meters < 1000 ? unit(meters, "m") : unit(meters / 1000, "km");
    this._updateScale(this._mScale, label, meters / maxMeters);
  },
});

export function makeMap(element, { center = BISHKEK, zoom = 13 } = {}) {
  const { tiles, tilesMaxZoom, lang } = document.body.dataset;
  const map = L.map(element, { attributionControl: false, zoomControl: false, zoomSnap: 0.5, maxZoom: 19 });
  L.control.zoom({ zoomInTitle: msg("zoom_in"), zoomOutTitle: msg("zoom_out") }).addTo(map);
  if (tiles && window.protomapsL) {
    window.protomapsL.leafletLayer({
      url: tiles, // same origin: the session cookie goes with each tile request
      flavor: "light",
      lang, // street names in the page's language where the tiles have them
      maxDataZoom: Number(tilesMaxZoom) || 15,
      maxZoom: 19,
      attribution: msg("map_credit"), // in the page's language, and no links out
    }).addTo(map);
    L.control.attribution({ prefix: false }).addTo(map);
  } else {
    element.classList.add("plain");
    new PlainGrid().addTo(map);
    new Note({ position: "bottomright", text: msg("map_plain") }).addTo(map);
  }
  new Scale({ imperial: false, maxWidth: 160 }).addTo(map);
  map.setView(center, zoom);
  return map;
}

// A zone as a Leaflet layer: a circle for a Point with radius_m, else GeoJSON.
export function zoneLayer(feature) {
  const props = feature.properties || {};
  const style = ZONE_STYLE[props.kind] || ZONE_STYLE.exclusion;
  const geometry = feature.geometry || {};
  let layer;
  if (geometry.type === "Point") {
    const [lon, lat] = geometry.coordinates;
    layer = L.circle([lat, lon], { radius: props.radius_m || 0, ...style });
  } else {
    layer = L.polygon(
      (geometry.coordinates || [[]])[0].map(([lon, lat]) => [lat, lon]),
      style,
    );
  }
  layer.bindTooltip(`${t("zone_kinds", props.kind)}: ${props.name || props.zone_id || ""}`);
  layer.zoneId = props.zone_id;
  return layer;
}

export function drawZones(map, collection) {
  const group = L.featureGroup();
  for (const feature of (collection && collection.features) || []) zoneLayer(feature).addTo(group);
  return group.addTo(map);
}

// A person's position: a dot with its accuracy circle, a short tag always shown
// beside it (who, when) and the details on click.
export function position(map, { lat, lon, accuracy, colour, label, tag }) {
  const group = L.featureGroup();
  if (accuracy) {
    L.circle([lat, lon], {
      radius: accuracy, color: colour, weight: 1, fillColor: colour, fillOpacity: 0.12, interactive: false,
    }).addTo(group);
  }
  const dot = L.circleMarker([lat, lon], {
    radius: 8, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1,
  });
  if (tag) {
    dot.bindTooltip(tag, { permanent: true, direction: "right", offset: [10, 0], className: "marker-tag" })
      .bindPopup(label);
  } else {
    dot.bindTooltip(label);
  }
  dot.addTo(group);
  return group.addTo(map);
}

// A track: a line through the fixes, a small dot per fix with time and accuracy.
export function track(map, fixes, { colour, dashArray, label }) {
  const group = L.featureGroup();
  const points = fixes.map((f) => [f.lat, f.lon]);
  if (points.length > 1) L.polyline(points, { color: colour, weight: 3, opacity: 0.85, dashArray }).addTo(group);
  for (const f of fixes) {
    L.circleMarker([f.lat, f.lon], { radius: 3, color: colour, weight: 1, fillColor: "#fff", fillOpacity: 1 })
      .bindTooltip(`${label}<br>${fmtDateTime(f.at)}<br>${msg("accuracy")} ${unit(Math.round(f.accuracy_m ?? 0), "m")}`)
      .addTo(group);
  }
  return group.addTo(map);
}

export function legendItem(kind, colour, text) {
  const swatch = {
    dot: el("span", { class: "swatch", style: `background:${colour}` }),
    line: el("span", { class: "swatch-line", style: `background:${colour}` }),
    zone: el("span", { class: "swatch-zone", style: `border-color:${colour}` }),
  }[kind];
  return el("span", { class: "legend-item" }, swatch, text);
}

// The point of a zone's edge nearest to `at` (a circle's rim, or a polygon's
// nearest side), in a local flat frame: zones are a few km across at most.
export function nearestEdge(layer, at) {
  const k = Math.cos((at.lat * Math.PI) / 180);
  const flat = (p) => [p.lng * k, p.lat];
  const back = ([x, y]) => L.latLng(y, x / k);
  const [px, py] = flat(at);
  if (layer instanceof L.Circle) {
    const c = layer.getLatLng();
    const d = c.distanceTo(at);
    if (d < 0.01) return L.latLng(c.lat, c.lng);
    const [cx, cy] = flat(c);
    const f = layer.getRadius() / d;
    return back([cx + (px - cx) * f, cy + (py - cy) * f]);
  }
  const ring = (layer.getLatLngs()[0] || []).map(flat);
  let best = null;
  let bestD = Infinity;
  for (let i = 0; i < ring.length; i += 1) {
    const [ax, ay] = ring[i];
    const [bx, by] = ring[(i + 1) % ring.length];
    const len = (bx - ax) ** 2 + (by - ay) ** 2;
    const u = len ? Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len)) : 0;
    const q = [ax + u * (bx - ax), ay + u * (by - ay)];
    const d = (q[0] - px) ** 2 + (q[1] - py) ** 2;
    if (d < bestD) [best, bestD] = [q, d];
  }
  return best ? back(best) : null;
}

// Open on the incident: the given positions (with their accuracy) and the nearest
// edge of the alert's zone, not every zone of the order.
export function fitIncident(map, points, zones, zoneId) {
  const bounds = L.latLngBounds([]);
  for (const p of points) bounds.extend(L.latLng(p.lat, p.lon).toBounds(2 * Math.max(p.accuracy || 0, 30)));
  if (!bounds.isValid()) return false;
  const zone = zones && zoneId ? zones.getLayers().find((z) => z.zoneId === zoneId) : null;
  const edge = zone && nearestEdge(zone, L.latLng(points[0].lat, points[0].lon));
  if (edge) bounds.extend(edge);
  map.fitBounds(bounds.pad(0.3), { maxZoom: 17 });
  return true;
}

export function fitAll(map, layers, fallbackZoom = 13) {
  const bounds = L.latLngBounds([]);
  for (const layer of layers) {
    if (layer && layer.getBounds) {
      const b = layer.getBounds();
      if (b.isValid()) bounds.extend(b);
    }
  }
  if (bounds.isValid()) map.fitBounds(bounds.pad(0.15), { maxZoom: 17 });
  else map.setZoom(fallbackZoom);
}

// One alert: map with positions, zones and track; evidence; actions; timeline.
import {
  api, el, fixOf, L, fmtDateTime, fmtWhen, lateTimes, listOf, msg, PERMISSIONS, prioBadge, setupDialog, slaText,
  statusPills, t, toast, toMs, trackFix, unit,
} from "./common.js";
import { on, startShell } from "./shell.js";
import { drawZones, fitAll, fitIncident, legendItem, makeMap, position, track, ZONE_STYLE } from "./map.js";

const KEY = document.querySelector(".alert-page").dataset.alertKey;
const PATH = "/alerts/" + encodeURIComponent(KEY);
const TRACK_WINDOW_S = 30 * 60;
const COLOURS = { respondent: "#b91c1c", before: "#7f1d1d", after: "#ea580c", protected: "#1d4ed8" };

const map = makeMap(document.getElementById("alert-map"));
const layers = { zones: null, respondent: null, before: null, after: null, protected: [] };
let alert = null;
let reason = "";
let fitted = ""; // the incident the map was last opened on

function evidenceValue(key, value) {
  // Which positions the engine set aside, and why: "respondent: a leap (multipath)".
  if (key === "discounted" && Array.isArray(value)) {
    return value.map((d) => `${t("parties", d.party)}: ${t("signals", d.reason)}`).join("; ");
  }
  if (key === "probability" && typeof value === "number") return `${Math.round(value * 100)} %`;
  const fix = fixOf(value);
  if (fix) return `${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)} ± ${unit(Math.round(fix.accuracy), "m")} · ${fmtDateTime(fix.at)}`;
  if (typeof value === "number") return value.toLocaleString(document.documentElement.lang);
  if (typeof value === "boolean") return msg(value ? "yes" : "no");
  if (value && typeof value === "object") return JSON.stringify(value);
  return t("signals", String(value)); // a device's signal in words; ids as they are
}

function renderHead() {
  document.getElementById("alert-title").replaceChildren(prioBadge(alert.priority), t("rules", alert.rule));
  document.title = `${alert.priority} ${t("rules", alert.rule)} · Korgoo`;
  const sla = slaText(alert, Date.now());
  const orderLink = el("a", { href: "/cases/" + encodeURIComponent(alert.order_id) }, alert.order_number || alert.order_id);
  document.getElementById("alert-summary").replaceChildren(
    el("span", {}, ...statusPills(alert)),
    el("span", {}, `${msg("order")} `, orderLink),
    alert.district ? el("span", {}, t("districts", alert.district)) : null,
    el("span", {}, `${t("evidence", "confidence")}: `, el("b", {}, alert.confidence ? t("confidence", alert.confidence) : "—")),
    alert.late ? lateTimes(alert, fmtDateTime) : el("span", {}, el("b", {}, fmtWhen(alert.opened_at))),
    el("span", { class: `sla-countdown ${sla.cls}`, id: "alert-sla" }, sla.text),
  );
  const can = (perm) => PERMISSIONS.size === 0 || PERMISSIONS.has(perm);
  document.getElementById("ack").disabled = alert.acked || alert.resolved || !can("alerts.act");
  for (const id of ["log-call", "add-note", "escalate"]) {
    document.getElementById(id).disabled = alert.resolved || !can("alerts.act");
  }
  document.getElementById("resolve").disabled = alert.resolved || !can("alerts.resolve");
}

function renderEvidence() {
  const rows = [
    [t("evidence", "rule"), `${t("rules", alert.rule)} (${alert.rule})`],
    ...Object.entries(alert.evidence || {}).map(([k, v]) => [t("evidence", k), evidenceValue(k, v)]),
    [t("messages", "order"), alert.order_number || alert.order_id],
  ];
  document.querySelector("#evidence tbody").replaceChildren(
    ...rows.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", { class: "num" }, v))),
  );
}

function details(item) {
  const d = item.details || {};
  const parts = [];
  if (item.kind === "notification") {
    const where = d.district ? ` · ${t("districts", d.district)}` : "";
    // "Police duty unit · Leninsky District: could not be notified by message"
    if (d.status === "unreachable") {
      return `${t("parties", d.recipient)}${where}: ${t("notification_status", d.status)}`;
    }
    // "SMS, danger → Protected person (***3456): delivered"
    const what = `${t("channels", d.channel)}, ${t("notification_templates", d.template)}`;
    parts.push(`${what} → ${t("parties", d.recipient)} (${d.to}): ${t("notification_status", d.status)}`);
    if (d.next_channel) parts.push(`→ ${t("channels", d.next_channel)}`);
    return parts.join(" · ");
  }
  if (d.party) parts.push(`${t("parties", d.party)}: ${t("call_outcomes", d.outcome)}`);
  if (d.outcome && !d.party) {
    parts.push(d.stage === "police_reported" ? t("police_outcomes", d.outcome) : t("outcomes", d.outcome));
  }
  if (d.stage) parts.push(t("timeline_stages", d.stage));
  if (d.reason) parts.push(t("reasons", d.reason));
  if (d.notify) parts.push(t("escalated_to", d.notify));
  if (d.district) parts.push(t("districts", d.district));
  if (d.text) parts.push(String(d.text));
  if (d.note) parts.push(String(d.note));
  if (item.kind === "updated" && item.priority) parts.push(item.priority);
  return parts.join(" · ");
}

function renderTimeline(items) {
  document.getElementById("timeline").replaceChildren(
    ...items.map((item) =>
      el(
        "li",
        { class: "timeline-item", dataset: { kind: item.kind } },
        el(
          "div",
          { class: "timeline-head" },
          el("span", { class: "timeline-kind" }, t("transitions", item.kind)),
          el("time", { class: "timeline-time", datetime: String(item.at) }, fmtDateTime(item.at)),
          el("span", { class: "timeline-actor" }, t("actors", item.actor)),
        ),
        details(item) ? el("div", { class: "timeline-details" }, details(item)) : null,
      ),
    ),
  );
}

function clear(layer) {
  if (layer) map.removeLayer(layer);
}

let orderTerms = null; // the order's terms in force: who the parties are, their devices

async function loadTerms() {
  if (orderTerms) return orderTerms;
  if (!alert) return {}; // not loaded yet
  try {
    const order = await api(`/orders/${encodeURIComponent(alert.order_id)}`);
    orderTerms = order.terms || {};
  } catch (error) {
    toast(error.message);
    return {};
  }
  return orderTerms;
}

// The respondent's devices from the order's terms in force.
async function respondentDevices() {
  const terms = await loadTerms();
  return ((terms.respondent && terms.respondent.devices) || []).map((d) => d.device_id);
}

// The persons to call for a party of the order, with their numbers and note.
const contacts = new Map();
async function partyPersons(party) {
  const terms = await loadTerms();
  const ids = party === "respondent"
    ? [terms.respondent && terms.respondent.person_id]
    : party === "protected" ? (terms.protected || []).map((p) => p.person_id) : [];
  const found = await Promise.all(ids.filter(Boolean).map(async (id) => {
    if (!contacts.has(id)) contacts.set(id, await api(`/persons/${encodeURIComponent(id)}`));
    return contacts.get(id);
  }));
  return found;
}

function contactBlock(person) {
  const phones = person.phones || [];
  return el("div", { class: "call-person", dataset: { personId: person.id } },
    el("b", {}, person.display_name),
    person.language ? ` · ${t("person_languages", person.language)}` : null,
    phones.length
      ? el("ol", { class: "call-numbers", "aria-label": msg("numbers_to_call") },
        ...phones.map((p) => el("li", {},
          el("a", { href: `tel:${p.number.replace(/[^0-9+]/g, "")}`, class: "mono" }, p.number),
          p.label ? ` — ${p.label}` : null)))
      : el("p", { class: "help" }, msg("no_numbers")),
    person.note ? el("p", { class: "operator-note" }, `${msg("operator_note")}: ${person.note}`) : null,
  );
}

async function showContacts() {
  const box = document.getElementById("call-contacts");
  const party = document.getElementById("call-party").value;
  try {
    const persons = await partyPersons(party);
    if (document.getElementById("call-party").value !== party) return; // changed meanwhile
    box.replaceChildren(...persons.map(contactBlock));
  } catch (error) {
    box.replaceChildren(el("p", { class: "form-error" }, error.message));
  }
}

async function renderMap(devices) {
  if (!layers.zones) {
    try {
      layers.zones = drawZones(map, await api(`/orders/${encodeURIComponent(alert.order_id)}/zones`));
    } catch (error) {
      toast(error.message);
    }
  }
  const ev = alert.evidence || {};
  const here = fixOf(ev.respondent_fix) || fixOf(ev.last_fix);
  clear(layers.respondent);
  if (here) {
    layers.respondent = position(map, {
      ...here, colour: COLOURS.respondent,
      label: `${msg("respondent_here")} · ${fmtDateTime(here.at)} · ±${unit(Math.round(here.accuracy), "m")}`,
      tag: `${msg("respondent_here")} · ${fmtWhen(here.at)}`,
    });
  }
  const occurred = toMs(alert.occurred_at) / 1000;
  if (devices.length && occurred) {
    try {
      const data = await api(`/tracks/${encodeURIComponent(devices[0])}`, {
        query: {
          since: new Date((occurred - TRACK_WINDOW_S) * 1000).toISOString(),
          until: new Date((occurred + TRACK_WINDOW_S) * 1000).toISOString(),
        },
      });
      const fixes = listOf(data, "fixes").map(trackFix);
      clear(layers.before);
      clear(layers.after);
      const cut = occurred * 1000;
      layers.before = track(map, fixes.filter((f) => toMs(f.at) <= cut), { colour: COLOURS.before, label: msg("track_before") });
      layers.after = track(map, fixes.filter((f) => toMs(f.at) >= cut), { colour: COLOURS.after, dashArray: "6 5", label: msg("track_after") });
    } catch (error) {
      toast(error.message);
    }
  }
  const protectedFix = fixOf(ev.protected_fix);
  for (const layer of layers.protected) clear(layer);
  layers.protected = [];
  if (protectedFix) {
    layers.protected.push(position(map, {
      ...protectedFix, colour: COLOURS.protected,
      label: `${msg("protected_here")} · ${fmtDateTime(protectedFix.at)} · ±${unit(Math.round(protectedFix.accuracy), "m")}`,
      tag: `${msg("protected_here")} · ${fmtWhen(protectedFix.at)}`,
    }));
  }
  // On the incident (again when her position is revealed), else on everything.
  const points = [here, protectedFix].filter(Boolean);
  const incident = points.map((p) => `${p.lat},${p.lon}`).join(";") || "all";
  if (incident !== fitted) {
    if (!fitIncident(map, points, layers.zones, ev.zone_id)) {
      fitAll(map, [layers.zones, layers.respondent, layers.before, layers.after, ...layers.protected]);
    }
    fitted = incident;
  }
}

function renderLegend(hasProtected) {
  const items = [
    legendItem("dot", COLOURS.respondent, msg("respondent_here")),
    legendItem("line", COLOURS.before, msg("track_before")),
    legendItem("line", COLOURS.after, msg("track_after")),
    legendItem("zone", ZONE_STYLE.exclusion.color, t("zone_kinds", "exclusion")),
    legendItem("zone", ZONE_STYLE.inclusion.color, t("zone_kinds", "inclusion")),
  ];
  if (hasProtected) items.splice(3, 0, legendItem("dot", COLOURS.protected, msg("protected_here")));
  document.getElementById("map-legend").replaceChildren(...items);
}

async function load() {
  try {
    const data = await api(PATH, { query: reason ? { reason } : undefined });
    alert = data;
    renderHead();
    renderEvidence();
    renderTimeline(listOf(data.timeline, "timeline"));
    showProtected.hidden = !(data.protected_location_withheld && PERMISSIONS.has("locations.protected.read"));
    renderLegend(Boolean(fixOf((data.evidence || {}).protected_fix)));
    if (!respondentDevices.cache) respondentDevices.cache = await respondentDevices();
    await renderMap(respondentDevices.cache);
  } catch (error) {
    document.getElementById("action-error").textContent = error.message || msg("load_failed");
  }
}

async function act(path, body) {
  document.getElementById("action-error").textContent = "";
  await api(`${PATH}/${path}`, { method: "POST", body: body ?? {} });
  toast(msg("saved"));
  await load();
}

function fillCallOutcomes() {
  const select = document.getElementById("call-outcome");
  select.replaceChildren(
    el("option", { value: "" }, msg("choose")),
    ...Object.entries(L.call_outcomes || {}).map(([code, text]) => el("option", { value: code }, text)),
  );
}

document.getElementById("ack").addEventListener("click", () =>
  act("acknowledge").catch((e) => { document.getElementById("action-error").textContent = e.message; }),
);
const openCallDialog = setupDialog(document.getElementById("call-dialog"), () => {
  const outcome = document.getElementById("call-outcome").value;
  if (!outcome) {
    document.getElementById("call-outcome").focus();
    throw new Error(msg("choose_outcome"));
  }
  return act("calls", {
    party: document.getElementById("call-party").value,
    outcome,
    note: document.getElementById("call-note").value.trim(),
  });
});
function openCall() {
  openCallDialog();
  showContacts();
}
document.getElementById("call-party").addEventListener("change", showContacts);
const openNote = setupDialog(document.getElementById("note-dialog"), () =>
  act("notes", { text: document.getElementById("note-text").value.trim() }),
);
const openEscalate = setupDialog(document.getElementById("escalate-dialog"), () =>
  act("escalate", { reason: document.getElementById("escalate-reason").value.trim() }),
);
const openResolve = setupDialog(document.getElementById("resolve-dialog"), async () => {
  try {
    await act("resolve", {
      outcome: document.getElementById("resolve-outcome").value,
      note: document.getElementById("resolve-note").value.trim(),
    });
  } catch (failure) {
    // 409: a live condition resolved as a confirmed violation; say what to do, in the
    // page's language.
    if (failure.status === 409 && alert && alert.active) {
      throw new Error(msg("resolve_active"));
    }
    throw failure;
  }
});
const openReason = setupDialog(document.getElementById("reason-dialog"), async () => {
  reason = document.getElementById("reason").value.trim();
  await load();
});
document.getElementById("log-call").addEventListener("click", openCall);
document.getElementById("add-note").addEventListener("click", openNote);
document.getElementById("escalate").addEventListener("click", openEscalate);
document.getElementById("resolve").addEventListener("click", openResolve);
const showProtected = document.getElementById("show-protected");
showProtected.addEventListener("click", openReason);

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea, dialog") || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "a" && !document.getElementById("ack").disabled) {
    event.preventDefault();
    document.getElementById("ack").click();
  }
});

on("alert", (changed) => {
  if (changed.alert_key === KEY) load();
});
setInterval(() => {
  if (!alert) return;
  const sla = slaText(alert, Date.now());
  const cell = document.getElementById("alert-sla");
  if (cell) {
    cell.textContent = sla.text;
    cell.className = `sla-countdown ${sla.cls}`;
  }
}, 1000);

fillCallOutcomes();
startShell();
load();

// The probation officer's caseload: his clients at a glance, their alerts to
// review, next curfews, reporting appointments, and requests to vary a curfew.
// Polls the API (the console's event stream is the centre's).
import { api, el, fmtDateTime, fromLocalInput, msg, t, toast } from "./common.js";
import { pushSwitch } from "./push_switch.js";
import { startShell } from "./shell.js";

const POLL_MS = 15000;
let load = { clients: [], violations: [], appointments: [], requests: [] };

const byOrder = (id) => load.clients.find((c) => c.order_id === id);
const clientOf = (id) => (byOrder(id) ? `${byOrder(id).client} · ${byOrder(id).number}` : id);
const span = (x) => `${fmtDateTime(x.from)} – ${fmtDateTime(x.to)}`;

function curfewCell(curfew) {
  if (!curfew) return msg("no_curfew");
  const text = `${curfew.zone_name}: ${fmtDateTime(curfew.start)} – ${fmtDateTime(curfew.end)}`;
  const excepted = curfew.exceptions.map((x) =>
    el("div", { class: "curfew-exception" }, `${msg("excepted")}: ${x.reason} (${span(x)})`),
  );
  return el("div", {}, el("div", {}, text), ...excepted);
}

function clientRow(c) {
  return el(
    "tr", { dataset: { orderId: c.order_id } },
    el("td", {}, c.number),
    el("td", {}, c.client),
    el("td", { class: "state", dataset: { state: c.state } }, t("states", c.state)),
    el("td", { class: "open-alerts" }, String(c.open_alerts)),
    el("td", { class: "next-curfew" }, curfewCell(c.next_curfew)),
    el("td", {}, c.next_appointment
      ? `${fmtDateTime(c.next_appointment.at)} · ${c.next_appointment.place}` : "—"),
  );
}

async function post(path, body, done) {
  document.activeElement?.blur();
  try {
    await api(path, { method: "POST", body });
    toast(msg(done));
  } catch (error) {
    toast(error.message);
  }
  await refresh();
}

function violationRow(v) {
  const form = el("form", { class: "review-form" },
    el("input", { name: "note", required: true, maxlength: 2000, "aria-label": msg("review_note") }),
    el("button", { type: "submit", class: "btn" }, msg("note_review")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const note = new FormData(form).get("note");
    post(`/caseload/alerts/${encodeURIComponent(v.alert_key)}/reviews`, { note }, "review_saved");
  });
  const reviews = v.reviews.map((r) =>
    el("div", { class: "review" }, `${r.reviewed_by} · ${fmtDateTime(r.reviewed_at)}: ${r.note}`));
  return el(
    "tr", { dataset: { alertKey: v.alert_key } },
    el("td", {}, fmtDateTime(v.opened_at)),
    el("td", {}, `${v.client} · ${v.number}`),
    el("td", {}, t("rules", v.rule),
      v.offered ? el("span", { class: "pill offered" }, msg("offered_to_you")) : null),
    el("td", {}, v.resolved ? msg("resolved") : msg("open")),
    el("td", {}, ...reviews, form),
  );
}

function appointmentRow(a) {
  const cell = el("td", { class: "appointment-outcome" });
  if (a.outcome) {
    cell.append(`${t("appointment_outcomes", a.outcome)} · ${a.outcome_by}`);
  } else {
    for (const outcome of ["attended", "missed"]) {
      cell.append(el("button", {
        type: "button",
        class: "btn",
        onclick: () => post(`/caseload/appointments/${a.id}/outcome`, { outcome }, "outcome_saved"),
      }, t("appointment_outcomes", outcome)));
    }
  }
  return el("tr", { dataset: { appointmentId: a.id } },
    el("td", {}, fmtDateTime(a.at)), el("td", {}, clientOf(a.order_id)), el("td", {}, a.place), cell);
}

function requestRow(r) {
  const status = t("variation_status", r.status)
    + (r.decided_by ? ` · ${r.decided_by}` : "") + (r.decision_note ? `: ${r.decision_note}` : "");
  return el("tr", { dataset: { requestId: r.id } },
    el("td", {}, fmtDateTime(r.requested_at)),
    el("td", {}, clientOf(r.order_id)),
    el("td", {}, ...r.exceptions.map((x) => el("div", {}, `${x.reason}: ${span(x)}`))),
    el("td", {}, r.reason),
    el("td", { class: "request-status", dataset: { status: r.status } }, status));
}

function fill(id, rows) {
  document.querySelector(`#${id} tbody`).replaceChildren(...rows);
  document.getElementById(`${id}-empty`).hidden = rows.length > 0;
  document.getElementById(id).hidden = rows.length === 0;
}

function fillChoices() {
  for (const select of document.querySelectorAll(".order-choice")) {
    const chosen = select.value;
    select.replaceChildren(...load.clients.map((c) =>
      el("option", { value: c.order_id }, `${c.client} · ${c.number}`)));
    if (chosen) select.value = chosen;
  }
  fillZones();
}

function fillZones() {
  const form = document.getElementById("request-form");
  const client = byOrder(form.elements.order_id.value);
  const zones = client ? client.zones.filter((z) => z.kind === "inclusion") : [];
  form.elements.zone_id.replaceChildren(...zones.map((z) => el("option", { value: z.zone_id }, z.name)));
}

async function refresh() {
  try {
    load = await api("/caseload");
  } catch (error) {
    toast(error.message);
    return;
  }
  const page = document.querySelector(".caseload-page");
  if (page.contains(document.activeElement) && document.activeElement.tagName !== "BODY") {
    const busy = document.activeElement.closest("form");
    if (busy) return; // do not redraw under the officer's hands while he types
  }
  fill("clients", load.clients.map(clientRow));
  fill("violations", load.violations.map(violationRow));
  fill("appointments", load.appointments.map(appointmentRow));
  fill("requests", load.requests.map(requestRow));
  fillChoices();
}

function setup() {
  const appointment = document.getElementById("appointment-form");
  appointment.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = appointment.elements;
    const at = new Date(fromLocalInput(f.at.value)).toISOString();
    await post(`/caseload/orders/${f.order_id.value}/appointments`, { at, place: f.place.value }, "appointment_saved");
    appointment.reset();
    fillChoices();
  });
  const request = document.getElementById("request-form");
  request.elements.order_id.addEventListener("change", fillZones);
  request.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = request.elements;
    const body = {
      zone_id: f.zone_id.value,
      reason: f.reason.value,
      exceptions: [{
        from: new Date(fromLocalInput(f.from.value)).toISOString(),
        to: new Date(fromLocalInput(f.to.value)).toISOString(),
        reason: f.what.value,
      }],
    };
    await post(`/caseload/orders/${f.order_id.value}/variation-requests`, body, "request_sent");
    request.reset();
    fillChoices();
  });
}

startShell();
setup();
refresh();
pushSwitch();
setInterval(refresh, POLL_MS);

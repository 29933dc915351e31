// The list of protective orders; each opens its case page. A supervisor creates
// an order here; its zones are drawn on the case page afterwards.
import { api, el, fmtDateTime, fromLocalInput, listOf, msg, t, toast, toLocalInput } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
const RESPONDENT_ROLES = new Set(["respondent", "probation_client"]);
const form = document.getElementById("case-filters");
const FILTERS = ["number", "person", "district", "status"];

function filters() {
  return Object.fromEntries(FILTERS.map((n) => [n, form.elements[n].value.trim()]).filter(([, v]) => v));
}

async function load() {
  try {
    const query = filters();
    const orders = listOf(await api("/orders", { query }), "orders");
    const params = new URLSearchParams(query).toString();
    history.replaceState(null, "", params ? `?${params}` : location.pathname);
    const body = document.querySelector("#orders tbody");
    body.replaceChildren(
      ...orders.map((o) => {
        const v = o.current || o.version || {};
        return el(
          "tr",
          {},
          el("td", {}, el("a", { href: "/cases/" + encodeURIComponent(o.id) }, o.number)),
          el("td", {}, t("order_kinds", o.kind)),
          el("td", {}, t("districts", o.district)),
          el("td", {}, t("order_status", v.status)),
          el("td", { class: "num" }, v.version),
          el("td", { class: "num" }, fmtDateTime(v.ends_at)),
        );
      }),
    );
    if (!orders.length) body.append(el("tr", {}, el("td", { colspan: "6", class: "empty" }, msg("no_orders"))));
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

// ---- a new order ------------------------------------------------------------

let persons = [];

function fillParties() {
  const district = $("order-district").value;
  const option = (p) => el("option", { value: p.id }, p.display_name);
  const here = persons.filter((p) => p.district === district);
  $("order-respondent").replaceChildren(
    el("option", { value: "" }, msg("choose")),
    ...here.filter((p) => RESPONDENT_ROLES.has(p.role)).map(option),
  );
  $("order-protected").replaceChildren(...here.filter((p) => p.role === "protected").map(option));
}

async function openForm() {
  $("order-create").hidden = false;
  $("order-new").hidden = true;
  $("order-error").textContent = "";
  $("order-starts").value = toLocalInput(Date.now());
  try {
    persons = listOf(await api("/persons"), "persons");
  } catch (error) {
    $("order-error").textContent = error.message;
  }
  fillParties();
  $("order-number").focus();
}

function closeForm() {
  $("order-create").hidden = true;
  $("order-new").hidden = false;
}

function invalidField(form) {
  const bad = form.querySelector(":invalid");
  if (!bad) return null;
  const label = form.querySelector(`label[for="${bad.id}"]`)?.textContent || "";
  bad.focus();
  return `${label.trim()}: ${bad.validity.valueMissing ? msg("required_field") : msg("invalid_value")}`;
}

async function create(event) {
  event.preventDefault();
  const form = $("order-form");
  $("order-error").textContent = "";
  const problem = invalidField(form);
  if (problem) {
    $("order-error").textContent = problem;
    return;
  }
  const iso = (id) => ($(id).value ? new Date(fromLocalInput($(id).value)).toISOString() : null);
  $("order-submit").disabled = true;
  try {
    const created = await api("/orders", {
      method: "POST",
      body: {
        number: $("order-number").value.trim(),
        kind: $("order-kind").value,
        issuing_authority: $("order-authority").value.trim(),
        legal_basis: $("order-basis").value.trim(),
        district: $("order-district").value,
        respondent_id: $("order-respondent").value,
        protected_ids: [...$("order-protected").selectedOptions].map((o) => o.value),
        starts_at: iso("order-starts"),
        ends_at: iso("order-ends"),
        min_distance_m: Number($("order-min-distance").value),
        warning_distance_m: Number($("order-warning-distance").value),
        checkins_per_day: Number($("order-checkins").value || 0),
        no_contact: $("order-no-contact").checked,
      },
    });
    location.assign("/cases/" + encodeURIComponent(created.id));
  } catch (error) {
    $("order-error").textContent = error.message;
    $("order-submit").disabled = false;
  }
}
form.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
form.addEventListener("reset", () => setTimeout(load, 0));
for (const select of form.querySelectorAll("select")) select.addEventListener("change", load);
const given = new URLSearchParams(location.search);
for (const name of FILTERS) if (given.has(name)) form.elements[name].value = given.get(name);

startShell();
if ($("order-form")) {
  $("order-new").addEventListener("click", openForm);
  $("order-cancel").addEventListener("click", closeForm);
  $("order-district").addEventListener("change", fillParties);
  $("order-form").addEventListener("submit", create);
}
load();

// The police view, for a phone: the alerts offered to the officer's unit and
// districts, and his response (accept, unit dispatched, on scene, outcome).
// Polls the API: the console's event stream is the centre's.
import { api, el, fmtDateTime, msg, PERMISSIONS, t, toast } from "./common.js";
import { pushSwitch } from "./push_switch.js";
import { startShell } from "./shell.js";

const POLL_MS = 5000;
const STEPS = ["accepted", "dispatched", "on_scene", "reported"];
const revealed = new Map(); // alert key -> her position, once asked for with a reason
const path = (key, action = "") =>
  `/police/alerts/${encodeURIComponent(key)}` + (action ? `/${action}` : "");

function position(p) {
  if (!p) return msg("police_no_position");
  const text = `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}` + (p.at ? ` · ${fmtDateTime(p.at)}` : "");
  // geo: opens the phone's map application at the point.
  return el("a", { href: `geo:${p.lat},${p.lon}`, class: "police-geo" }, text);
}

async function step(key, action, body) {
  document.activeElement?.blur();
  try {
    await api(path(key, action), { method: "POST", body });
  } catch (error) {
    toast(error.message);
  }
  await refresh();
}

function card(alert) {
  const node = document.getElementById("police-card").content.firstElementChild.cloneNode(true);
  node.dataset.alertKey = alert.alert_key;
  node.querySelector(".police-priority").textContent = alert.priority;
  node.querySelector(".police-priority").dataset.priority = alert.priority;
  node.querySelector(".police-rule").textContent = t("rules", alert.rule);
  node.querySelector(".police-order").textContent = alert.order_number || "";
  node.querySelector(".police-no-contact").textContent = alert.no_contact ? msg("no_contact_yes") : msg("no");
  node.querySelector(".police-opened").textContent = fmtDateTime(alert.opened_at);
  node.querySelector(".police-district").textContent = t("districts", alert.district);
  node.querySelector(".police-due").textContent = alert.accept_due_at
    ? fmtDateTime(alert.accept_due_at)
    : alert.accepted_by ? `${msg("police_accepted_by")} ${alert.accepted_by}` : "—";
  node.querySelector(".police-respondent").replaceChildren(position(alert.respondent_position));
  const protectedCell = node.querySelector(".police-protected");
  const hers = revealed.get(alert.alert_key);
  protectedCell.replaceChildren(hers ? position(hers) : msg("police_withheld"));
  node.querySelector(".police-steps").replaceChildren(
    ...STEPS.filter((s) => alert.stages[s]).map((s) =>
      el("li", { dataset: { step: s } }, `${t("police_steps", s)} · ${fmtDateTime(alert.stages[s])}`),
    ),
  );
  const accepted = Boolean(alert.accepted_by);
  const accept = node.querySelector(".police-accept");
  accept.hidden = accepted;
  accept.addEventListener("click", () => step(alert.alert_key, "accept"));
  const dispatched = node.querySelector(".police-dispatched");
  dispatched.hidden = !accepted || Boolean(alert.stages.dispatched);
  dispatched.addEventListener("click", () => step(alert.alert_key, "dispatched"));
  const onScene = node.querySelector(".police-on-scene");
  onScene.hidden = !accepted || Boolean(alert.stages.on_scene);
  onScene.addEventListener("click", () => step(alert.alert_key, "on-scene"));
  const outcome = node.querySelector(".police-outcome");
  outcome.hidden = !accepted;
  outcome.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(outcome);
    step(alert.alert_key, "outcome", { outcome: data.get("outcome"), note: data.get("note") });
  });
  const reveal = node.querySelector(".police-reveal");
  reveal.hidden = Boolean(hers) || !PERMISSIONS.has("locations.protected.read");
  reveal.addEventListener("submit", async (event) => {
    event.preventDefault();
    document.activeElement?.blur();
    // One read with its reason (audited); the position is kept on this page.
    const reason = new FormData(reveal).get("reason");
    try {
      const one = await api(path(alert.alert_key), { query: { reason } });
      if (one.protected_position) revealed.set(alert.alert_key, one.protected_position);
      else toast(msg("police_no_position"));
    } catch (error) {
      toast(error.message);
    }
    await refresh();
  });
  return node;
}

async function refresh() {
  let alerts;
  try {
    alerts = await api("/police/alerts");
  } catch (error) {
    toast(error.message);
    return;
  }
  const list = document.getElementById("police-alerts");
  const focused = document.activeElement && list.contains(document.activeElement);
  if (focused) return; // do not redraw under the officer's fingers while he types
  list.replaceChildren(...alerts.map(card));
  document.getElementById("police-empty").hidden = alerts.length > 0;
  showLinked();
}

// The alert a message links to (/police#<key>, from a notification tapped).
let linked = "";
function showLinked() {
  const key = decodeURIComponent(location.hash.slice(1));
  if (!key || key === linked) return;
  const found = [...document.querySelectorAll(".police-card")].find((c) => c.dataset.alertKey === key);
  if (!found) return;
  linked = key;
  found.classList.add("police-linked");
  found.scrollIntoView({ block: "start" });
}
window.addEventListener("hashchange", showLinked);

// A temporary protective order of the officer's district, and the request to
// the centre to monitor it (POST /police/orders).
async function setupTemporaryOrder() {
  const form = document.getElementById("temp-order");
  if (!form) return;
  const { user } = await api("/session");
  document.getElementById("temp-district").replaceChildren(
    ...user.districts.map((d) => el("option", { value: d }, t("districts", d))),
  );
  const phones = (number) => (number.trim() ? [{ number: number.trim(), label: "" }] : []);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = {
      number: f.number.value.trim(),
      district: f.district.value,
      issuing_authority: f.issuing_authority.value.trim(),
      legal_basis: f.legal_basis.value.trim(),
      respondent: { display_name: f.respondent_name.value.trim(), phones: phones(f.respondent_phone.value) },
      protected: {
        display_name: f.protected_name.value.trim(),
        phones: phones(f.protected_phone.value),
        language: f.protected_language.value,
      },
      min_distance_m: Number(f.min_distance_m.value),
      no_contact: f.no_contact.checked,
      monitoring: f.monitoring.value,
      note: f.note.value.trim(),
    };
    try {
      await api("/police/orders", { method: "POST", body });
      toast(msg("temporary_order_made"));
      form.reset();
      form.querySelector(".form-error").textContent = "";
    } catch (failure) {
      form.querySelector(".form-error").textContent = failure.message || msg("load_failed");
    }
  });
}

startShell();
refresh();
setupTemporaryOrder();
pushSwitch();
setInterval(refresh, POLL_MS);

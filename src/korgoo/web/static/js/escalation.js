// The escalation policy: the rows in force, a row edited into a new version
// with a reason, and the versions saved before.
import { api, el, fmtDateTime, t, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
const WORDS = JSON.parse($("esc-words").textContent);
let current = null;
let editing = null;

const ruleName = (rule) => (rule === "*" ? WORDS.any_rule : t("rules", rule));
const unitName = (unit) => WORDS.units[unit || ""] || unit;
const stepsText = (steps) => steps.map((s) => `${s.after_s} ${s.notify}`).join("; ");
const channelsText = (channels) =>
  Object.entries(channels).map(([who, list]) => `${who}: ${list.join(" ")}`).join("; ");

function row(r) {
  const edit = el("button", { type: "button", class: "btn btn-quiet", "data-key": `${r.rule}/${r.priority}`, onclick: () => open(r) }, WORDS.edit);
  return el("tr", { dataset: { rule: r.rule, priority: r.priority } },
    el("td", {}, ruleName(r.rule), el("div", { class: "sub mono" }, r.rule)),
    el("td", {}, r.priority),
    el("td", { class: "num" }, r.ack_sla_s),
    el("td", { class: "mono" }, stepsText(r.steps) || "—"),
    el("td", {}, unitName(r.unit)),
    el("td", {}, unitName(r.probation_unit)),
    el("td", { class: "num" }, r.accept_s),
    el("td", { class: "mono" }, r.failover.join(", ") || "—"),
    el("td", { class: "mono" }, channelsText(r.channels) || "—"),
    el("td", {}, edit));
}

async function load() {
  try {
    const data = await api("/escalation-policy");
    current = data.current;
    $("esc-version").textContent = current.version;
    $("esc-rows").tBodies[0].replaceChildren(...current.rows.map(row));
    $("esc-versions").tBodies[0].replaceChildren(
      ...(data.versions.length
        ? data.versions.map((v) => el("tr", {},
          el("td", { class: "mono" }, v.version), el("td", { class: "num" }, fmtDateTime(v.at)),
          el("td", { class: "mono" }, v.author), el("td", {}, v.reason)))
        : [el("tr", {}, el("td", { colspan: "4", class: "empty" }, WORDS.no_versions))]));
  } catch (error) {
    toast(error.message);
  }
}

function open(r) {
  editing = r;
  $("esc-row-name").textContent = `${ruleName(r.rule)} · ${r.priority}`;
  $("esc-sla").value = r.ack_sla_s;
  $("esc-steps").value = stepsText(r.steps);
  $("esc-unit").value = r.unit || "";
  $("esc-probation-unit").value = r.probation_unit || "";
  $("esc-accept").value = r.accept_s;
  $("esc-failover").value = r.failover.join(", ");
  $("esc-channels").value = channelsText(r.channels);
  $("esc-reason").value = "";
  $("esc-error").hidden = true;
  $("esc-dialog").showModal();
}

// The form's text as the API's row; a part that is not a number stays as typed
// so the server names what is wrong with it.
function edited() {
  const parts = (text, sep) => text.split(sep).map((p) => p.trim()).filter(Boolean);
  const number = (text) => (text.trim() === "" || Number.isNaN(Number(text)) ? text : Number(text));
  const steps = parts($("esc-steps").value, ";").map((p) => {
    const [after, ...who] = p.split(/\s+/);
    return { after_s: number(after), notify: who.join(" ") };
  });
  const channels = {};
  for (const p of parts($("esc-channels").value, ";")) {
    const [who, list = ""] = p.split(":");
    channels[who.trim()] = parts(list, /\s+/);
  }
  return {
    rule: editing.rule,
    priority: editing.priority,
    ack_sla_s: number($("esc-sla").value),
    steps,
    unit: $("esc-unit").value || null,
    probation_unit: $("esc-probation-unit").value || null,
    accept_s: number($("esc-accept").value),
    failover: parts($("esc-failover").value, ","),
    channels,
  };
}

$("esc-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("/escalation-policy", {
      method: "POST",
      body: { base_version: current.version, rows: [edited()], reason: $("esc-reason").value },
    });
    $("esc-dialog").close();
    toast(WORDS.saved);
    await load();
  } catch (error) {
    $("esc-error").textContent = error.message;
    $("esc-error").hidden = false;
  }
});
$("esc-cancel").addEventListener("click", () => $("esc-dialog").close());

startShell();
load();

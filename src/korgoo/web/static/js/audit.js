// The audit log: filters (who, action, object, time range), newest first, paged.
import { api, el, fmtDateTime, fromLocalInput, listOf, msg, t, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
const PAGE = 50;
const pages = []; // the `before_id` of each page shown so far (null: the newest)
let last = []; // the entries on screen

function filters() {
  const iso = (id) => ($(id).value ? new Date(fromLocalInput($(id).value)).toISOString() : null);
  return {
    actor: $("audit-actor").value.trim(),
    action: $("audit-action").value.trim(),
    subject_contains: $("audit-object").value.trim(),
    since: iso("audit-since"),
    until: iso("audit-until"),
  };
}

// The action in words, its code beneath (what the filter takes).
function action(code) {
  const [family, kind] = code.split(".");
  let words = t("audit_actions", code);
  if (words === code && family === "alert") words = `${msg("alert_action")}: ${t("transitions", kind)}`;
  return [words, el("div", { class: "sub mono" }, code)];
}

function details(d) {
  const text = Object.entries(d || {})
    .map(([k, v]) => `${t("audit_fields", k)}: ${typeof v === "string" ? t("audit_values", v) : JSON.stringify(v)}`)
    .join("; ");
  return text || "—";
}

async function load(before) {
  try {
    // One more than a page: whether there is an older page.
    const entries = listOf(await api("/audit", { query: { ...filters(), before_id: before, limit: PAGE + 1 } }), "entries");
    last = entries.slice(0, PAGE);
    $("audit").tBodies[0].replaceChildren(
      ...(last.length
        ? last.map((e) =>
          el("tr", {},
            el("td", { class: "num" }, e.id),
            el("td", { class: "num" }, fmtDateTime(e.at)),
            el("td", { class: "mono" }, t("actors", e.actor)),
            el("td", {}, action(e.action)),
            el("td", { class: "mono" }, e.subject),
            el("td", { class: "audit-details" }, details(e.details))))
        : [el("tr", {}, el("td", { colspan: "6", class: "empty" }, msg("no_entries")))]),
    );
    $("audit-older").disabled = entries.length <= PAGE;
    $("audit-newer").disabled = pages.length <= 1;
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

$("audit-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  pages.length = 0;
  pages.push(null);
  load(null);
});
$("audit-filters").addEventListener("reset", () => {
  setTimeout(() => $("audit-filters").requestSubmit(), 0);
});
$("audit-older").addEventListener("click", () => {
  const before = last[last.length - 1].id;
  pages.push(before);
  load(before);
});
$("audit-newer").addEventListener("click", () => {
  pages.pop();
  load(pages[pages.length - 1]);
});

// A link may name a filter: /audit?subject=user:operator
const given = new URLSearchParams(location.search);
$("audit-object").value = given.get("subject") || "";
$("audit-actor").value = given.get("actor") || "";
startShell();
pages.push(null);
load(null);

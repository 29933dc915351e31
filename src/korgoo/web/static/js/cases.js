// The list of protective orders; each opens its case page.
import { api, el, fmtDateTime, listOf, msg, t, toast } from "./common.js";
import { startShell } from "./shell.js";

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

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
form.addEventListener("reset", () => setTimeout(load, 0));
for (const select of form.querySelectorAll("select")) select.addEventListener("change", load);
const given = new URLSearchParams(location.search);
for (const name of FILTERS) if (given.has(name)) form.elements[name].value = given.get(name);

startShell();
load();

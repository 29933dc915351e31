// The list of protective orders; each opens its case page.
import { api, el, fmtDateTime, listOf, msg, t, toast } from "./common.js";
import { startShell } from "./shell.js";

async function load() {
  try {
    const orders = listOf(await api("/orders"), "orders");
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

startShell();
load();

// The ministry's statistics: figures over a period and district, drawn with the
// vendored Chart.js (window.Chart) and listed in tables; exports as CSV and XLSX.
import { api, el, LANG, msg, t, toast, TZ } from "./common.js";
import { startShell } from "./shell.js";

const Chart = window.Chart;
const charts = {};
const COLOURS = ["#1d4ed8", "#ea580c", "#059669", "#7c3aed", "#dc2626", "#0891b2", "#ca8a04", "#6b7280"];
const OUTCOME_COLOURS = {
  true_breach: "#dc2626", false_alarm: "#f59e0b", device_fault: "#6b7280",
  authorised_presence: "#059669", other: "#7c3aed", open: "#93c5fd",
};
const numberLang = Intl.NumberFormat.supportedLocalesOf([LANG]).length ? LANG : "ru";
const integer = new Intl.NumberFormat(numberLang, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(numberLang, { maximumFractionDigits: 1 });
const rate = new Intl.NumberFormat(numberLang, { maximumFractionDigits: 4 });
const dayOf = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" });

function minutes(seconds) {
  if (seconds === null || seconds === undefined) return null;
  return seconds < 120 ? `${integer.format(seconds)} ${msg("seconds")}` : `${decimal.format(seconds / 60)} ${msg("minutes")}`;
}

function filters() {
  const form = document.getElementById("stats-filters");
  return {
    from: form.elements.from.value,
    to: form.elements.to.value,
    district: form.elements.district.value,
  };
}

function setDefaults() {
  const params = new URLSearchParams(location.search);
  const form = document.getElementById("stats-filters");
  const today = dayOf.format(Date.now());
  const monthAgo = dayOf.format(Date.now() - 29 * 86400000);
  form.elements.from.value = params.get("from") || monthAgo;
  form.elements.to.value = params.get("to") || today;
  form.elements.district.value = params.get("district") || "";
}

function query(extra = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters(), ...extra })) if (v) params.set(k, v);
  return params.toString();
}

function countRows(tableId, items, group) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(
    ...items.map((c) =>
      el("tr", {}, el("th", { scope: "row" }, group ? t(group, c.key) : c.key), el("td", { class: "num" }, integer.format(c.count))),
    ),
  );
  if (!items.length) body.append(el("tr", {}, el("td", { colspan: "2", class: "empty" }, msg("no_figures"))));
}

function draw(id, config) {
  if (!Chart) return;
  if (charts[id]) charts[id].destroy();
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { position: "bottom" } },
    ...config.options,
  };
  charts[id] = new Chart(document.getElementById(id), { ...config, options });
}

function render(s) {
  document.getElementById("tile-orders").textContent = integer.format(s.orders);
  document.getElementById("tile-devices").textContent = integer.format(s.devices_in_use);
  document.getElementById("tile-alerts").textContent = integer.format(s.alerts);
  document.getElementById("tile-days").textContent = decimal.format(s.person_days);
  const ack = s.response_times.find((r) => r.stage === "acknowledged");
  document.getElementById("tile-ack").textContent = minutes(ack && ack.median_s) || msg("not_recorded");

  countRows("t-orders-kind", s.orders_by_kind, "order_kinds");
  countRows("t-orders-status", s.orders_by_status, "order_status");
  countRows("t-orders-mode", s.orders_by_mode, "device_kinds");
  countRows("t-orders-district", s.orders_by_district, "districts");
  countRows("t-devices", s.devices_by_kind, "device_kinds");
  countRows("t-outcomes", s.alerts_by_outcome, "outcome_classes");
  countRows("t-priorities", s.alerts_by_priority, null);

  const orderBars = [
    ...s.orders_by_kind.map((c) => [t("order_kinds", c.key), c.count, COLOURS[0]]),
    ...s.orders_by_status.map((c) => [t("order_status", c.key), c.count, COLOURS[2]]),
    ...s.orders_by_mode.map((c) => [t("device_kinds", c.key), c.count, COLOURS[1]]),
  ];
  draw("chart-orders", {
    type: "bar",
    data: {
      labels: orderBars.map((b) => b[0]),
      datasets: [{ label: msg("order"), data: orderBars.map((b) => b[1]), backgroundColor: orderBars.map((b) => b[2]) }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  const outcomes = s.alerts_by_outcome.filter((c) => c.count > 0);
  draw("chart-outcomes", {
    type: "doughnut",
    data: {
      labels: outcomes.map((c) => t("outcome_classes", c.key)),
      datasets: [{ data: outcomes.map((c) => c.count), backgroundColor: outcomes.map((c) => OUTCOME_COLOURS[c.key] || COLOURS[7]) }],
    },
    options: { plugins: { legend: { position: "right" } } },
  });

  const falseByRule = Object.fromEntries(s.false_alarms_by_rule.map((r) => [r.key, r]));
  draw("chart-rules", {
    type: "bar",
    data: {
      labels: s.alerts_by_rule.map((c) => t("rules", c.key)),
      datasets: [
        { label: msg("alerts_count"), data: s.alerts_by_rule.map((c) => c.count), backgroundColor: COLOURS[0] },
        { label: msg("false_alarms"), data: s.alerts_by_rule.map((c) => (falseByRule[c.key] || {}).count || 0), backgroundColor: "#f59e0b" },
      ],
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const rules = document.querySelector("#t-rules tbody");
  rules.replaceChildren(
    ...s.alerts_by_rule.map((c) => {
      const f = falseByRule[c.key];
      return el(
        "tr", {},
        el("th", { scope: "row" }, t("rules", c.key)),
        el("td", { class: "num" }, integer.format(c.count)),
        el("td", { class: "num" }, integer.format(f ? f.count : 0)),
        el("td", { class: "num" }, f && f.rate !== null ? rate.format(f.rate) : "—"),
      );
    }),
  );
  if (!s.alerts_by_rule.length) rules.append(el("tr", {}, el("td", { colspan: "4", class: "empty" }, msg("no_figures"))));

  draw("chart-response", {
    type: "bar",
    data: {
      labels: s.response_times.map((r) => t("stages", r.stage)),
      datasets: [
        { label: msg("median"), data: s.response_times.map((r) => (r.median_s === null ? null : r.median_s / 60)), backgroundColor: COLOURS[0] },
        { label: msg("p90"), data: s.response_times.map((r) => (r.p90_s === null ? null : r.p90_s / 60)), backgroundColor: "#93c5fd" },
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: msg("minutes") } } } },
  });
  document.querySelector("#t-response tbody").replaceChildren(
    ...s.response_times.map((r) =>
      el(
        "tr", { dataset: { stage: r.stage } },
        el("th", { scope: "row" }, t("stages", r.stage)),
        el("td", { class: "num" }, integer.format(r.n)),
        r.median_s === null
          ? el("td", { class: "not-recorded", colspan: "2" }, msg("not_recorded"))
          : el("td", { class: "num" }, minutes(r.median_s)),
        r.median_s === null ? null : el("td", { class: "num" }, minutes(r.p90_s)),
      ),
    ),
  );

  draw("chart-breaches", {
    type: "bar",
    data: {
      labels: s.breaches_by_mode.map((r) => t("device_kinds", r.key)),
      datasets: [{ label: msg("per_order_month"), data: s.breaches_by_mode.map((r) => r.rate || 0), backgroundColor: "#dc2626" }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  });
  document.querySelector("#t-breaches tbody").replaceChildren(
    ...s.breaches_by_mode.map((r) =>
      el(
        "tr", {},
        el("th", { scope: "row" }, t("device_kinds", r.key)),
        el("td", { class: "num" }, integer.format(r.count)),
        el("td", { class: "num" }, decimal.format(r.exposure)),
        el("td", { class: "num" }, r.rate === null ? "—" : rate.format(r.rate)),
      ),
    ),
  );
}

async function load() {
  const q = query();
  document.getElementById("export-csv").href = `/api/v1/statistics.csv?${query({ lang: LANG })}`;
  document.getElementById("export-xlsx").href = `/api/v1/statistics.xlsx?${query({ lang: LANG })}`;
  history.replaceState(null, "", q ? `?${q}` : location.pathname);
  try {
    render(await api("/statistics", { query: filters() }));
    document.querySelector("main").dataset.loaded = "1";
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

startShell();
setDefaults();
document.getElementById("stats-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const f = filters();
  if (f.from && f.to && f.to < f.from) {
    toast(msg("bad_period"));
    return;
  }
  load();
});
load();

// The centre's queue of monitoring requests from the police: each request with
// its steps (who, when); the supervisor marks the device on, monitoring
// started, or refuses with a reason.
import { api, el, fmtWhen, msg, t, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 30_000;

function steps(r) {
  const done = [
    ["requested", r.requested_by, r.requested_at],
    [r.kind === "bracelet" ? "fitted" : "enrolled", r.fitted_by, r.fitted_at],
    ["started", r.started_by, r.started_at],
    ["refused", r.refused_by, r.refused_at],
  ].filter(([, who]) => who);
  return done.map(([status, who, at]) => el("li", {}, `${t("request_status", status)} · ${who} · ${fmtWhen(at)}`));
}

function card(r) {
  const node = $("request-template").content.firstElementChild.cloneNode(true);
  node.dataset.request = r.id;
  node.dataset.status = r.status;
  node.querySelector(".request-title").replaceChildren(
    el("a", { href: `/cases/${encodeURIComponent(r.order_id)}` }, `${msg("order")} ${r.order_number}`),
  );
  node.querySelector(".request-meta").textContent =
    `${t("monitoring_kinds", r.kind)} · ${t("districts", r.district)} · ${t("request_status", r.status)}`;
  node.querySelector(".request-note").textContent = r.note;
  node.querySelector(".request-steps").replaceChildren(...steps(r));
  if (r.refusal_reason) node.querySelector(".request-note").textContent += ` — ${r.refusal_reason}`;
  const form = node.querySelector(".request-actions");
  if (!form) return node;
  if (!["requested", "fitted", "enrolled"].includes(r.status)) {
    form.remove();
    return node;
  }
  const error = form.querySelector(".form-error");
  const step = async (action, body) => {
    try {
      await api(`/requests/${encodeURIComponent(r.id)}/${action}`, { method: "POST", body });
      toast(msg("request_saved"));
      await load();
    } catch (failure) {
      error.textContent = failure.message || msg("load_failed");
    }
  };
  form.querySelector(".request-fitted").disabled = r.status !== "requested";
  form.querySelector(".request-fitted").addEventListener("click", () => step("fitted"));
  form.querySelector(".request-started").addEventListener("click", () => step("started"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = form.elements.reason.value.trim();
    if (!reason) {
      error.textContent = msg("refusal_needs_reason");
      return;
    }
    step("refused", { reason });
  });
  return node;
}

async function load() {
  try {
    const found = await api("/requests", { query: { all: $("requests-all").checked } });
    $("requests").replaceChildren(
      ...(found.length ? found.map(card) : [el("p", { class: "empty" }, msg("no_requests"))]),
    );
    document.querySelector("main").dataset.loaded = "1";
  } catch (failure) {
    toast(failure.message || msg("load_failed"));
  }
}

startShell();
$("requests-all").addEventListener("change", load);
load();
setInterval(() => {
  if (!document.activeElement || document.activeElement.tagName !== "INPUT") load();
}, REFRESH_MS);

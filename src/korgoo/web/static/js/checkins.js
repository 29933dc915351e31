// Identity check-ins to review: each photo beside the respondent's reference
// photo; the operator confirms it, or rejects it with a reason (an alert).
import { api, el, fmtWhen, listOf, msg, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 30_000;

function card(c) {
  const node = $("review-template").content.firstElementChild.cloneNode(true);
  node.dataset.checkin = c.id;
  node.querySelector(".review-title").replaceChildren(
    el("a", { href: `/cases/${encodeURIComponent(c.order_id)}` }, `${msg("order")} ${c.order_number || c.order_id}`),
  );
  node.querySelector(".review-meta").textContent =
    `${fmtWhen(c.photo_at)} · ${msg(c.on_time ? "checkin_in_time" : "checkin_late")}`;
  node.querySelector(".review-photo").src = c.photo_url;
  const reference = node.querySelector(".review-reference");
  if (c.reference_photo_url) reference.querySelector("img").src = c.reference_photo_url;
  else reference.replaceChildren(el("p", { class: "help" }, msg("no_reference_photo")));
  const form = node.querySelector(".review-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const outcome = event.submitter ? event.submitter.value : "confirmed";
      const note = form.elements.note.value.trim();
      const error = form.querySelector(".form-error");
      if (outcome === "rejected" && !note) {
        error.textContent = msg("reject_needs_reason");
        form.elements.note.focus();
        return;
      }
      try {
        await api(`/checkins/${encodeURIComponent(c.id)}/review`, { method: "POST", body: { outcome, note } });
        toast(msg("checkin_reviewed"));
        await load();
      } catch (failure) {
        error.textContent = failure.message || msg("load_failed");
      }
    });
  }
  return node;
}

async function load() {
  try {
    const waiting = listOf(await api("/checkin-reviews"), "checkins");
    $("checkin-reviews").replaceChildren(
      ...(waiting.length ? waiting.map(card) : [el("p", { class: "empty" }, msg("no_checkins_to_review"))]),
    );
    document.querySelector("main").dataset.loaded = "1";
  } catch (failure) {
    toast(failure.message || msg("load_failed"));
  }
}

startShell();
load();
setInterval(() => {
  // Never redraw under an operator who is typing a reason.
  if (!document.activeElement || document.activeElement.tagName !== "TEXTAREA") load();
}, REFRESH_MS);

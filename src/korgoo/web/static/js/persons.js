// Persons: the list, and for a supervisor the form to register a person or edit
// their contacts (phones with whose they are, addresses, the operator's note).
import { api, csrfToken, el, listOf, msg, t, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
const form = $("person-form");
let persons = [];
let editing = null; // the person whose contacts the form shows; null: a new one

function phoneText(p) {
  return (p.phones || []).map((ph) => (ph.label ? `${ph.number} (${ph.label})` : ph.number)).join(", ");
}

function renderList() {
  const rows = persons.map((p) =>
    el("tr", { dataset: { personId: p.id } },
      el("td", {}, p.display_name),
      el("td", {}, t("person_roles", p.role)),
      el("td", {}, t("districts", p.district)),
      el("td", { class: "phones" }, phoneText(p) || "—"),
      el("td", {}, form
        ? el("button", { type: "button", class: "btn btn-quiet edit-person", onclick: () => edit(p) }, msg("edit"))
        : null)),
  );
  $("persons").tBodies[0].replaceChildren(
    ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "5" }, msg("no_persons")))]),
  );
}

async function load() {
  try {
    persons = listOf(await api("/persons"), "persons");
    renderList();
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

function addRow(listId, templateId, values) {
  const row = $(templateId).content.firstElementChild.cloneNode(true);
  for (const [cls, value] of Object.entries(values)) row.querySelector("." + cls).value = value ?? "";
  row.querySelector(".remove-row").addEventListener("click", () => row.remove());
  $(listId).append(row);
  return row;
}

function fill(person) {
  editing = person;
  const heading = $("person-form-h");
  heading.textContent = person ? `${heading.dataset.edit}: ${person.display_name}` : heading.dataset.new;
  $("person-name").value = person ? person.display_name : "";
  $("person-role").value = person ? person.role : "protected";
  $("person-district").value = person ? person.district : $("person-district").options[0].value;
  $("person-role").disabled = Boolean(person);
  $("person-district").disabled = Boolean(person);
  $("person-birth").value = (person && person.birth_date) || "";
  $("person-birth").max = new Date().toISOString().slice(0, 10);
  $("person-language").value = (person && person.language) || "";
  $("person-note").value = (person && person.note) || "";
  $("phones").replaceChildren();
  $("addresses").replaceChildren();
  for (const p of (person && person.phones) || [{}]) addRow("phones", "phone-row", { "phone-number": p.number, "phone-label": p.label });
  for (const a of (person && person.addresses) || []) addRow("addresses", "address-row", { "address-label": a.label, "address-text": a.text });
  $("person-new").hidden = !person;
  $("person-error").textContent = "";
  showPhoto(person);
}

// The reference photo an operator compares check-in photos with.
function showPhoto(person) {
  $("photo-field").hidden = !person;
  $("person-photo-file").value = "";
  const img = $("person-photo");
  img.hidden = !(person && person.has_photo);
  if (person && person.has_photo) img.src = `/api/v1/persons/${encodeURIComponent(person.id)}/photo?v=${Date.now()}`;
}

async function uploadPhoto() {
  const file = $("person-photo-file").files[0];
  if (!file || !editing) return;
  const data = new FormData();
  data.append("photo", file, "photo.jpg");
  const response = await fetch(`/api/v1/persons/${encodeURIComponent(editing.id)}/photo`, {
    method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() },
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    $("person-error").textContent = typeof answer.detail === "string" ? answer.detail : response.statusText;
    return;
  }
  toast(msg("saved"));
  editing = { ...editing, has_photo: true };
  showPhoto(editing);
  await load();
}

function edit(person) {
  fill(person);
  $("person-name").focus();
}

// The first field the browser finds invalid, said in the page's language.
function invalidField() {
  const bad = form.querySelector(":invalid:not(fieldset)");
  if (!bad) return null;
  const label = bad.closest("label")?.querySelector(".field-label")?.textContent
    || form.querySelector(`label[for="${bad.id}"]`)?.textContent || "";
  const why = bad.validity.valueMissing ? msg("required_field") : msg("invalid_value");
  bad.focus();
  return `${label.trim()}: ${why}`;
}

function body() {
  const rows = (listId, build) => [...$(listId).children].map(build);
  return {
    display_name: $("person-name").value.trim(),
    birth_date: $("person-birth").value || null,
    language: $("person-language").value || null,
    phones: rows("phones", (r) => ({ number: r.querySelector(".phone-number").value.trim(), label: r.querySelector(".phone-label").value.trim() })),
    addresses: rows("addresses", (r) => ({ label: r.querySelector(".address-label").value.trim(), text: r.querySelector(".address-text").value.trim() })),
    note: $("person-note").value.trim(),
  };
}

async function save(event) {
  event.preventDefault();
  $("person-error").textContent = "";
  const problem = invalidField();
  if (problem) {
    $("person-error").textContent = problem;
    return;
  }
  $("person-save").disabled = true;
  try {
    const saved = editing
      ? await api(`/persons/${encodeURIComponent(editing.id)}`, { method: "PATCH", body: body() })
      : await api("/persons", {
        method: "POST",
        body: { ...body(), role: $("person-role").value, district: $("person-district").value },
      });
    toast(msg("saved"));
    await load();
    fill(saved);
  } catch (error) {
    $("person-error").textContent = error.message;
  } finally {
    $("person-save").disabled = false;
  }
}

startShell();
if (form) {
  form.addEventListener("submit", save);
  $("add-phone").addEventListener("click", () => addRow("phones", "phone-row", {}).querySelector("input").focus());
  $("add-address").addEventListener("click", () => addRow("addresses", "address-row", {}).querySelector("input").focus());
  $("person-new").addEventListener("click", () => edit(null));
  $("person-photo-file").addEventListener("change", uploadPhoto);
  fill(null);
}
load();

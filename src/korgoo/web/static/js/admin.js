// User administration: the users with their state, and the changes an
// administrator makes to them, each with a reason for the audit log.
import { api, el, fmtWhen, listOf, msg, setupDialog, t, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
let users = [];
let editing = null; // the user being changed; null: a new user
let action = null; // { user, path, done }

function districtNames(codes) {
  return codes.length ? codes.map((c) => t("districts", c)).join(", ") : msg("all_districts");
}

function state(u) {
  const pills = [];
  if (u.disabled) pills.push(el("span", { class: "pill pill-resolved" }, msg("user_disabled")));
  if (u.locked_until) {
    pills.push(el("span", { class: "pill pill-active" }, `${msg("user_locked")} ${fmtWhen(u.locked_until)}`));
  }
  if (u.failed_logins && !u.locked_until) {
    pills.push(el("span", { class: "pill pill-late" }, `${msg("failed_logins")}: ${u.failed_logins}`));
  }
  if (!pills.length) pills.push(el("span", { class: "pill pill-normal" }, msg("user_active")));
  return pills;
}

function button(label, onclick, extra = {}) {
  return el("button", { type: "button", class: "btn btn-small", onclick, ...extra }, label);
}

function actions(u) {
  const who = u.username;
  return el("div", { class: "row-actions" },
    button(msg("change"), () => openUser(u), { "aria-label": `${msg("change")} ${who}` }),
    u.failed_logins
      ? button(msg("unlock"), () => openAction(u, "unlock"), { class: "btn btn-small btn-warn", "aria-label": `${msg("unlock")} ${who}`, dataset: { action: "unlock" } })
      : null,
    button(msg("new_totp"), () => openAction(u, "totp"), { "aria-label": `${msg("new_totp")} ${who}` }),
    el("a", { class: "btn btn-small", href: `/audit?subject=${encodeURIComponent(`user:${who}`)}` }, msg("history")),
    u.disabled
      ? button(msg("enable"), () => openAction(u, "enable"), { "aria-label": `${msg("enable")} ${who}` })
      : button(msg("disable"), () => openAction(u, "disable"), { "aria-label": `${msg("disable")} ${who}` }),
  );
}

async function load() {
  try {
    users = listOf(await api("/users"), "users");
    $("users").tBodies[0].replaceChildren(
      ...users.map((u) =>
        el("tr", { dataset: { user: u.username } },
          el("td", { class: "mono" }, u.username),
          el("td", {}, u.display_name),
          el("td", {}, t("roles", u.role)),
          el("td", {}, districtNames(u.districts)),
          el("td", { class: "user-state" }, state(u)),
          el("td", {}, u.totp ? msg("yes") : msg("no")),
          el("td", {}, actions(u)))),
    );
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

function showSecrets(password, answer) {
  $("secret-password").textContent = password || "";
  $("secret-password").hidden = $("secret-password-label").hidden = !password;
  const secret = answer.totp_secret;
  $("secret-totp").textContent = secret || "";
  $("secret-totp").hidden = $("secret-totp-label").hidden = !secret;
  const qr = $("secret-qr");
  qr.hidden = !answer.totp_qr;
  if (answer.totp_qr) qr.src = answer.totp_qr;
  else qr.removeAttribute("src");
  if (password || secret) $("secret-dialog").showModal();
}

function tickedDistricts() {
  return [...document.querySelectorAll('#user-form input[name="district"]:checked')].map((i) => i.value);
}

const showUser = setupDialog($("user-dialog"), async () => {
  const reason = $("user-reason").value.trim();
  if (editing) {
    const answer = await api(`/users/${encodeURIComponent(editing.username)}`, {
      method: "PATCH",
      body: {
        role: $("user-role").value,
        districts: tickedDistricts(),
        display_name: $("user-display").value.trim() || editing.display_name,
        reason,
      },
    });
    showSecrets(null, answer);
  } else {
    const answer = await api("/users", {
      method: "POST",
      body: {
        username: $("user-username").value.trim(),
        display_name: $("user-display").value.trim(),
        role: $("user-role").value,
        districts: tickedDistricts(),
        language: $("user-language").value,
        reason,
      },
    });
    showSecrets(answer.password, { totp_secret: answer.totp_secret, totp_qr: answer.totp_qr });
  }
  toast(msg("saved"));
  await load();
});

function openUser(u) {
  editing = u;
  $("user-title").textContent = u ? `${msg("change_user")}: ${u.username}` : msg("new_user");
  $("user-username-field").hidden = Boolean(u);
  $("user-username").required = !u;
  $("user-language-field").hidden = Boolean(u);
  showUser();
  // After the dialog's reset: fill in the user's current values.
  $("user-display").value = u ? u.display_name : "";
  $("user-role").value = u ? u.role : "operator";
  for (const box of document.querySelectorAll('#user-form input[name="district"]')) {
    box.checked = Boolean(u && u.districts.includes(box.value));
  }
}

const ACTIONS = {
  unlock: { title: "unlock_user", help: "unlock_help" },
  totp: { title: "new_totp_title", help: "new_totp_help" },
  disable: { title: "disable_user", help: "disable_help" },
  enable: { title: "enable_user", help: "enable_help" },
};

const showAction = setupDialog($("action-dialog"), async () => {
  const answer = await api(`/users/${encodeURIComponent(action.user.username)}/${action.kind}`, {
    method: "POST", body: { reason: $("action-reason").value.trim() },
  });
  showSecrets(null, answer);
  toast(msg("saved"));
  await load();
});

function openAction(user, kind) {
  action = { user, kind };
  $("action-title").textContent = `${msg(ACTIONS[kind].title)}: ${user.username}`;
  $("action-help").textContent = msg(ACTIONS[kind].help);
  showAction();
}

$("user-new").addEventListener("click", () => openUser(null));
startShell();
load();

// User administration: the users with their state, and the changes an
// administrator makes to them, each with a reason for the audit log.
import { api, el, fmtWhen, listOf, msg, setupDialog, t, toast } from "./common.js";
import { startShell } from "./shell.js";

const $ = (id) => document.getElementById(id);
let users = [];
let editing = null; // the user being changed; null: a new user
let action = null; // { title, path, method, body }: a change confirmed with a reason

function districtNames(codes) {
  return codes.length ? codes.map((c) => t("districts", c)).join(", ") : msg("all_districts");
}

function agencyName(id) {
  const option = id ? $("user-agency").querySelector(`option[value="${CSS.escape(id)}"]`) : null;
  return option ? option.textContent : "";
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
          el("td", {}, agencyName(u.agency)),
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
        agency: $("user-agency").value,
        districts: tickedDistricts(),
        display_name: $("user-display").value.trim() || editing.display_name,
        phone: $("user-phone").value.trim(),
        email: $("user-email").value.trim(),
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
        agency: $("user-agency").value,
        districts: tickedDistricts(),
        language: $("user-language").value,
        phone: $("user-phone").value.trim(),
        email: $("user-email").value.trim(),
        reason,
      },
    });
    showSecrets(answer.password, { totp_secret: answer.totp_secret, totp_qr: answer.totp_qr });
  }
  toast(msg("saved"));
  await load();
});

// The agency decides which roles fit and the districts served: roles that do not
// fit are disabled, and the agency's districts are ticked (the administrator may
// untick some; none ticked sends the agency's own).
function agencyChosen(keepDistricts) {
  const option = $("user-agency").selectedOptions[0];
  const roles = option.dataset.roles.split(" ");
  const role = $("user-role");
  for (const o of role.options) o.disabled = !roles.includes(o.value);
  if (!roles.includes(role.value)) role.value = roles[0];
  if (keepDistricts) return;
  const served = option.dataset.districts.split(" ").filter(Boolean);
  for (const box of document.querySelectorAll('#user-form input[name="district"]')) {
    box.checked = served.includes(box.value);
  }
}

function openUser(u) {
  editing = u;
  $("user-title").textContent = u ? `${msg("change_user")}: ${u.username}` : msg("new_user");
  $("user-username-field").hidden = Boolean(u);
  $("user-username").required = !u;
  $("user-language-field").hidden = Boolean(u);
  showUser();
  // After the dialog's reset: fill in the user's current values.
  $("user-display").value = u ? u.display_name : "";
  $("user-phone").value = (u && u.phone) || "";
  $("user-email").value = (u && u.email) || "";
  $("user-agency").value = (u && u.agency) || $("user-agency").options[0].value;
  $("user-role").value = u ? u.role : "operator";
  agencyChosen(Boolean(u));
  if (u) {
    for (const box of document.querySelectorAll('#user-form input[name="district"]')) {
      box.checked = u.districts.includes(box.value);
    }
  }
}

$("user-agency").addEventListener("change", () => agencyChosen(false));

const ACTIONS = {
  unlock: { title: "unlock_user", help: "unlock_help" },
  totp: { title: "new_totp_title", help: "new_totp_help" },
  disable: { title: "disable_user", help: "disable_help" },
  enable: { title: "enable_user", help: "enable_help" },
};

const showAction = setupDialog($("action-dialog"), async () => {
  const answer = await api(action.path, {
    method: action.method, body: { ...action.body, reason: $("action-reason").value.trim() },
  });
  if (action.path.startsWith("/users/")) showSecrets(null, answer);
  toast(msg("saved"));
  await load();
  await loadJurisdictions();
});

function confirmAction(title, help, path, method, body = {}) {
  action = { path, method, body };
  $("action-title").textContent = title;
  $("action-help").textContent = help;
  showAction();
}

function openAction(user, kind) {
  confirmAction(
    `${msg(ACTIONS[kind].title)}: ${user.username}`,
    msg(ACTIONS[kind].help),
    `/users/${encodeURIComponent(user.username)}/${kind}`,
    "POST",
  );
}

// The rollout switch per jurisdiction: orders are refused where it is off.
async function loadJurisdictions() {
  try {
    const found = listOf(await api("/jurisdictions"), "jurisdictions");
    $("jurisdictions").tBodies[0].replaceChildren(
      ...found.map((j) => {
        const on = j.monitoring_enabled;
        const verb = on ? "switch_off" : "switch_on";
        const name = t("districts", j.code);
        return el("tr", { dataset: { jurisdiction: j.code } },
          el("td", {}, name),
          el("td", { class: "mono" }, j.code),
          el("td", {}, el("span", { class: `pill ${on ? "pill-normal" : "pill-resolved"}` },
            msg(on ? "monitoring_on" : "monitoring_off"))),
          el("td", {}, button(msg(verb), () => confirmAction(
            `${msg(`${verb}_title`)}: ${name}`,
            msg(`${verb}_help`),
            `/jurisdictions/${encodeURIComponent(j.code)}`,
            "PATCH",
            { monitoring_enabled: !on },
          ), { "aria-label": `${msg(verb)} ${name}`, dataset: { action: verb } })));
      }),
    );
  } catch (error) {
    toast(error.message || msg("load_failed"));
  }
}

$("user-new").addEventListener("click", () => openUser(null));
startShell();
load();
loadJurisdictions();

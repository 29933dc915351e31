// The sign-in form: username, password and the one-time code.
import { api, msg } from "./common.js";
import { startShell } from "./shell.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const button = document.getElementById("login-submit");
  button.disabled = true;
  try {
    await api("/session", {
      method: "POST",
      body: {
        username: document.getElementById("username").value.trim(),
        password: document.getElementById("password").value,
        totp: document.getElementById("totp").value.trim(),
      },
    });
    location.assign(nextPage());
  } catch (failure) {
    // The page's language, not the server's English, for the answers a person sees most.
    const known = { 401: "login_failed", 429: "login_throttled" }[failure.status];
    error.textContent = known ? msg(known) : failure.message;
    document.getElementById("password").select();
  } finally {
    button.disabled = false;
  }
});

startShell();

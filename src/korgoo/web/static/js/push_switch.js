// "Notify this phone": the switch for Web Push on the police view and the
// probation caseload. On, it registers the police view's service worker (it
// shows the notifications of both), asks the browser for notifications,
// subscribes with the centre's VAPID key and gives the subscription to the
// server (for this user, until he logs out of this browser); off, it removes
// it on the server and in the browser.
import { api, msg } from "./common.js";

const WORKER = "/police-sw.js";
const SCOPE = "/police";

function base64UrlBytes(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
}

function base64Url(buffer) {
  const text = btoa(String.fromCharCode(...new Uint8Array(buffer)));
  return text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function switchOn(registration) {
  if ((await Notification.requestPermission()) !== "granted") throw new Error(msg("push_denied"));
  const { public_key: key } = await api("/push/vapid-key");
  let subscription = await registration.pushManager.getSubscription();
  const made = subscription && subscription.options.applicationServerKey;
  if (subscription && (!made || base64Url(made) !== key)) {
    // Made with another key: the push service would refuse the centre's messages.
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ||= await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64UrlBytes(key),
  });
  await api("/push-subscriptions", { method: "POST", body: subscription.toJSON() });
}

async function switchOff(registration) {
  const subscription = await registration.pushManager.getSubscription();
  if (!subscription) return;
  await api("/push-subscriptions", { method: "DELETE", query: { endpoint: subscription.endpoint } });
  await subscription.unsubscribe();
}

export async function pushSwitch() {
  const box = document.getElementById("push-switch");
  const toggle = document.getElementById("push-toggle");
  const note = document.getElementById("push-note");
  if (!box || !toggle || !note) return;
  box.hidden = false;
  const show = (on, text = "") => {
    toggle.checked = on;
    note.textContent = text || msg(on ? "push_on" : "push_off");
  };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    toggle.disabled = true;
    show(false, msg("push_unsupported"));
    return;
  }
  let registration;
  try {
    registration = await navigator.serviceWorker.register(WORKER, { scope: SCOPE });
    const current = await registration.pushManager.getSubscription();
    const stored = current
      ? (await api("/push-subscriptions", { query: { endpoint: current.endpoint } })).subscribed
      : false;
    show(stored && Notification.permission === "granted");
  } catch {
    toggle.disabled = true;
    show(false, msg("push_unsupported"));
    return;
  }
  toggle.addEventListener("change", async () => {
    const wanted = toggle.checked;
    toggle.disabled = true;
    try {
      await (wanted ? switchOn(registration) : switchOff(registration));
      show(wanted);
    } catch (error) {
      show(!wanted, `${msg("push_failed")} ${error.message || ""}`.trim());
    } finally {
      toggle.disabled = false;
    }
  });
}

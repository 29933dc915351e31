// Service worker of the phone apps (scope /app/): the pages open without a
// network, and a Web Push message reaches the app when it has no live stream.
// The app API (/app/api/) is never cached.

const CACHE = "korgoo-app-v1";
const SHELL = [
  "/app/respondent",
  "/app/victim",
  "/app/enrol",
  "/static/app/app.css",
  "/static/app/common.js",
  "/static/app/respondent.js",
  "/static/app/victim.js",
  "/static/app/enrol.js",
  "/static/app/icons/respondent.svg",
  "/static/app/icons/victim.svg",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function cacheable(url) {
  return (
    url.origin === self.location.origin &&
    !url.pathname.startsWith("/app/api/") &&
    (url.pathname.startsWith("/app/") || url.pathname.startsWith("/static/app/"))
  );
}

// Network first, so a phone online always runs the current version; the cached
// copy when offline.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !cacheable(url)) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() =>
        caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || Response.error()),
      ),
  );
});

// The words in the phone's language, saved by the page in IndexedDB.
function labels() {
  return new Promise((resolve) => {
    const open = indexedDB.open("korgoo-app", 1);
    open.onupgradeneeded = () => {
      open.result.createObjectStore("kv");
      open.result.createObjectStore("outbox", { autoIncrement: true });
    };
    open.onerror = () => resolve({});
    open.onsuccess = () => {
      const get = open.result.transaction("kv").objectStore("kv").get("labels");
      get.onsuccess = () => resolve(get.result || {});
      get.onerror = () => resolve({});
    };
  });
}

const TEXT = {
  instruction: (data, L) =>
    data.code === "clear"
      ? [L.clear, ""]
      : data.code === "leave_zone"
        ? [L.leave_zone_title, L.leave_zone_more]
        : data.code === "leave_area"
          ? [L.leave_area_title, L.leave_area_body]
          : [L.leave_now_title, L.leave_now_body],
  warning: (data, L) =>
    data.level === "technical"
      ? [L.technical_title, L.technical_system]
      : [L[`${data.level}_title`], L[`${data.level}_body`]],
  checkin: (_, L) => [L.checkin_title, L.checkin_body],
  panic_received: (_, L) => [L.panic_confirmed, ""],
  revoked: (_, L) => [L.revoked, ""],
  order_ended: (data, L) => [
    L.order_over,
    (data.status === "revoked" ? L.order_revoked : L.order_ended || "").replace("{date}", localDate(data.at)),
  ],
};

function localDate(at) {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short", timeZone: "Asia/Bishkek" }).format(new Date(at));
  } catch {
    return at || "";
  }
}

const VIBRATE = {
  instruction: [700, 200, 700, 200, 700],
  alert: [700, 200, 700, 200, 700],
  prealert: [300, 300, 300],
  all_clear: [120],
  technical: [60],
};

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  const kind = message.event;
  const data = message.data || {};
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) client.postMessage({ event: kind, data });
      const L = await labels();
      const [title, body] = TEXT[kind] ? TEXT[kind](data, L) : ["Korgoo", ""];
      const app = kind === "warning" || kind === "panic_received" ? "victim" : "respondent";
      await self.registration.showNotification(title || "Korgoo", {
        body: body || "",
        tag: `${kind}`,
        renotify: true,
        requireInteraction: kind !== "warning" || data.level === "alert",
        icon: `/static/app/icons/${app}-192.png`,
        vibrate: VIBRATE[kind === "warning" ? data.level : kind] || [120],
        data: { url: `/app/${app}` },
      });
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/app/";
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).pathname === url);
      return open ? open.focus() : self.clients.openWindow(url);
    }),
  );
});

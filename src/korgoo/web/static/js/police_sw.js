// Service worker of the police view (scope /police): shows the Web Push
// notification of an alert offered to the officer's unit, and opens the alert
// in the police view when it is tapped. It caches nothing (the view needs the
// network anyway) and handles no fetch.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// Only a page of this centre opens, whatever the message says.
function target(link) {
  try {
    const url = new URL(link || "/police", self.location.origin);
    return `${self.location.origin}${url.pathname}${url.hash}`;
  } catch {
    return `${self.location.origin}/police`;
  }
}

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  const data = message.data || {};
  // The title and text come in the officer's language, with no position.
  event.waitUntil(
    self.registration.showNotification(data.title || "Korgoo", {
      body: data.body || "",
      lang: data.lang || "",
      tag: data.id || "korgoo",
      renotify: true,
      requireInteraction: true,
      vibrate: [700, 200, 700, 200, 700],
      data: { url: target(data.url) },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || target("");
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).pathname === new URL(url).pathname);
      if (!open) return self.clients.openWindow(url);
      const focused = await open.focus();
      return "navigate" in focused ? focused.navigate(url) : focused;
    })(),
  );
});

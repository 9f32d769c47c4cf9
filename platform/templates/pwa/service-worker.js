/* Collectiv'Récup's service worker (served at /service-worker.js, scope "/").
 *
 * It caches only the « connexion perdue » page and its stylesheet and icon, never an
 * agent's page: a navigation goes to the network first and, only when the network
 * fails, gets that offline page, so nothing stale is ever shown as current. Other
 * requests are left to the browser. */
"use strict";

const CACHE = "collectivrecup-offline-{{ version }}";
const OFFLINE_URL = "{{ offline_url }}";
const OFFLINE_ASSETS = [OFFLINE_URL, {{ assets|safe }}];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(OFFLINE_ASSETS.map((url) => new Request(url, {cache: "reload", credentials: "omit"}))))
      .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names
        .filter((name) => name.startsWith("collectivrecup-") && name !== CACHE)
        .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  const url = new URL(request.url);
  if (url.origin === self.location.origin && OFFLINE_ASSETS.includes(url.pathname)) {
    // The offline page's own stylesheet and icon: the network when it answers.
    event.respondWith(fetch(request).catch(() => caches.match(url.pathname)));
  }
});

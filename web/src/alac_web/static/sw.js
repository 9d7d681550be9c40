// The staff console's service worker (scope /staff/): keeps the complaint entry form and the
// assets it needs, so a volunteer at a mobile clinic can open and fill it with no network.
// Only GET requests are answered from the cache; nothing is ever sent from here (the queue of
// complaints lives in the page, static/offline.js, and is sent with its Idempotency-Key).
"use strict";
var CACHE = "alac-offline-v1";
var ASSETS = ["/static/app.css", "/static/app.js", "/static/offline.js", "/vendor/htmx.min.js"];
var FORM = "/staff/complaints/new";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === FORM) {
    // The network first (fresh reference lists, a valid form token); the last good copy
    // when there is no network. Only a form answered 200 is kept: never a sign-in redirect.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && response.type === "basic" && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(FORM, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(FORM).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(fetch(request).catch(function () { return caches.match(url.pathname); }));
  }
});

/* battlemap field page: the service worker (served as /field-sw.js, scope /field).
 *
 * The shell (/field), its scripts, styles and the map library are kept in a cache when installed and
 * answered from it when the network fails, so the page opens offline. Reads of the API and the map
 * tiles go to the network first and fall back to the last answer kept. Writes (POST) are never
 * touched here: the page queues them itself (queue.js) and sends them with an Idempotency-Key.
 */
"use strict";

var SHELL_CACHE = "battlemap-field-shell-v2";
var DATA_CACHE = "battlemap-field-data-v2";
var SHELL = [
  "/field",
  "/assets/field/field.js",
  "/assets/field/queue.js",
  "/assets/field/field.css",
  "/assets/vendor/maplibre-gl.js",
  "/assets/vendor/maplibre-gl.css",
];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return Promise.all(
        SHELL.map(function (url) {
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (response.ok && !response.redirected) return cache.put(url, response);
          });
        })
      );
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names.filter(function (n) { return n !== SHELL_CACHE && n !== DATA_CACHE; })
          .map(function (n) { return caches.delete(n); })
      );
    }).then(function () { return self.clients.claim(); })
  );
});

function keep(cacheName, key, response) {
  if (response && response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(cacheName).then(function (cache) { cache.put(key, copy); });
  }
  return response;
}

function networkFirst(request, cacheName, key, empty) {
  return fetch(request).then(function (response) {
    return keep(cacheName, key, response);
  }).catch(function () {
    return caches.open(cacheName).then(function (cache) {
      return cache.match(key, { ignoreVary: true }).then(function (hit) {
        if (hit) return hit;
        if (empty) return new Response(null, { status: 204 }); // a tile never seen: drawn empty
        return new Response(JSON.stringify({ status: "error", error: "offline" }), {
          status: 503, headers: { "Content-Type": "application/json" },
        });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return; // writes go straight to the network (the page queues them)
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === "/field") {
    event.respondWith(networkFirst(request, SHELL_CACHE, "/field"));
    return;
  }
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, SHELL_CACHE, url.pathname));
    return;
  }
  if (url.pathname.indexOf("/api/v1/") === 0 || url.pathname.indexOf("/tiles/") === 0) {
    event.respondWith(networkFirst(request, DATA_CACHE, request.url, url.pathname.indexOf("/tiles/") === 0));
  }
});

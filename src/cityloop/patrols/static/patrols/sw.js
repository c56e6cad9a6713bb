/* Service worker of the patrol phone page: keeps the page and its files so that it opens in
 * a basement without network. Only GETs of the phone page and static files are cached; the
 * API is never cached (the page's IndexedDB queue holds the writes). */
var CACHE = "cityloop-patrol-v1";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  var mine = url.origin === self.location.origin &&
    (url.pathname.indexOf("/static/") === 0 || /\/patrols\/phone\/$/.test(url.pathname));
  if (e.request.method !== "GET" || !mine) { return; }
  e.respondWith(fetch(e.request).then(function (resp) {
    if (resp.ok) { var copy = resp.clone(); caches.open(CACHE).then(function (c) { c.put(e.request, copy); }); }
    return resp;
  }).catch(function () { return caches.match(e.request); }));
});

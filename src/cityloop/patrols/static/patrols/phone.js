/* The patrol phone page: start, report (photo + current position), end — also offline.
 * Every write goes into an IndexedDB queue first and is sent in order when the network is
 * there, each with its Idempotency-Key, so a resend never makes a second patrol or case.
 * The page lists what is still waiting. Vendored, no build step. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("patrol-config").textContent);
  var L = cfg.labels;
  var $ = function (id) { return document.getElementById(id); };
  var csrf = (JSON.parse(document.body.getAttribute("hx-headers") || "{}") || {})["X-CSRFToken"];
  var db = null, flushing = false, buffer = [], lastPos = null, watchId = null;

  function uid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  function fmt(s, v) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return v[k]; }); }
  function say(text) { $("patrol-message").textContent = text; }
  function ids() { return JSON.parse(localStorage.getItem("patrol.ids") || "{}"); }
  function setId(key, id) { var m = ids(); m[key] = id; localStorage.setItem("patrol.ids", JSON.stringify(m)); }
  function current() { return localStorage.getItem("patrol.current") || ""; }

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("cityloop-patrols", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("queue", { keyPath: "seq", autoIncrement: true }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, fn) {
    return new Promise(function (resolve, reject) {
      var t = db.transaction("queue", mode), store = t.objectStore("queue"), out = fn(store);
      t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
      t.onerror = function () { reject(t.error); };
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function drop(seq) { return tx("readwrite", function (s) { return s.delete(seq); }); }

  function enqueue(item) {
    item.created = new Date().toISOString();
    return put(item).then(show).then(flush);
  }

  function show() {
    return all().then(function (items) {
      var list = $("patrol-queue"), count = $("patrol-queue-count");
      list.textContent = "";
      items.forEach(function (it) {
        var li = document.createElement("li");
        li.textContent = (L.kinds[it.kind] || it.kind) + " · " + it.created.slice(11, 19);
        li.setAttribute("data-kind", it.kind);
        list.appendChild(li);
      });
      count.setAttribute("data-count", String(items.length));
      count.textContent = items.length ? fmt(L.waiting, { n: items.length }) : L.allSent;
    });
  }

  function send(url, body, key) {
    var headers = { "Content-Type": "application/json", "X-CSRFToken": csrf };
    if (key) { headers["Idempotency-Key"] = key; }
    return fetch(cfg.api + url, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin" });
  }

  function upload(item) {
    if (!item.photo || item.uploadId) { return Promise.resolve(item); }
    var form = new FormData();
    form.append("file", item.photo, item.photoName || "photo.jpg");
    return fetch(cfg.api + "uploads", { method: "POST", headers: { "X-CSRFToken": csrf }, body: form, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { return r.json().then(function (e) { throw { refused: e }; }); }
        return r.json().then(function (u) { item.uploadId = u.id; item.photo = null; return put(item).then(function () { return item; }); });
      });
  }

  function one(item) {
    // Resolves true when the item is done (sent or refused for good), false to wait.
    if (item.kind === "start") {
      return send("patrols", item.body, item.key).then(function (r) {
        return r.json().then(function (data) {
          if (r.ok) { setId(item.patrolKey, data.id); return true; }
          if (r.status === 409 && data.detail && data.detail.patrol) { setId(item.patrolKey, data.detail.patrol); return true; }
          if (r.status >= 500) { return false; }
          say(fmt(L.refused, { message: data.message })); return true;
        });
      });
    }
    var id = ids()[item.patrolKey];
    if (!id) { return Promise.resolve(false); }
    var base = "patrols/" + id + "/";
    var go = {
      points: function () { return send(base + "points", item.body, ""); },
      check_in: function () { return send(base + "check-ins", item.body, item.key); },
      end: function () { return send(base + "actions/end", item.body, item.key); },
      report: function () {
        return upload(item).then(function (it) {
          var body = Object.assign({}, it.body, { photo_ids: it.uploadId ? [it.uploadId] : [] });
          return send(base + "reports", body, it.key);
        });
      }
    }[item.kind];
    return go().then(function (r) {
      return r.json().then(function (data) {
        if (r.ok) {
          if (item.kind === "report") { say(fmt(L.reported, { code: data.code })); }
          return true;
        }
        if (r.status >= 500) { return false; }
        say(fmt(L.refused, { message: data.message })); return true;
      });
    }, function (err) { if (err && err.refused) { say(fmt(L.refused, { message: err.refused.message })); return true; } throw err; });
  }

  function flush() {
    if (flushing || !navigator.onLine) { return Promise.resolve(); }
    flushing = true;
    return all().then(function loop(items) {
      if (!items.length) { return; }
      return one(items[0]).then(function (done) {
        if (!done) { return; }
        return drop(items[0].seq).then(function () { return loop(items.slice(1)); });
      });
    }).catch(function () { say(L.offline); }).then(function () { flushing = false; return show(); });
  }

  function watch() {
    if (!navigator.geolocation || watchId !== null) { return; }
    watchId = navigator.geolocation.watchPosition(function (p) {
      lastPos = { lng: p.coords.longitude, lat: p.coords.latitude, accuracy_m: p.coords.accuracy };
      buffer.push({ at: new Date(p.timestamp).toISOString(), lng: lastPos.lng, lat: lastPos.lat, accuracy_m: lastPos.accuracy_m, key: uid() });
      $("patrol-position").textContent = fmt(L.position, { lng: lastPos.lng.toFixed(5), lat: lastPos.lat.toFixed(5), acc: Math.round(lastPos.accuracy_m) });
    }, function () { $("patrol-position").textContent = L.noPosition; }, { enableHighAccuracy: true, maximumAge: 10000 });
  }
  function stopWatch() { if (watchId !== null) { navigator.geolocation.clearWatch(watchId); watchId = null; } }
  function pushPoints() {
    if (!buffer.length || !current()) { return Promise.resolve(); }
    var points = buffer.splice(0, buffer.length);
    return enqueue({ kind: "points", patrolKey: current(), body: { points: points } });
  }

  function setOn(on, code) {
    $("patrol-start").hidden = on; $("patrol-on").hidden = !on;
    var st = $("patrol-state");
    st.setAttribute("data-state", on ? "ongoing" : "idle");
    st.textContent = on ? L.onPatrol + (code ? " " + code : "") : L.notOnPatrol;
  }

  function bind() {
    if (!$("patrol-start")) { return; }
    if (cfg.ongoing) {
      var k = "srv-" + cfg.ongoing.id; setId(k, cfg.ongoing.id);
      if (!current()) { localStorage.setItem("patrol.current", k); }
      watch();
    } else if (current()) { setOn(true, ""); watch(); }
    $("patrol-start").addEventListener("click", function () {
      var zones = Array.prototype.map.call(document.querySelectorAll("#patrol-zones input:checked"), function (i) { return Number(i.value); });
      var key = uid();
      localStorage.setItem("patrol.current", key);
      setOn(true, ""); watch(); say(L.started);
      enqueue({ kind: "start", patrolKey: key, key: key, body: { zone_ids: zones, started_at: new Date().toISOString() } });
    });
    $("patrol-report").addEventListener("click", function () {
      var desc = $("patrol-desc").value.trim();
      if (!desc) { say(L.describe); return; }
      var file = $("patrol-photo").files[0] || null;
      var body = { description: desc };
      if (lastPos) { body.lng = lastPos.lng; body.lat = lastPos.lat; }
      pushPoints().then(function () {
        return enqueue({ kind: "report", patrolKey: current(), key: uid(), body: body, photo: file, photoName: file ? file.name : "" });
      });
      $("patrol-desc").value = ""; $("patrol-photo").value = "";
      say(L.queued);
    });
    $("patrol-checkin").addEventListener("click", function () {
      var zone = document.querySelector("#patrol-zones input:checked");
      enqueue({ kind: "check_in", patrolKey: current(), key: uid(), body: { zone_id: zone ? Number(zone.value) : 0, segment: $("patrol-segment").value.trim() } });
    });
    $("patrol-end").addEventListener("click", function () {
      var key = current();
      pushPoints().then(function () {
        return enqueue({ kind: "end", patrolKey: key, key: uid(), body: { note: $("patrol-note").value.trim() } });
      });
      localStorage.removeItem("patrol.current"); stopWatch(); setOn(false, ""); say(L.ended);
    });
    setInterval(function () { pushPoints(); flush(); }, cfg.interval);
    window.addEventListener("online", flush);
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.sw, { scope: cfg.scope }).catch(function () {});
  }
  open().then(function (d) { db = d; bind(); return show(); }).then(flush);
})();

/* cityloop case pages: the location picker of the report forms, the map of open cases, and
   "tick all" on the workbench. Coordinates are WGS-84 throughout; no base tiles unless the
   operator configured a tile URL (the site must work offline). */
(function () {
  "use strict";

  function readConfig(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function addTiles(map, config) {
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    map.attributionControl.setPrefix("Leaflet");
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }

  /* --- location picker: tap the map or use the phone's position ------------------------- */

  var AREA_STYLES = {
    district: { color: "#1d4e89", weight: 3, fill: false },
    street: { color: "#5a6b7d", weight: 2, dashArray: "6 4", fill: false },
    community: { color: "#8a97a6", weight: 1, fill: false },
    compound: { color: "#37474f", weight: 1, fillColor: "#90a4ae", fillOpacity: 0.25 }
  };

  function initPicker(box) {
    var config = readConfig(box.dataset.config);
    var form = box.closest("form");
    var lng = form.querySelector("input[name=lng]");
    var lat = form.querySelector("input[name=lat]");
    var status = box.querySelector("[data-picker-status]");
    var mapEl = box.querySelector(".picker-map");
    var map = L.map(mapEl, { zoomControl: true }).setView([34.8, 113.3], 12);
    mapEl._leafletMap = map; // for the browser test, which taps a known point
    addTiles(map, config);
    var pin = null;

    function setPin(latlng, quiet) {
      if (pin) { pin.setLatLng(latlng); } else {
        pin = L.circleMarker(latlng, {
          radius: 10, color: "#fff", weight: 3, fillColor: "#b3261e", fillOpacity: 1,
          className: "picker-pin"
        }).addTo(map);
      }
      lng.value = latlng.lng.toFixed(6);
      lat.value = latlng.lat.toFixed(6);
      status.textContent = format(config.labels.picked, { lng: lng.value, lat: lat.value });
      mapEl.dataset.pinned = "true";
      if (!quiet) { form.dispatchEvent(new CustomEvent("pinchange", { bubbles: true })); }
    }

    map.on("click", function (evt) { setPin(evt.latlng, false); });

    fetch(config.areaUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.features && data.features.length) {
          var isCompound = function (f) { return (f.properties || {}).kind === "compound"; };
          var style = function (f) {
            return AREA_STYLES[(f.properties || {}).kind] || AREA_STYLES.compound;
          };
          var outline = L.geoJSON(data, {
            interactive: false, style: style, filter: function (f) { return !isCompound(f); }
          }).addTo(map);
          // Compounds only when zoomed in far enough to tell them apart.
          var compounds = L.geoJSON(data, { interactive: false, style: style, filter: isCompound });
          var showCompounds = function () {
            if (map.getZoom() >= 15) { compounds.addTo(map); } else { compounds.remove(); }
          };
          map.on("zoomend", showCompounds);
          if (!pin && config.home) {
            map.fitBounds(config.home, { padding: [8, 8], animate: false });
          } else if (!pin && outline.getLayers().length) {
            map.fitBounds(outline.getBounds(), { padding: [8, 8], animate: false });
          }
          showCompounds();
        }
        mapEl.dataset.loaded = "true";
      })
      .catch(function () { mapEl.dataset.loaded = "true"; });

    if (lng.value && lat.value) {
      var start = L.latLng(parseFloat(lat.value), parseFloat(lng.value));
      setPin(start, true);
      map.setView(start, 16);
    } else {
      status.textContent = config.labels.none;
    }

    var locate = box.querySelector("[data-locate]");
    if (!navigator.geolocation) { locate.hidden = true; }
    locate.addEventListener("click", function () {
      status.textContent = config.labels.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
        setPin(here, false);
        map.setView(here, 17);
        status.textContent = config.labels.located + " " +
          format(config.labels.picked, { lng: lng.value, lat: lat.value });
      }, function () {
        status.textContent = config.labels.denied;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  document.querySelectorAll("[data-location-picker]").forEach(initPicker);

  /* --- the map of open cases ------------------------------------------------------------ */

  function initCaseMap(el) {
    var config = readConfig("case-map-config");
    var status = document.getElementById("case-map-status");
    var map = L.map(el).setView([34.8, 113.3], 12);
    addTiles(map, config);
    // The outline of the user's area: the district for district staff, their street(s) else.
    function outlineLayer(layer, style) {
      return fetch(config.featuresUrl + "?layer=" + layer, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || !data.features.length) { return null; }
          return L.geoJSON(data, { interactive: false, style: style }).addTo(map);
        })
        .catch(function () { return null; });
    }
    var outline = Promise.all([
      outlineLayer("district", { color: "#1d4e89", weight: 3, fill: false }),
      outlineLayer("streets", { color: "#5a6b7d", weight: 2, dashArray: "6 4", fill: false })
    ]).then(function (layers) {
      var bounds = null;
      layers.forEach(function (l) {
        if (l && l.getBounds().isValid()) {
          bounds = bounds ? bounds.extend(l.getBounds()) : L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast());
        }
      });
      return bounds;
    });

    function popup(props) {
      var box = document.createElement("div");
      box.className = "map-popup";
      var title = document.createElement("strong");
      title.textContent = props.code;
      box.appendChild(title);
      var text = document.createElement("div");
      text.textContent = props.title;
      box.appendChild(text);
      var meta = document.createElement("div");
      meta.className = "muted";
      meta.textContent = [props.status_label, props.category].filter(Boolean).join(" · ");
      box.appendChild(meta);
      var link = document.createElement("a");
      link.href = props.url;
      link.textContent = config.labels.details + " →";
      box.appendChild(link);
      return box;
    }

    var cases = fetch(config.dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            var colour = config.colours[feature.properties.light || ""] || config.colours[""];
            return L.circleMarker(latlng, {
              radius: 8, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 0.9,
              className: "case-dot case-dot-" + (feature.properties.light || "none")
            });
          },
          onEachFeature: function (feature, lyr) {
            lyr.bindPopup(popup(feature.properties));
            lyr.bindTooltip(feature.properties.code, { direction: "top" });
          }
        }).addTo(map);
        var n = data.features.length;
        status.textContent = n ? format(config.labels.loaded, { n: n }) : config.labels.empty;
        return layer;
      })
      .catch(function () {
        status.textContent = config.labels.failed;
        status.classList.add("error-text");
        return null;
      });

    Promise.all([outline, cases]).then(function (done) {
      var bounds = done[0];
      var dots = done[1];
      if (dots && dots.getLayers().length) {
        var b = dots.getBounds();
        bounds = bounds ? bounds.extend(b) : b;
      }
      if (bounds && bounds.isValid()) {
        map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17, animate: false });
      }
      el.dataset.loaded = "true";
    });
  }

  var caseMap = document.getElementById("case-map");
  if (caseMap) { initCaseMap(caseMap); }

  /* --- workbench: tick every case that can be dispatched --------------------------------- */

  document.body.addEventListener("change", function (evt) {
    var all = evt.target.closest && evt.target.closest("[data-check-all]");
    if (!all) { return; }
    var form = all.closest("form");
    form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
  });

  /* --- case detail: "insert a template" fills the reply / return-visit text area ---------- */
  /* Without JavaScript the select's own GET form (?template=<id>) pre-fills it on the server;
     the options carry the text with the case's code, place and category already filled in. */

  function hideInsertButtons() {
    document.querySelectorAll("[data-template-insert]").forEach(function (b) { b.hidden = true; });
  }
  hideInsertButtons();
  document.body.addEventListener("htmx:afterSettle", hideInsertButtons);

  document.body.addEventListener("change", function (evt) {
    var pick = evt.target.closest && evt.target.closest("[data-template-pick] select");
    if (!pick) { return; }
    var option = pick.options[pick.selectedIndex];
    var area = document.getElementById(pick.form.dataset.target);
    if (!area || !option || !option.value) { return; }
    area.value = option.dataset.text || "";
    area.dispatchEvent(new Event("input", { bubbles: true }));
    area.focus();
  });

  /* --- case detail: bring the opened action form into view ------------------------------ */

  document.body.addEventListener("htmx:afterSettle", function () {
    var panel = document.querySelector(".action-panel");
    if (panel && panel.getBoundingClientRect().top > window.innerHeight) {
      panel.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  });
})();

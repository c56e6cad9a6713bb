/* cityloop map page: loads GeoJSON layers from the API and draws them with Leaflet.
   No base tiles unless the operator configured a tile URL (the site must work offline). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var status = document.getElementById("map-status");
  var map = L.map("map", { zoomControl: true, preferCanvas: false }).setView([34.8, 113.3], 12);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  map.attributionControl.setPrefix("Leaflet");

  var PLACE_LAYERS = { district: 1, streets: 1, communities: 1, compounds: 1 };
  var STYLES = {
    district: { color: "#1d4e89", weight: 3, fill: false },
    streets: { color: "#5a6b7d", weight: 2, dashArray: "6 4", fillOpacity: 0.03 },
    communities: { color: "#8a97a6", weight: 1, fillOpacity: 0.02 },
    compounds: { color: "#37474f", weight: 1, fillOpacity: 0.6 },
    roads: { color: "#e0662b", weight: 4, opacity: 0.9 },
    grids: { color: "#7b5ea7", weight: 1, dashArray: "2 3", fill: false },
    hazard_points: { color: "#b3261e", weight: 2, fillColor: "#b3261e", fillOpacity: 0.8 }
  };

  function styleFor(layer) {
    return function (feature) {
      var s = Object.assign({ className: "layer-" + layer }, STYLES[layer]);
      if (layer === "compounds") {
        s.fillColor = config.colours[(feature.properties || {}).management] || "#9e9e9e";
      }
      return s;
    };
  }

  function popupFor(layer, props) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var title = document.createElement("strong");
    title.textContent = props.name || props.code || "";
    box.appendChild(title);
    if (props.management_label) {
      var badge = document.createElement("span");
      badge.className = "badge badge-" + props.management;
      badge.textContent = props.management_label;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(badge);
    }
    if (props.code) {
      var code = document.createElement("div");
      code.className = "muted";
      code.textContent = props.code;
      box.appendChild(code);
    }
    if (props.id !== undefined && props.id !== null) {
      var link = document.createElement("a");
      var base = PLACE_LAYERS[layer] ? config.placeUrl : config.zoneUrl;
      link.href = base.replace("/0/", "/" + encodeURIComponent(props.id) + "/");
      link.textContent = config.labels.details + " →";
      box.appendChild(link);
    }
    return box;
  }

  var groups = {};
  var control = L.control.layers(null, null, { collapsed: window.innerWidth < 700 }).addTo(map);

  function load(layer) {
    var url = config.featuresUrl + "?layer=" + encodeURIComponent(layer);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(layer + ": HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        var group = L.geoJSON(data, {
          style: styleFor(layer),
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, Object.assign({ radius: 6 }, styleFor(layer)(feature)));
          },
          onEachFeature: function (feature, lyr) {
            lyr.bindPopup(popupFor(layer, feature.properties || {}));
            if (feature.properties && feature.properties.name) {
              lyr.bindTooltip(feature.properties.name, { sticky: true });
            }
          }
        });
        groups[layer] = group;
        return { layer: layer, ok: true };
      })
      .catch(function () { return { layer: layer, ok: false }; });
  }

  Promise.all(config.layers.map(load)).then(function (results) {
    var bounds = null;
    // Add in the configured order so small things (compounds, roads, points) sit on top.
    config.layers.forEach(function (layer) {
      var group = groups[layer];
      if (!group) { return; }
      group.addTo(map);
      control.addOverlay(group, config.labels[layer] || layer);
      var b = group.getLayers().length ? group.getBounds() : null;
      if (b && b.isValid()) { bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast()); }
    });
    var focus = window.location.hash.replace("#", "");
    var target = (groups[focus] && groups[focus].getLayers().length) ? groups[focus]
      : (groups.district && groups.district.getLayers().length) ? groups.district : null;
    if (target) { bounds = target.getBounds(); }
    if (bounds && bounds.isValid()) { map.fitBounds(bounds, { padding: [16, 16] }); }
    var failed = results.filter(function (r) { return !r.ok; }).map(function (r) {
      return config.labels[r.layer] || r.layer;
    });
    if (failed.length) {
      status.textContent = config.labels.failed.replace("%(layers)s", failed.join("、"));
      status.classList.add("error-text");
    } else {
      status.textContent = bounds ? config.labels.loaded : config.labels.empty;
    }
    document.getElementById("map").dataset.loaded = "true";
  });
})();

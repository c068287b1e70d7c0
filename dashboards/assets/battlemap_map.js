/* battlemap: a MapLibre GL map as a Dash clientside-callback module (dashboards/_map.py wires it).
 *
 * One map per container; the callback is re-run whenever the spec, the tile query (date, data
 * version), the filters or the fly-to target change, and updates the live map in place.
 * Clicks on the spec's clickable layers are written to the spec's click store with set_props;
 * the overlay store's FeatureCollections are set on the spec's GeoJSON sources (risk zones).
 * Maps are kept in window.battlemapMaps[containerId] (tests inspect them).
 */
(function () {
  "use strict";
  var maps = (window.battlemapMaps = window.battlemapMaps || {});

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  // A query's "visible" (a page's layer toggle, spec.toggles) is the map's, not the tile server's.
  var LOCAL_PARAMS = { visible: true };

  function tileUrl(template, params) {
    var url = new URL(template, window.location.href);
    Object.keys(params || {}).forEach(function (key) {
      if (LOCAL_PARAMS[key]) return;
      if (params[key] !== null && params[key] !== undefined) url.searchParams.set(key, params[key]);
    });
    // MapLibre fills {z}/{x}/{y}; URL() escapes the braces, so put them back.
    return url.href.replace(/%7B/g, "{").replace(/%7D/g, "}");
  }

  function buildStyle(spec, query) {
    var style = JSON.parse(JSON.stringify(spec.style));
    Object.keys(spec.tiles).forEach(function (source) {
      var params = Object.assign({}, spec.tileParams, (query && query[source]) || {});
      if (style.sources[source]) style.sources[source].tiles = [tileUrl(spec.tiles[source], params)];
    });
    var hidden = {};
    Object.keys(spec.toggles || {}).forEach(function (source) {
      if (!shown(query, source)) spec.toggles[source].forEach(function (id) { hidden[id] = true; });
    });
    style.layers.forEach(function (layer) {
      if (hidden[layer.id]) layer.layout = Object.assign({}, layer.layout, { visibility: "none" });
    });
    if (spec.raster) {
      style.sources.raster = { type: "raster", tiles: [spec.raster], tileSize: 256 };
      style.layers.splice(1, 0, { id: "raster", type: "raster", source: "raster" });
    }
    return style;
  }

  function shown(query, source) {
    return !(query && query[source] && query[source].visible === false);
  }

  // The toggled sources' layers shown or hidden as the query says.
  function applyToggles(entry, query) {
    var toggles = entry.spec.toggles || {};
    Object.keys(toggles).forEach(function (source) {
      var visibility = shown(query, source) ? "visible" : "none";
      toggles[source].forEach(function (id) {
        if (entry.map.getLayer(id)) entry.map.setLayoutProperty(id, "visibility", visibility);
      });
    });
  }

  function combinedFilter(base, clauses) {
    var all = ["all"];
    if (base) all.push(base);
    return all.concat(clauses);
  }

  function applyFilter(entry, filter) {
    var map = entry.map;
    var clauses = [];
    Object.keys(filter || {}).forEach(function (key) {
      var value = filter[key];
      if (value !== null && value !== undefined && value !== "") clauses.push(["==", ["get", key], Number(value)]);
    });
    entry.spec.filterable.forEach(function (layerId) {
      if (!map.getLayer(layerId)) return;
      var base = entry.spec.baseFilters[layerId] || null;
      map.setFilter(layerId, clauses.length ? combinedFilter(base, clauses) : base);
    });
  }

  function whenLoaded(map, fn) {
    if (map._battlemapLoaded) fn();
    else map.once("load", fn);
  }

  function create(spec, query) {
    var container = document.getElementById(spec.container);
    if (!container || !window.maplibregl) return null;
    var map = new window.maplibregl.Map({
      container: container,
      style: buildStyle(spec, query),
      bounds: spec.bounds,
      fitBoundsOptions: { padding: 24 },
      maxZoom: 20,
      attributionControl: { compact: true },
      fadeDuration: 0,
      canvasContextAttributes: { preserveDrawingBuffer: true },
      interactive: spec.interactive !== false,
    });
    if (spec.interactive !== false) map.addControl(new window.maplibregl.NavigationControl({ showCompass: false }));
    map.on("load", function () {
      map._battlemapLoaded = true;
    });
    // What the style starts with: no filter, no highlighted building, empty overlays.
    var entry = { map: map, spec: spec, query: JSON.stringify(query || {}), filter: "{}", highlight: "[]", overlay: "{}", fly: null, select: "null" };
    if (spec.clickTarget) {
      map.on("click", function (event) {
        var layers = spec.clickable.filter(function (id) {
          return map.getLayer(id);
        });
        var feature = map.queryRenderedFeatures(event.point, { layers: layers })[0];
        if (feature && feature.id !== undefined) {
          window.dash_clientside.set_props(spec.clickTarget, {
            data: { id: feature.id, properties: feature.properties, layer: feature.layer.id, at: Date.now() },
          });
        }
      });
      spec.clickable.forEach(function (id) {
        map.on("mouseenter", id, function () {
          map.getCanvas().style.cursor = "pointer";
        });
        map.on("mouseleave", id, function () {
          map.getCanvas().style.cursor = "";
        });
      });
    }
    if (spec.viewTarget) {
      // The view after each move (and once loaded), for panels that list what is on the map.
      var report = function () {
        var b = map.getBounds();
        window.dash_clientside.set_props(spec.viewTarget, {
          data: { bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom: map.getZoom() },
        });
      };
      map.on("load", report);
      map.on("moveend", report);
    }
    maps[spec.container] = entry;
    return entry;
  }

  // GeoJSON overlays (the risk zones): {source: FeatureCollection} for sources the spec declares.
  // Sources start empty; only a collection that differs from the one shown is set, since each
  // setData costs a re-tiling and a repaint (in software WebGL, a noticeable one).
  var EMPTY_COLLECTION = { type: "FeatureCollection", features: [] };
  function applyOverlay(entry, overlay) {
    entry.overlaid = entry.overlaid || {};
    Object.keys(overlay || {}).forEach(function (source) {
      var data = overlay[source] || EMPTY_COLLECTION;
      var key = JSON.stringify(data);
      if ((entry.overlaid[source] || JSON.stringify(EMPTY_COLLECTION)) === key) return;
      entry.overlaid[source] = key;
      var src = entry.map.getSource(source);
      if (src && src.setData) src.setData(data);
    });
  }

  // The clicked building (the click store, set by a click or by the address search) is outlined.
  function applySelection(entry, click) {
    var ids = click && click.id !== undefined && click.id !== null ? [click.id] : [];
    entry.spec.selectLayers.forEach(function (layerId) {
      if (entry.map.getLayer(layerId)) entry.map.setFilter(layerId, ["in", ["id"], ["literal", ids]]);
    });
  }

  function render(spec, query, filter, fly, highlight, overlay, click) {
    if (!spec) return noUpdate();
    var entry = maps[spec.container];
    var specKey = JSON.stringify(spec);
    if (!entry || entry.specKey !== specKey || entry.map.getContainer() !== document.getElementById(spec.container)) {
      // A new page, or another map in the same place (the wall's playlist): start afresh.
      if (entry) entry.map.remove();
      entry = create(spec, query);
      if (!entry) return noUpdate();
      entry.specKey = specKey;
    }
    var map = entry.map;
    var queryKey = JSON.stringify(query || {});
    if (queryKey !== entry.query) {
      entry.query = queryKey;
      whenLoaded(map, function () {
        Object.keys(query || {}).forEach(function (source) {
          var src = map.getSource(source);
          var params = Object.assign({}, spec.tileParams, query[source]);
          if (src && src.setTiles) src.setTiles([tileUrl(spec.tiles[source], params)]);
        });
        applyToggles(entry, query);
      });
    }
    var filterKey = JSON.stringify(filter || {});
    if (filterKey !== entry.filter) {
      entry.filter = filterKey;
      whenLoaded(map, function () {
        applyFilter(entry, filter);
      });
    }
    var highlightKey = JSON.stringify(highlight || []);
    if (spec.highlightLayer && highlightKey !== entry.highlight) {
      entry.highlight = highlightKey;
      whenLoaded(map, function () {
        map.setFilter(spec.highlightLayer, ["in", ["id"], ["literal", highlight || []]]);
      });
    }
    var selectKey = JSON.stringify(click && click.id !== undefined ? click.id : null);
    if (spec.selectLayers && spec.selectLayers.length && selectKey !== entry.select) {
      entry.select = selectKey;
      whenLoaded(map, function () {
        applySelection(entry, click);
      });
    }
    var overlayKey = JSON.stringify(overlay || {});
    if (overlayKey !== entry.overlay) {
      entry.overlay = overlayKey;
      whenLoaded(map, function () {
        applyOverlay(entry, overlay);
      });
    }
    if (fly && fly.bounds && fly.at !== entry.fly) {
      entry.fly = fly.at;
      map.fitBounds(fly.bounds, { padding: 80, maxZoom: fly.maxZoom || 18, duration: 600 });
    }
    return queryKey;
  }

  // The play button of a date slider: every other click plays; labels come from the page's state.
  function togglePlay(clicks, state) {
    var playing = clicks % 2 === 1;
    return [!playing, playing ? state.pause : state.play];
  }

  // One step of a playing date slider, back to the first day after the last.
  function step(_ticks, value, state) {
    var next = value === null || value === undefined ? 0 : value + 1;
    return next > state.days ? 0 : next;
  }

  // The wall's clock, in Shanghai time whatever the display's own zone, as the page's language
  // (<html lang>, set by the server) writes a date and a time.
  var LOCALES = { zh: "zh-CN", en: "en-GB", ja: "ja-JP", ko: "ko-KR" };
  function clock() {
    var locale = LOCALES[document.documentElement.lang] || LOCALES.zh;
    return new Date().toLocaleString(locale, { timeZone: "Asia/Shanghai", hour12: false });
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.battlemap = Object.assign(window.dash_clientside.battlemap || {}, {
    render: render,
    togglePlay: togglePlay,
    step: step,
    clock: clock,
  });
})();

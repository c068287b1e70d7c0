/* battlemap field page (/field): my items, overdue first, on a list and a map; an item's card with
 * the step guide and a form per step it allows; "report a problem here" from the device position or
 * a tap on the map. Everything goes through the REST API (/api/v1); writes go through the queue
 * (queue.js), so they wait offline and are sent once when the network returns.
 */
(function () {
  "use strict";
  var FIELD = JSON.parse(document.getElementById("fd-config").textContent);
  var S = FIELD.strings, lang = FIELD.lang;
  var state = { items: [], kinds: {}, places: { buildings: {}, households: {} }, open: null, picking: false, report: null };
  var map = null;
  window.battlemapField = state;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function fmt(key, values) {
    return S[key].replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }
  // The guide's own words in the page's language where it has them, else English.
  function words(w) { return w ? (w[lang] || (lang === "zh" ? w.zh : w.en)) : ""; }
  // Day and time as the page's language writes them (dashboards/_formats.py does the same on the
  // server), in China time whatever the phone's zone: the deadlines are China days.
  var WHEN = new Intl.DateTimeFormat(FIELD.locale, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "Asia/Shanghai",
  });
  function when(iso) { return iso ? WHEN.format(new Date(iso)) : "–"; }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 401) { showSignIn(); throw new Error("signin"); }
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }
  function showSignIn() {
    var net = $("fd-net");
    net.dataset.signin = "true";
    net.innerHTML = "";
    net.appendChild(el("a", { href: "/login?next=/field", text: S.field_signin }));
  }

  /* ---- the items ---- */
  function nextDue(item) {
    var dues = [item.due_at, item.daily_due_at].filter(Boolean).map(function (d) { return Date.parse(d); });
    return dues.length ? Math.min.apply(null, dues) : Infinity;
  }
  function sortItems(items) {
    return items.slice().sort(function (a, b) {
      if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
      return nextDue(a) - nextDue(b) || a.id - b.id;
    });
  }
  function kindStep(kind, code) {
    var k = state.kinds[kind];
    return k && k.steps.filter(function (s) { return s.code === code; })[0];
  }
  function placeName(item) {
    var b = state.places.buildings[item.building_id];
    var name = b ? (b.name || b.address || "#" + b.id) : S.field_building + " #" + item.building_id;
    if (item.target.type === "household") {
      var h = state.places.households[item.target.id];
      name += " · " + (h && h.unit_label ? h.unit_label : S.field_household + " #" + item.target.id);
    }
    return name;
  }

  function load() {
    state.loading = true;
    return Promise.all([
      getJSON("/api/v1/loop-kinds").then(function (body) {
        body.kinds.forEach(function (k) { state.kinds[k.code] = k; });
      }),
      getJSON("/api/v1/loops?state=open").then(function (body) {
        state.items = sortItems(body.items);
        state.at = body.at;
      }),
    ]).then(function () {
      var buildings = {}, households = {};
      state.items.forEach(function (i) {
        buildings[i.building_id] = true;
        if (i.target.type === "household") households[i.target.id] = true;
      });
      var query = [];
      if (Object.keys(buildings).length) query.push("buildings=" + Object.keys(buildings).join(","));
      if (Object.keys(households).length) query.push("households=" + Object.keys(households).join(","));
      if (!query.length) return null;
      // read each item once while online, so its card (with its log) opens offline too
      state.items.slice(0, 40).forEach(function (i) { getJSON("/api/v1/loops/" + i.id).catch(function () {}); });
      return getJSON("/api/v1/field/places?" + query.join("&")).then(function (body) {
        body.buildings.forEach(function (b) { state.places.buildings[b.id] = b; });
        body.households.forEach(function (h) { state.places.households[h.id] = h; });
      });
    }).then(render, function () { render(); }).then(function () { state.loading = false; });
  }

  function render() {
    var list = $("fd-items");
    list.innerHTML = "";
    $("fd-count").textContent = String(state.items.length);
    if (!state.items.length) list.appendChild(el("li", { className: "fd-empty", text: S.field_none }));
    state.items.forEach(function (item) {
      var kind = state.kinds[item.kind];
      var step = kindStep(item.kind, item.step);
      var due = item.daily_due_at && (!item.due_at || Date.parse(item.daily_due_at) < Date.parse(item.due_at))
        ? S.field_daily_due + " " + when(item.daily_due_at) : S.field_due + " " + when(item.due_at);
      list.appendChild(el("li", {
        className: "fd-item" + (item.overdue ? " fd-overdue" : ""),
        "data-item-id": item.id, "data-overdue": item.overdue ? "true" : "false",
        onclick: function () { openCard(item.id); },
      }, [
        el("div", { className: "fd-item-top" }, [
          el("span", { className: "fd-kind", text: kind ? words(kind) : item.kind }),
          item.overdue ? el("span", { className: "fd-badge-overdue", text: S.field_overdue }) : null,
        ]),
        el("div", { className: "fd-place", text: placeName(item) }),
        el("div", { className: "fd-item-bottom" }, [
          el("span", { className: "fd-step", text: step ? words(step) : (item.step || "") }),
          el("span", { className: "fd-due", text: due }),
        ]),
      ]));
    });
    drawMarkers();
  }

  /* ---- the card ---- */
  function openCard(id) {
    state.open = id;
    $("fd-list-view").hidden = true;
    var card = $("fd-card");
    card.hidden = false;
    card.innerHTML = "";
    card.dataset.itemId = "";
    var cached = state.items.filter(function (i) { return i.id === id; })[0];
    if (cached) fillCard(cached);
    getJSON("/api/v1/loops/" + id).then(function (item) {
      if (state.open === id) fillCard(item);
    }, function () { /* offline: the list's copy stays */ });
    var item = cached;
    if (map && item && item.lon !== null) map.easeTo({ center: [item.lon, item.lat], zoom: Math.max(map.getZoom(), 16) });
    drawMarkers();
  }

  function closeCard() {
    state.open = null;
    $("fd-card").hidden = true;
    $("fd-list-view").hidden = false;
    drawMarkers();
  }

  function fillCard(item, force) {
    var card = $("fd-card");
    // the same version again (a re-read): keep what the person is typing
    if (!force && card.dataset.itemId === String(item.id) && card.dataset.version === String(item.version)
        && (card.dataset.log === "1" || !item.log)) return;
    card.innerHTML = "";
    card.dataset.version = item.version;
    card.dataset.log = item.log ? "1" : "0";
    var kind = state.kinds[item.kind] || { steps: [] };
    card.dataset.itemId = item.id;
    card.appendChild(el("button", { className: "fd-button fd-back", type: "button", text: S.field_back, onclick: closeCard }));
    card.appendChild(el("h2", { className: "fd-h2", text: placeName(item) }));
    if (state.refusals && state.refusals[item.id]) {
      card.appendChild(el("p", { className: "fd-error fd-refused", role: "alert", text: S.field_refused + " · " + state.refusals[item.id] }));
    }
    card.appendChild(el("p", { className: "fd-meta" }, [
      el("span", { className: "fd-kind", text: words(kind) }),
      item.overdue ? el("span", { className: "fd-badge-overdue", text: S.field_overdue }) : null,
      " " + S.field_due + " " + when(item.due_at),
    ]));
    var done = {};
    (item.log || []).forEach(function (e) { if (e.action === "complete") done[e.step] = (done[e.step] || 0) + 1; });
    if (!item.log) { // the list's copy (offline, before the item was read): steps before the current one are done
      var codes = kind.steps.map(function (st) { return st.code; });
      var at = item.step ? codes.indexOf(item.step) : codes.length;
      codes.slice(0, at).forEach(function (c) { done[c] = done[c] || 1; });
    }
    var allowed = item.allowed_steps || [];
    var steps = el("ol", { className: "fd-steps" });
    kind.steps.forEach(function (step) {
      var st = allowed.indexOf(step.code) >= 0 ? (step.code === item.step ? "current" : "running")
        : (done[step.code] ? "done" : "todo");
      if (item.state === "closed") st = done[step.code] ? "done" : "todo";
      var li = el("li", { className: "fd-step-card fd-state-" + st, "data-step": step.code, "data-state": st }, [
        el("div", { className: "fd-step-head" }, [
          el("strong", { text: words(step) }),
          el("span", { className: "fd-state", text: S["state_" + st] + (step.daily && done[step.code] ? " ×" + done[step.code] : "") }),
        ]),
      ]);
      var guide = step.guide || {};
      var rows = [["do", guide.do], ["department", step.department], ["requirements", guide.requirements],
        ["protection", guide.protection], ["notes", guide.notes]].filter(function (r) { return r[1]; });
      if (rows.length) {
        li.appendChild(el("dl", { className: "fd-guide" }, [].concat.apply([], rows.map(function (r) {
          return [el("dt", { text: S["guide_" + r[0]] }), el("dd", { text: words(r[1]) })];
        }))));
      }
      if (FIELD.acts && item.state === "open" && allowed.indexOf(step.code) >= 0) li.appendChild(stepForm(item, step, kind));
      steps.appendChild(li);
    });
    card.appendChild(steps);
    if (item.log && item.log.length) {
      card.appendChild(el("h3", { className: "fd-h3", text: S.field_log }));
      card.appendChild(el("ol", { className: "fd-log" }, item.log.slice().reverse().map(function (e) {
        var step = e.step ? kindStep(item.kind, e.step) : null;
        var text = when(e.at) + " · " + (step ? words(step) : (S["field_action_" + e.action] || e.action))
          + (e.reading !== null && e.reading !== undefined ? " · " + e.reading + " °C" : "") + (e.note ? " · " + e.note : "");
        return el("li", { text: text });
      })));
    }
  }

  function stepForm(item, step, kind) {
    var ev = step.evidence || {};
    var form = el("form", { className: "fd-form", "data-step": step.code, novalidate: "novalidate" });
    var reading = null, note, photo = null, error = el("p", { className: "fd-error", role: "alert" });
    if (ev.reading) {
      var r = ev.reading, range = { min: Number(r.min).toFixed(1), max: Number(r.max).toFixed(1), unit: r.unit };
      reading = el("input", { type: "number", step: "0.1", min: r.min, max: r.max, inputmode: "decimal", name: "reading", required: "required", className: "fd-input" });
      var hint = el("span", { className: "fd-hint", text: fmt("field_range", range) });
      reading.addEventListener("input", function () {
        var v = parseFloat(reading.value);
        var bad = reading.value !== "" && (isNaN(v) || v < r.min || v > r.max);
        reading.classList.toggle("fd-invalid", bad);
        error.textContent = bad ? fmt("field_out_of_range", range) : "";
      });
      form.appendChild(el("label", { className: "fd-label" }, [S.field_reading + " (" + r.unit + ")", reading, hint]));
    }
    (ev.checks || []).forEach(function (code) {
      form.appendChild(el("label", { className: "fd-check" }, [
        el("input", { type: "checkbox", name: "check", value: code }), S["check_" + code] || code,
      ]));
    });
    note = el("textarea", { name: "note", rows: "2", maxlength: "2000", className: "fd-input" });
    form.appendChild(el("label", { className: "fd-label" }, [ev.note === "required" ? S.field_note_required : S.field_note, note]));
    if (ev.photo && ev.photo !== "none") {
      photo = el("input", { type: "file", accept: "image/jpeg,image/png,image/webp", capture: "environment", name: "photo" });
      form.appendChild(el("label", { className: "fd-label" }, [fmt("field_photo", { kb: Math.floor(FIELD.photoMaxBytes / 1024) }), photo]));
      photo.addEventListener("change", function () {
        var f = photo.files[0];
        error.textContent = f && f.size > FIELD.photoMaxBytes
          ? fmt("field_photo_big", { kb: Math.ceil(f.size / 1024), max: Math.floor(FIELD.photoMaxBytes / 1024) }) : "";
      });
    }
    if (step.differs_from) {
      var other = kindStep(item.kind, step.differs_from);
      form.appendChild(el("p", { className: "fd-hint", text: fmt("field_differs", { step: other ? words(other) : step.differs_from }) }));
    }
    form.appendChild(error);
    form.appendChild(el("button", { type: "submit", className: "fd-button fd-primary", text: S.field_submit }));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      if (reading) {
        var v = parseFloat(reading.value), r = ev.reading;
        if (isNaN(v) || v < r.min || v > r.max) {
          reading.classList.add("fd-invalid");
          error.textContent = fmt("field_out_of_range", { min: Number(r.min).toFixed(1), max: Number(r.max).toFixed(1), unit: r.unit });
          return;
        }
        body.reading = v;
      }
      if (note.value.trim()) body.note = note.value.trim();
      else if (ev.note === "required") { error.textContent = S.field_note_required; note.classList.add("fd-invalid"); return; }
      var checks = {};
      form.querySelectorAll("input[name=check]").forEach(function (c) { checks[c.value] = c.checked; });
      if (Object.keys(checks).length) body.checks = checks;
      body.observed_at = new Date().toISOString();
      var file = photo && photo.files[0];
      if (file && file.size > FIELD.photoMaxBytes) return;
      var label = placeName(item) + " · " + words(step) + (body.reading !== undefined ? " " + body.reading + " °C" : "");
      var go = function () {
        return window.battlemapQueue.add({
          type: "step", url: "/api/v1/loops/" + item.id + "/steps/" + step.code, body: body,
          itemId: item.id, version: item.version, label: label,
        }).then(function () { form.replaceWith(el("p", { className: "fd-done", text: S.field_queued + " · " + label })); });
      };
      if (!file) { go(); return; }
      var reader = new FileReader();
      reader.onload = function () {
        body.photo = { content_type: file.type, data_base64: String(reader.result).split(",")[1] };
        go();
      };
      reader.readAsDataURL(file);
    });
    return form;
  }

  /* ---- "report a problem here" ---- */
  function reportForm(lon, lat) {
    state.report = { lon: lon, lat: lat };
    var box = $("fd-report-form");
    box.hidden = false;
    box.innerHTML = "";
    var note = el("textarea", { rows: "2", maxlength: "2000", className: "fd-input", name: "note" });
    box.appendChild(el("h3", { className: "fd-h3", text: S.field_report }));
    box.appendChild(el("p", { className: "fd-hint", id: "fd-report-where", text: S.field_report_where + " " + lon.toFixed(5) + ", " + lat.toFixed(5) }));
    box.appendChild(el("label", { className: "fd-label" }, [S.field_note, note]));
    box.appendChild(el("div", { className: "fd-row" }, [
      el("button", { type: "button", className: "fd-button fd-primary", id: "fd-report-send", text: S.field_report_send, onclick: function () {
        var body = { kind: "problem_report", lon: Number(lon.toFixed(7)), lat: Number(lat.toFixed(7)) };
        if (note.value.trim()) body.note = note.value.trim();
        window.battlemapQueue.add({ type: "open", url: "/api/v1/loops", body: body, label: S.field_report + " " + (body.note || "") })
          .then(function () { box.hidden = true; state.report = null; drawMarkers(); });
      } }),
      el("button", { type: "button", className: "fd-button", text: S.field_report_cancel, onclick: function () {
        box.hidden = true; state.report = null; drawMarkers();
      } }),
    ]));
    drawMarkers();
  }

  function startPicking(message) {
    state.picking = true;
    document.body.classList.add("fd-picking");
    var box = $("fd-report-form");
    box.hidden = false;
    box.innerHTML = "";
    box.appendChild(el("p", { className: "fd-hint", text: message || S.field_report_tap_hint }));
  }

  $("fd-report").addEventListener("click", function () {
    if (!navigator.geolocation) { startPicking(S.field_no_position); return; }
    var box = $("fd-report-form");
    box.hidden = false;
    box.textContent = S.field_locating;
    navigator.geolocation.getCurrentPosition(function (p) {
      reportForm(p.coords.longitude, p.coords.latitude);
    }, function () { startPicking(S.field_no_position); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  });
  $("fd-report-tap").addEventListener("click", function () { startPicking(); });

  /* ---- the map ---- */
  function tileUrl(template, params) {
    var url = new URL(template, window.location.href);
    Object.keys(params).forEach(function (k) { if (params[k] !== null && params[k] !== undefined) url.searchParams.set(k, params[k]); });
    return url.href.replace(/%7B/g, "{").replace(/%7D/g, "}");
  }
  function markerData() {
    var features = state.items.filter(function (i) { return i.lon !== null; }).map(function (i) {
      return { type: "Feature", id: i.id, properties: { id: i.id, overdue: i.overdue, open: state.open === i.id },
        geometry: { type: "Point", coordinates: [i.lon, i.lat] } };
    });
    if (state.report) {
      features.push({ type: "Feature", properties: { report: true }, geometry: { type: "Point", coordinates: [state.report.lon, state.report.lat] } });
    }
    return { type: "FeatureCollection", features: features };
  }
  function drawMarkers() {
    if (map && map.getSource("fd-items")) map.getSource("fd-items").setData(markerData());
  }
  function startMap() {
    if (!window.maplibregl) return;
    var spec = FIELD.map;
    var style = JSON.parse(JSON.stringify(spec.style));
    var today = new Date(Date.now() + (480 + new Date().getTimezoneOffset()) * 60000);
    var date = today.getFullYear() + "-" + String(today.getMonth() + 1).padStart(2, "0") + "-" + String(today.getDate()).padStart(2, "0");
    Object.keys(spec.tiles).forEach(function (source) {
      var params = Object.assign({}, spec.tileParams, source === spec.layer ? { date: date } : {});
      if (style.sources[source]) style.sources[source].tiles = [tileUrl(spec.tiles[source], params)];
    });
    style.sources["fd-items"] = { type: "geojson", data: markerData() };
    style.layers.push({ id: "fd-items", type: "circle", source: "fd-items", filter: ["!", ["has", "report"]], paint: {
      "circle-radius": ["case", ["get", "open"], 11, 8],
      "circle-color": ["case", ["get", "overdue"], "#b42318", "#2b6cb0"],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": ["case", ["get", "open"], 4, 2] } });
    style.layers.push({ id: "fd-report", type: "circle", source: "fd-items", filter: ["has", "report"], paint: {
      "circle-radius": 9, "circle-color": "#d97706", "circle-stroke-color": "#1f2933", "circle-stroke-width": 2 } });
    map = new maplibregl.Map({ container: "fd-map", style: style, bounds: spec.bounds, fitBoundsOptions: { padding: { top: 24, left: 24, right: 24, bottom: 72 } },
      attributionControl: { compact: true }, dragRotate: false, pitchWithRotate: false });
    map.touchZoomRotate.disableRotation();
    window.battlemapMaps = window.battlemapMaps || {};
    window.battlemapMaps["fd-map"] = { map: map };
    map.on("click", function (event) {
      if (state.picking) {
        state.picking = false;
        document.body.classList.remove("fd-picking");
        reportForm(event.lngLat.lng, event.lngLat.lat);
        return;
      }
      var hit = map.queryRenderedFeatures(event.point, { layers: ["fd-items"] })[0];
      if (hit) openCard(hit.properties.id);
    });
    map.on("load", drawMarkers);
    map.on("error", function (event) { // a tile that cannot be read offline: the map stays, without it
      if (!(event.error && event.error.status)) console.error(event.error);
    });
  }

  /* ---- the queue's state, and online / offline ---- */
  function stateWord(action) { return S["field_" + action.state] || action.state; }
  window.battlemapQueue.onChange(function (actions) {
    var list = $("fd-queue");
    list.innerHTML = "";
    actions.slice().reverse().slice(0, 20).forEach(function (a) {
      list.appendChild(el("li", { className: "fd-action fd-action-" + a.state, "data-action-id": a.id, "data-state": a.state }, [
        el("span", { className: "fd-action-state", text: stateWord(a) }),
        el("span", { className: "fd-action-label", text: a.label + (a.state === "refused" && a.error ? " · " + refusal(a.error, a.itemId) : "") }),
      ]));
    });
    var pending = actions.filter(function (a) { return a.state === "queued" || a.state === "sending"; }).length;
    network(pending);
    var finished = actions.filter(function (a) { return (a.state === "sent" || a.state === "refused") && !seen[a.id]; });
    finished.forEach(function (a) { seen[a.id] = true; });
    if (!firstChange && finished.length) {
      finished.forEach(function (a) { if (a.state === "refused" && a.itemId) state.refusals[a.itemId] = refusal(a.error, a.itemId); });
      if (!pending) load();
      var open = state.open;
      if (open && finished.some(function (a) { return a.itemId === open; })) {
        getJSON("/api/v1/loops/" + open).then(function (item) { if (state.open === open) fillCard(item, true); }, function () {});
      }
    }
    firstChange = false;
  });
  var lastPending = 0, seen = {}, firstChange = true;
  state.refusals = {};
  /* The server's reasons are English; the ones a field worker meets most are said in the page's words. */
  function refusal(error, itemId) {
    var text = String(error || "");
    var differs = /someone else than who completed '(\w+)'/.exec(text);
    if (differs) {
      var item = state.items.filter(function (i) { return i.id === itemId; })[0];
      var other = item && kindStep(item.kind, differs[1]);
      if (other) return fmt("field_differs", { step: words(other) });
    }
    return text;
  }
  function network(pending) {
    if (pending !== undefined) lastPending = pending;
    var net = $("fd-net");
    if (net.dataset.signin === "true") return;
    var online = navigator.onLine;
    net.dataset.state = online ? "online" : "offline";
    net.textContent = (online ? S.field_online : S.field_offline) + (lastPending ? " · " + fmt("field_pending", { n: lastPending }) : "");
  }
  window.addEventListener("online", function () { network(); });
  window.addEventListener("offline", function () { network(); });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field-sw.js", { scope: "/field" }).catch(function () { /* no offline shell */ });
    // the first visit's answers came before the worker took over: read them again so it keeps them
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      load();
      if (!map) return; // and the map's tiles, so that the map too shows offline
      Object.keys(FIELD.map.tiles).forEach(function (name) {
        var source = map.getSource(name);
        if (source && source.setTiles) source.setTiles(source.tiles.slice());
      });
    });
  }
  if (!FIELD.acts) { // a read-only role (the analyst) sees the items and guides, acts on none
    $("fd-report").hidden = true;
    $("fd-report-tap").hidden = true;
  }
  network(0);
  startMap();
  load().then(function () { window.battlemapQueue.flush(); });
})();

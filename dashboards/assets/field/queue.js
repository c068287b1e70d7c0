/* battlemap field page: the queue of actions (IndexedDB), sent when the network is there.
 *
 * Every action (complete a step, open a report) gets a client-made id when it is taken; that id is
 * sent as its Idempotency-Key, so sending it twice (a retry after a lost answer) never acts twice.
 * States: queued -> sending -> sent | refused (a 4xx: shown, not retried). A network failure or a
 * 5xx puts it back to queued; sending resumes on the "online" event and on a timer that backs off
 * (1 s, 2 s, 4 s ... 60 s).
 */
(function () {
  "use strict";
  var DB_NAME = "battlemap-field", STORE = "actions";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("created", "created");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var out = fn(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  var listeners = [];
  var timer = null, delay = 1000, running = false;

  function changed() {
    return all().then(function (actions) {
      listeners.forEach(function (fn) { fn(actions); });
      return actions;
    });
  }

  function all() {
    return tx("readonly", function (store) { return store.index("created").getAll(); });
  }

  function put(action) {
    return tx("readwrite", function (store) { store.put(action); });
  }

  /* Queue an action: {type: "step"|"open", url, body, itemId, version, label}. */
  function add(action) {
    action.id = newId();
    action.created = new Date().toISOString();
    action.state = "queued";
    action.tries = 0;
    return put(action).then(changed).then(function () { flush(); return action; });
  }

  function schedule() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; flush(); }, delay);
    delay = Math.min(delay * 2, 60000);
  }

  function send(action) {
    var headers = { "Content-Type": "application/json", "Idempotency-Key": action.id };
    if (action.version) headers["If-Match"] = '"' + action.version + '"';
    return fetch(action.url, {
      method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(action.body),
    });
  }

  /* A later queued step on the same item was based on the version this one moved on from. */
  function rebase(actions, done, version) {
    return Promise.all(actions.filter(function (a) {
      return a.state === "queued" && a.id !== done.id && a.itemId && a.itemId === done.itemId
        && a.version === done.version;
    }).map(function (a) { a.version = version; return put(a); }));
  }

  function flush() {
    if (running) return Promise.resolve();
    if (!navigator.onLine) { schedule(); return changed(); } // no network: wait for "online" (or the timer)
    running = true;
    return all().then(function (actions) {
      var waiting = actions.filter(function (a) { return a.state === "queued" || a.state === "sending"; });
      var chain = Promise.resolve(true);
      waiting.forEach(function (action) {
        chain = chain.then(function (goOn) {
          if (!goOn) return false;
          action.state = "sending";
          action.tries += 1;
          return put(action).then(changed).then(function () { return send(action); }).then(function (response) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              if (response.ok) {
                action.state = "sent";
                action.sent = new Date().toISOString();
                action.result = { id: body.id, version: body.version, replayed: response.headers.get("Idempotent-Replayed") === "true" };
                return rebase(actions, action, body.version).then(function () { return put(action); }).then(function () { return true; });
              }
              if (response.status === 401 || response.status >= 500 || response.status === 408 || response.status === 429) {
                action.state = "queued";
                action.error = response.status === 401 ? "signin" : String(response.status);
                return put(action).then(function () { return false; });
              }
              action.state = "refused";
              action.error = body.error || String(response.status);
              return put(action).then(function () { return true; });
            });
          }, function () {
            action.state = "queued"; // no network: keep it, try again later
            return put(action).then(function () { return false; });
          });
        });
      });
      return chain.then(function (allSent) {
        if (allSent) delay = 1000; else schedule();
      });
    }).then(function () { running = false; return changed(); }, function (error) { running = false; throw error; });
  }

  window.addEventListener("online", function () { delay = 1000; flush(); });

  window.battlemapQueue = {
    add: add,
    all: all,
    flush: flush,
    onChange: function (fn) { listeners.push(fn); },
  };
})();

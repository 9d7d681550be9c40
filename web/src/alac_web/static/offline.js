// Offline intake (the staff complaint entry form, [data-offline-queue]): when the device has
// no network, a submitted complaint goes into a queue in IndexedDB instead of being lost, with
// an Idempotency-Key drawn right then. When the network returns (or on the next visit, or on
// "Send now") each waiting complaint is sent to /staff/complaints/queued with its key, so a
// send repeated after a lost answer files it once; the receipt code is shown when it arrives.
// What the caller said stays on this device only until intake has it: once sent, the queue
// keeps the receipt code and a few words, never the contact details.
(function () {
  "use strict";
  var form = document.querySelector("form[data-offline-queue]");
  if (!form || !window.indexedDB || !window.fetch) return;
  var panel = document.getElementById("offline-queue");
  var list = document.getElementById("offline-list");
  var text = function (name) { return panel.getAttribute("data-t-" + name) || name; };
  var DB = "alac-offline", STORE = "queue", sending = false;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/staff/sw.js", { scope: "/staff/" }).catch(function () {});
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "key" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
    });
  }
  function put(item) { return tx("readwrite", function (s) { s.put(item); }); }
  function remove(key) { return tx("readwrite", function (s) { s["delete"](key); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = "";
    for (var i = 0; i < b.length; i++) h += (b[i] + 256).toString(16).slice(1);
    return h;
  }

  function render() {
    return all().then(function (items) {
      panel.hidden = items.length === 0;
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.setAttribute("data-state", item.state);
        var what = document.createElement("span");
        what.textContent = item.label + " — ";
        li.appendChild(what);
        var state = document.createElement("strong");
        if (item.state === "sent") {
          state.textContent = text("sent") + " ";
          var code = document.createElement("span");
          code.className = "code";
          code.setAttribute("data-receipt-code", "");
          code.textContent = item.receipt_code;
          state.appendChild(code);
        } else if (item.state === "refused") {
          state.textContent = text("refused") + " " + (item.reason || "");
        } else {
          state.textContent = text("waiting");
        }
        li.appendChild(state);
        list.appendChild(li);
      });
      var waiting = items.filter(function (i) { return i.state === "waiting"; }).length;
      document.getElementById("offline-count").textContent =
        text("count").replace("{count}", String(waiting));
    });
  }

  function values() {
    var data = new FormData(form), out = {};
    ["channel", "preferred_language", "crux", "help_requested", "request_type", "area",
     "name", "phone", "email"].forEach(function (k) { out[k] = String(data.get(k) || "").trim(); });
    out.anonymous = data.get("anonymous") === "yes";
    return out;
  }

  function send(item) {
    return fetch("/staff/complaints/queued", {
      method: "POST", credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Idempotency-Key": item.key,
        "X-CSRF-Token": form.querySelector("input[name=csrf_token]").value
      },
      body: JSON.stringify(item.values)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok) {
          // Sent: keep the receipt code, forget what the caller said.
          return put({ key: item.key, label: item.label, queued_at: item.queued_at,
                       state: "sent", receipt_code: body.receipt_code });
        }
        if (response.status === 401) {
          panel.setAttribute("data-signed-out", "yes");
          document.getElementById("offline-status").textContent = text("signed_out");
          return;
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 408 &&
            response.status !== 429) {
          item.state = "refused";
          item.reason = body.text || "";
          return put(item);
        }
      });
    }).catch(function () { /* still no network: stays waiting */ });
  }

  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    panel.removeAttribute("data-signed-out");
    return all().then(function (items) {
      var waiting = items.filter(function (i) { return i.state === "waiting"; });
      return waiting.reduce(function (p, item) {
        return p.then(function () { return send(item); });
      }, Promise.resolve());
    }).then(render, render).then(function () { sending = false; }, function () { sending = false; });
  }

  form.addEventListener("submit", function (event) {
    if (navigator.onLine) return;  // with the network, the ordinary form (errors shown in place)
    event.preventDefault();
    var v = values();
    if (!v.crux) {
      var crux = document.getElementById("crux");
      crux.setAttribute("aria-invalid", "true");
      crux.focus();
      return;
    }
    var item = { key: newKey(), values: v, state: "waiting", queued_at: new Date().toISOString(),
                 label: v.crux.slice(0, 60) };
    put(item).then(function () {
      form.reset();
      document.getElementById("crux").removeAttribute("aria-invalid");
      document.getElementById("offline-status").textContent = text("queued");
      return render();
    });
  });

  document.getElementById("offline-send").addEventListener("click", flush);
  document.getElementById("offline-clear").addEventListener("click", function () {
    all().then(function (items) {
      return Promise.all(items.filter(function (i) { return i.state !== "waiting"; })
        .map(function (i) { return remove(i.key); }));
    }).then(render);
  });
  window.addEventListener("online", function () {
    document.getElementById("offline-status").textContent = text("online");
    flush();
  });
  window.addEventListener("offline", function () {
    document.getElementById("offline-status").textContent = text("offline");
  });
  render().then(flush);
})();

// Live updates: one WebSocket per tab (/ws/, signed in by the session cookie). Each event the
// server sends has an id in this person's stream; the last one handled is kept per tab, so a
// reconnect resumes exactly where it stopped (the server replays what was missed).
//
// Pages opt in by marking a region: <div id="x" data-live-refresh="job. estimate.accepted"
// data-live-id="<uuid>">. When an event of a listed kind (a prefix ending in "." matches a
// family) about that record arrives, the region is fetched again and swapped in place, unless
// the person is typing in it: then a "This page changed" notice offers a reload instead.
(function () {
  var meta = document.querySelector('meta[name="simplepro-stream"]');
  if (!meta || !window.WebSocket) return;
  var storageKey = "simplepro-stream-" + meta.content;
  var socket = null, retry = 1000, heartbeat = 25, lastFrame = 0, stopped = false;
  var pending = {}, timer = null;

  function lastId() {
    try { var v = sessionStorage.getItem(storageKey); return v === null ? null : parseInt(v, 10); }
    catch (e) { return null; }
  }
  function remember(id) { try { sessionStorage.setItem(storageKey, String(id)); } catch (e) { /* private mode */ } }

  function setBell(unread) {
    var badge = document.getElementById("bell-count");
    if (!badge) return;
    badge.textContent = unread > 0 ? String(unread) : "";
    badge.hidden = !(unread > 0);
    var bell = document.getElementById("bell");
    if (bell) bell.setAttribute("aria-label", unread + " unread notifications");
  }

  function matches(region, frame) {
    var kinds = (region.dataset.liveRefresh || "").split(/\s+/);
    var kindOk = kinds.some(function (k) {
      return k && (k === frame.kind || (k.slice(-1) === "." && frame.kind.indexOf(k) === 0));
    });
    if (!kindOk) return false;
    var id = region.dataset.liveId;
    if (!id) return true;
    var data = frame.data || {};
    if (data.conversation_id && String(data.conversation_id) === id) return true;
    if (data.message && String(data.message.conversation_id) === id) return true;
    return [data.job, data.estimate, data.time_off].some(function (o) { return o && String(o.id) === id; });
  }

  function busy(region) {
    var active = document.activeElement;
    return region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) ||
      region.querySelector(".dragging") !== null;
  }

  function refresh() {
    timer = null;
    var ids = Object.keys(pending);
    pending = {};
    fetch(location.href, {credentials: "same-origin", headers: {"X-Live-Refresh": "1"}})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          var current = document.getElementById(id), replacement = fresh.getElementById(id);
          if (!current || !replacement) return;
          if (busy(current)) { notice(); return; }
          current.replaceWith(replacement);
          if (window.htmx) window.htmx.process(replacement);
        });
        document.dispatchEvent(new CustomEvent("simplepro:refreshed", {detail: {ids: ids}}));
      })
      .catch(function () { notice(); });
  }

  function notice() {
    if (document.getElementById("live-notice")) return;
    var main = document.getElementById("main");
    if (!main) return;
    var box = document.createElement("div");
    box.id = "live-notice";
    box.className = "flash info";
    box.setAttribute("role", "status");
    box.innerHTML = 'This page changed. <a href="">Reload</a> to see the latest.';
    main.insertBefore(box, main.firstChild);
  }

  function handle(frame) {
    if (frame.kind.indexOf("notification.") === 0 && frame.data) setBell(frame.data.unread);
    document.querySelectorAll("[data-live-refresh]").forEach(function (region) {
      if (region.id && matches(region, frame)) pending[region.id] = true;
    });
    if (Object.keys(pending).length && timer === null) timer = setTimeout(refresh, 100);
    document.dispatchEvent(new CustomEvent("simplepro:event", {detail: frame}));
  }

  // Presence: this tab is "online" while it is shown, "away" while hidden; repeated on every
  // heartbeat so the server can let it lapse when the tab is gone.
  function presence() {
    send({type: "presence", state: document.hidden ? "away" : "online"});
  }
  function send(frame) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame));
  }
  window.SimpleProLive = {send: send};
  document.addEventListener("visibilitychange", presence);

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/", ["simplepro.v1"]);
    socket.onmessage = function (message) {
      lastFrame = Date.now();
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (frame.type === "welcome") {
        retry = 1000;
        heartbeat = frame.heartbeat || heartbeat;
        var last = lastId();
        var after = last === null || last > frame.last_id ? frame.last_id : last;
        remember(after);
        socket.send(JSON.stringify({type: "resume", after: after}));
        document.documentElement.dataset.live = "on";
        presence();
      } else if (frame.type === "heartbeat") {
        presence();
      } else if (frame.type === "signal") {
        document.dispatchEvent(new CustomEvent("simplepro:signal", {detail: frame}));
      } else if (frame.type === "event") {
        remember(frame.id);
        handle(frame);
      } else if (frame.type === "reload") {
        // Away longer than the server keeps events: refresh every live region once.
        remember(frame.last_id);
        document.querySelectorAll("[data-live-refresh]").forEach(function (r) { if (r.id) pending[r.id] = true; });
        if (timer === null) timer = setTimeout(refresh, 100);
      }
    };
    socket.onclose = function (event) {
      document.documentElement.dataset.live = "off";
      // 4401: signed out; 4503: real time is off on this server. Pages still work by reload.
      if (stopped || event.code === 4401 || event.code === 4503) return;
      setTimeout(connect, retry + Math.random() * 500);
      retry = Math.min(retry * 2, 30000);
    };
  }

  // A socket that stopped hearing heartbeats (a dead proxy, a sleeping laptop) is replaced.
  setInterval(function () {
    if (socket && socket.readyState === 1 && Date.now() - lastFrame > heartbeat * 2500) socket.close();
  }, 5000);
  window.addEventListener("pagehide", function () { stopped = true; if (socket) socket.close(); });
  document.addEventListener("DOMContentLoaded", connect);
})();

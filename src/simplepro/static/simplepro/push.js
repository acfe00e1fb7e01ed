// "Push on this device": subscribe this browser through its push service with our VAPID
// key, and tell SimplePro where to send (or that it should stop).
(function () {
  var box = document.getElementById("push-device");
  if (!box) return;
  var state = document.getElementById("push-state"), on = document.getElementById("push-on"),
      off = document.getElementById("push-off");
  var csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    state.textContent = "This browser cannot receive push messages.";
    return;
  }
  function key(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
  }
  function tell(body) {
    return fetch(box.dataset.url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.detail); return j; }); });
  }
  function show(subscribed) {
    on.hidden = subscribed; off.hidden = !subscribed;
    state.textContent = subscribed ? "This device gets push messages." : "This device does not get push messages.";
  }
  navigator.serviceWorker.register("/sw.js").then(function (registration) {
    return registration.pushManager.getSubscription().then(function (existing) {
      show(!!existing);
      on.addEventListener("click", function () {
        registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key(box.dataset.key)})
          .then(function (s) { return tell(s.toJSON()); })
          .then(function () { show(true); })
          .catch(function (e) { state.textContent = "Could not turn push on: " + e.message; });
      });
      off.addEventListener("click", function () {
        registration.pushManager.getSubscription().then(function (s) {
          if (!s) return show(false);
          return tell({endpoint: s.endpoint, remove: true}).then(function () { return s.unsubscribe(); })
            .then(function () { show(false); });
        });
      });
    });
  }).catch(function (e) { state.textContent = "Push is not available here: " + e.message; });
})();

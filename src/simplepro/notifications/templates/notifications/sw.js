// SimplePro's service worker: shows push notifications and opens their page when tapped.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {title: "SimplePro", body: event.data.text()}; }
  event.waitUntil(self.registration.showNotification(data.title || "SimplePro", {
    body: data.body || "",
    tag: data.id ? "notification-" + data.id : undefined,
    data: {link: data.link || "/notifications/"},
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var link = (event.notification.data && event.notification.data.link) || "/notifications/";
  event.waitUntil(self.clients.matchAll({type: "window"}).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if ("focus" in windows[i]) { windows[i].navigate(link); return windows[i].focus(); }
    }
    return self.clients.openWindow(link);
  }));
});

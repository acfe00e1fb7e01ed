// Theme: follows the system unless the user picked one (kept in localStorage).
(function () {
  var saved = null;
  try { saved = localStorage.getItem("simplepro-theme"); } catch (e) { /* private mode */ }
  if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("theme-toggle");
    if (toggle) toggle.addEventListener("click", function () {
      var current = document.documentElement.dataset.theme ||
        (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
      var next = current === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      try { localStorage.setItem("simplepro-theme", next); } catch (e) { /* ignore */ }
    });
    var nav = document.getElementById("nav-toggle"), sidebar = document.getElementById("sidebar");
    if (nav && sidebar) nav.addEventListener("click", function () {
      var open = sidebar.classList.toggle("open");
      nav.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();

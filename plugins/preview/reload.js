// The preview's live reload. Served by `invoke serve` only, as
// /__preview/reload.js; never written into output/ by build or publish.
// A file from the site itself (no inline script), so it runs under a strict
// Content-Security-Policy (script-src 'self').
(function () {
  "use strict";
  var me = document.currentScript;
  var shown = me ? me.getAttribute("data-build") : null;  // the build this page came from
  var hash = me ? me.getAttribute("data-hash") : null;  // what this page showed
  var events = new EventSource("/__preview/events");
  events.addEventListener("build", function (event) {
    // The server sends the latest build on connecting, then each new one.
    if (event.data === shown) {
      return;
    }
    shown = event.data;
    // Reload only if this page changed: other open pages keep their place.
    fetch("/__preview/hash?path=" + encodeURIComponent(window.location.pathname), { cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (now) {
        if (now !== hash) {
          events.close();
          window.location.reload();
        }
      })
      .catch(function () { window.location.reload(); });
  });
})();

// The preview's live reload. Served by `invoke serve` only, as
// /__preview/reload.js; never written into output/ by build or publish.
// A file from the site itself (no inline script), so it runs under a strict
// Content-Security-Policy (script-src 'self').
(function () {
  "use strict";
  var me = document.currentScript;
  var shown = me ? me.getAttribute("data-build") : null;
  var events = new EventSource("/__preview/events");
  events.addEventListener("build", function (event) {
    // The server sends the latest build on connecting, then each new one.
    if (shown !== null && event.data !== shown) {
      events.close();
      window.location.reload();
    }
    shown = event.data;
  });
})();

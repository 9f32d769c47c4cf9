/* Registers the service worker (/service-worker.js, scope "/" of the authority's
 * host): when the network is lost, a page asked for shows the « connexion perdue »
 * page instead of the browser's error. Nothing else is cached. */
(function () {
  "use strict";
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/service-worker.js", {scope: "/"}).catch(function () {
      /* no service worker: pages work as before */
    });
  }
})();

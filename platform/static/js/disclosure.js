/* Disclosures folded on a phone, open on a wide screen (issue 20): a <details
   data-open-wide> is served folded, so that a phone shows the content first, with or
   without this script; on a screen wider than the header's menu breakpoint (760px) this
   script opens it, as when the screen grows wide (a tablet turned). The user may still
   fold it: nothing here closes it. */
(function () {
  "use strict";

  var wide = window.matchMedia("(min-width: 761px)");

  function openOnWide() {
    if (!wide.matches) {
      return;
    }
    var panels = document.querySelectorAll("details[data-open-wide]");
    for (var i = 0; i < panels.length; i++) {
      panels[i].open = true;
    }
  }

  if (wide.addEventListener) {
    wide.addEventListener("change", openOnWide);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openOnWide);
  } else {
    openOnWide();
  }
})();

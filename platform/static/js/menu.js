/* The header's menu on small screens (issue 20): a disclosure button that shows and
   hides the navigation. Without this script the button stays hidden and the navigation
   is shown as is; with it, CSS folds the navigation behind the button below 760px. */
(function () {
  "use strict";

  function setUp() {
    var header = document.querySelector(".site-header");
    var button = header && header.querySelector(".menu-toggle");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) {
      return;
    }

    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    }

    function isOpen() {
      return button.getAttribute("aria-expanded") === "true";
    }

    button.hidden = false;
    header.classList.add("has-menu-toggle");
    setOpen(false);

    button.addEventListener("click", function () {
      setOpen(!isOpen());
    });

    // Escape closes the menu and gives the focus back to its button.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen()) {
        setOpen(false);
        button.focus();
      }
    });

    // A click outside the header closes it, as a tap elsewhere would expect.
    document.addEventListener("click", function (event) {
      if (isOpen() && !header.contains(event.target)) {
        setOpen(false);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

/* battlemap: the phone layout's menu button (dashboards/_shell.py). One listener on the document, so
 * it keeps working when Dash redraws the header: the button toggles "bm-menu-open" on its header. */
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".bm-menu-button");
    if (!button) { return; }
    var header = button.closest("header");
    var open = header.classList.toggle("bm-menu-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();

/* The print link with nothing chosen prints every grid: ask first (dashboards/_print_link.py). */
(function () {
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.bm-print[data-confirm]");
    if (!link || (link.getAttribute("href") || "").indexOf("all=1") < 0) { return; }
    if (!window.confirm(link.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
})();

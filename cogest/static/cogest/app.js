// cogest page behaviour. No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  // "/" focuses the page's search field, when a page has one (data-search-input).
  document.addEventListener("keydown", function (event) {
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) {
      return;
    }
    if (event.key === "/" && !event.ctrlKey && !event.metaKey) {
      // The page's own search field first (a list's filter), else the top bar's.
      const search =
        document.querySelector("main [data-search-input]") ||
        document.querySelector("[data-search-input]");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    }
  });
  // Times: show the exact instant on hover, in the viewer's locale.
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    if (!el.title) {
      el.title = new Date(el.getAttribute("datetime")).toLocaleString();
    }
  });
})();

/* Small behaviours on top of htmx: keep the tree's "current" mark in step with the detail pane. */
(function () {
  "use strict";
  // Choosing a place in the tree also opens its branch (the marker alone still folds it).
  document.body.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("summary .tree-link");
    if (!link) { return; }
    var details = link.closest("details");
    if (details && !details.open) { details.open = true; }
  });
  // A folded branch loads when first opened. Decided here, not in an hx-trigger filter
  // ("toggle[this.open && …]"): htmx evaluates filters as JavaScript strings, which the
  // Content-Security-Policy (script-src 'self', no 'unsafe-eval') forbids. "toggle" does not
  // bubble, hence the capturing listener.
  document.addEventListener("toggle", function (evt) {
    var details = evt.target;
    if (details.tagName !== "DETAILS" || !details.open || details.dataset.loaded) { return; }
    // Not bubbling: the enclosing branches listen for the same event.
    if (details.hasAttribute("hx-get")) {
      details.dispatchEvent(new CustomEvent("tree-open", { bubbles: false }));
    }
  }, true);
  document.body.addEventListener("htmx:afterSwap", function (evt) {
    var target = evt.detail.target;
    if (!target) { return; }
    if (target.id === "detail") {
      var shown = target.querySelector("[data-place-id]");
      var id = shown ? shown.getAttribute("data-place-id") : null;
      document.querySelectorAll(".tree-link").forEach(function (a) {
        if (a.getAttribute("data-place-id") === id) { a.setAttribute("aria-current", "true"); }
        else { a.removeAttribute("aria-current"); }
      });
      var main = document.getElementById("main");
      if (main && main.getBoundingClientRect().top < 0) { window.scrollTo(0, 0); }
    }
    var details = target.closest && target.closest("details");
    if (details) { details.dataset.loaded = "true"; }
  });
})();

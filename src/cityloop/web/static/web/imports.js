/* An import form shows how far its import has got while the page waits for the answer.
   The form is sent the ordinary way (the page stays until the answer arrives); meanwhile the
   progress fragment of the form's token is fetched every second and shown under the button. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-import-form]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var region = form.querySelector("[data-import-progress]");
      var token = form.querySelector("input[name=progress_token]");
      if (!region || !token) { return; }
      var url = form.getAttribute("data-progress-url") + "?token=" + encodeURIComponent(token.value);
      region.hidden = false;
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      function poll() {
        fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html !== null) { region.innerHTML = html; } })
          .catch(function () { /* the answer is on its way; keep the last figures */ })
          .finally(function () { window.setTimeout(poll, 1000); });
      }
      // Disabled after the browser has taken the form's data (a disabled button is not sent).
      window.setTimeout(poll, 0);
    });
  });
})();

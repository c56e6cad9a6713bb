/* /api/v1/docs: starts the vendored Swagger UI from the settings the page carries as JSON
   (no inline script, so the page passes script-src 'self'). */
(function () {
  "use strict";
  var body = document.body.dataset;
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset].filter(Boolean);
  if (body.apiCsrf && body.csrfToken) {
    config.requestInterceptor = function (req) {
      req.headers["X-CSRFToken"] = body.csrfToken;
      return req;
    };
  }
  window.ui = SwaggerUIBundle(config);
})();

// Starts Swagger UI on /docs. A file of its own, not an inline script, so the pages' Content-Security-Policy
// allows scripts from this server only. The OpenAPI URL comes from the page (data-openapi-url).
(function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // never the online validator: intranets have no internet
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();

// Starts Swagger UI on the API's own OpenAPI document. A file, not an inline script, so
// the page's Content-Security-Policy can allow scripts from this server only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});

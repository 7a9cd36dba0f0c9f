// The aliases page's one addition to htmx: forms marked hx-ext="modelyard-json" send their
// fields as a JSON object (the admin routes take JSON), leaving out empty fields so the
// route's defaults apply.
(function () {
  "use strict";
  htmx.defineExtension("modelyard-json", {
    onEvent: function (name, event) {
      if (name === "htmx:configRequest") {
        event.detail.headers["Content-Type"] = "application/json";
      }
    },
    encodeParameters: function (xhr, parameters) {
      var body = {};
      parameters.forEach(function (value, key) {
        if (typeof value === "string" && value.trim() !== "") {
          body[key] = value.trim();
        }
      });
      xhr.overrideMimeType("text/json");
      return JSON.stringify(body);
    }
  });
})();

// The endpoint page's rollout buttons: their form is sent as JSON (the admin rollout routes
// take {reason, variant?}), and after an action succeeds the rollout's state refreshes.
(function () {
  "use strict";

  htmx.defineExtension("json-body", {
    onEvent: function (name, event) {
      if (name === "htmx:configRequest") {
        event.detail.headers["Content-Type"] = "application/json";
      }
    },
    encodeParameters: function (xhr, parameters) {
      xhr.overrideMimeType("text/json");
      var body = {};
      parameters.forEach(function (value, key) {
        if (value !== "") {
          body[key] = value;
        }
      });
      return JSON.stringify(body);
    },
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt;
    if (!source.hasAttribute || !source.hasAttribute("data-rollout-action")) {
      return;
    }
    if (event.detail.successful) {
      var message = document.getElementById("rollout-message");
      message.textContent = "";
      message.hidden = true;
      document.getElementById("rollout-reason").value = "";
      htmx.trigger(document.body, "rollout-changed");
    }
  });
})();

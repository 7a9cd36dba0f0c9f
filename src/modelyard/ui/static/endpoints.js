// The endpoint page's rollout buttons: their form is sent as JSON (hx-ext="json-body", from
// ui.js: the admin rollout routes take {reason, variant?}), and after an action succeeds the
// form is cleared and the rollout's state refreshes.
(function () {
  "use strict";

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

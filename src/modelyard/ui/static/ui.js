// The dashboard's only script besides htmx: the admin token box, the token on every request
// the pages make, and the server's error messages shown where the request came from.
// The token lives in this tab's sessionStorage only: closing the tab forgets it.
(function () {
  "use strict";
  var KEY = "modelyard-admin-token";

  function token() {
    return window.sessionStorage.getItem(KEY) || "";
  }

  function authHeaders() {
    var value = token();
    return value ? { Authorization: "Bearer " + value } : {};
  }

  function showLogin() {
    var signedIn = token() !== "";
    document.getElementById("login-state").textContent = signedIn ? "admin token set" : "no admin token";
    document.getElementById("login-token").hidden = signedIn;
    document.getElementById("login-button").hidden = signedIn;
    document.getElementById("logout-button").hidden = !signedIn;
  }

  // The message of a modelyard error answer ({"error": "..."}), else the status line.
  function messageOf(status, text) {
    try {
      var body = JSON.parse(text);
      if (body && typeof body.error === "string") {
        return body.error;
      }
    } catch (ignored) {
      // not JSON: fall through to the status
    }
    return "HTTP " + status;
  }

  // Where a failed request's message goes: the nearest [data-errors] box of the element that
  // sent it, else the page's flash line.
  function showError(source, message) {
    var box = source && source.closest ? source.closest("[data-errors]") : null;
    var target = box ? box.querySelector("[data-error-text]") || box : document.getElementById("flash");
    target.textContent = message;
    target.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("login").addEventListener("submit", function (event) {
      event.preventDefault();
      var field = document.getElementById("login-token");
      if (field.value.trim() !== "") {
        window.sessionStorage.setItem(KEY, field.value.trim());
      }
      field.value = "";
      showLogin();
    });
    document.getElementById("logout-button").addEventListener("click", function () {
      window.sessionStorage.removeItem(KEY);
      showLogin();
    });
    showLogin();
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var headers = authHeaders();
    for (var name in headers) {
      event.detail.headers[name] = headers[name];
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    showError(event.detail.elt, messageOf(xhr.status, xhr.responseText));
  });

  document.addEventListener("htmx:sendError", function (event) {
    showError(event.detail.elt, "the server did not answer");
  });

  window.modelyard = { token: token, authHeaders: authHeaders, messageOf: messageOf, showError: showError };
})();

// The dashboard's only shared script besides htmx: the admin token box, the token on every
// request the pages make, the server's error messages shown where the request came from, and
// the one htmx extension the pages use (json-body: a form sent as JSON, as the admin routes
// take it). The token lives in this tab's sessionStorage only: closing the tab forgets it.
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

  // htmx's other failures would otherwise leave the page silent: say what happened.
  var FAILURES = {
    "htmx:timeout": "the server did not answer in time",
    "htmx:targetError": "this page could not place the answer; reload the page",
    "htmx:swapError": "this page could not show the answer; reload the page",
    "htmx:oobErrorNoTarget": "this page could not show the answer; reload the page",
    "htmx:onLoadError": "this page could not show the answer; reload the page",
  };
  Object.keys(FAILURES).forEach(function (name) {
    document.addEventListener(name, function (event) {
      showError(event.target, FAILURES[name]);
    });
  });

  // After a request succeeds, an element marked data-on-success="EVENT" fires EVENT (it
  // bubbles), so the part of the page it changed can fetch itself again (hx-trigger="EVENT").
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt;
    var name = source && source.getAttribute ? source.getAttribute("data-on-success") : null;
    if (name && event.detail.successful) {
      htmx.trigger(source, name);
    }
  });

  // hx-ext="json-body": the form's fields as a JSON object, empty ones left out so the route's
  // defaults apply.
  htmx.defineExtension("json-body", {
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
    },
  });

  window.modelyard = { token: token, authHeaders: authHeaders, messageOf: messageOf, showError: showError };
})();

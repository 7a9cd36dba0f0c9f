// The try-it form: sends one instance (or one image) to the endpoint's real predict route, as
// any client does, and shows the answer, the model version and the Server-Timing stages.
// The form checks nothing itself: a value is sent as typed (a number when it reads as one),
// and the server's 422 problems are shown next to the fields their JSON pointers name.
(function () {
  "use strict";

  // "/instances/0/mean radius" -> "mean radius" (RFC 6901: ~1 is "/", ~0 is "~").
  function fieldOf(pointer) {
    var parts = String(pointer || "").split("/");
    if (parts.length < 4 || parts[1] !== "instances") {
      return null;
    }
    return parts.slice(3, 4)[0].replace(/~1/g, "/").replace(/~0/g, "~");
  }

  // A typed value as JSON: numbers for what reads as a number, true/false for booleans,
  // null for an empty field, the text itself otherwise (for the server to judge).
  function valueOf(input) {
    var text = input.value.trim();
    var kind = input.dataset.kind;
    if (text === "") {
      return null;
    }
    if ((kind === "number" || kind === "integer") && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
      return Number(text);
    }
    if (kind === "boolean" && (text === "true" || text === "false")) {
      return text === "true";
    }
    return input.value;
  }

  function request(form) {
    var headers = {};
    var token = form.querySelector("[data-predict-token]");
    if (token && token.value.trim() !== "") {
      headers.Authorization = "Bearer " + token.value.trim();
    } else {
      headers = window.modelyard.authHeaders();
    }
    var layout = form.dataset.layout;
    if (layout === "image") {
      var body = new FormData();
      var file = form.querySelector("[data-image]").files[0];
      if (file) {
        body.append("image", file, file.name);
      }
      return { headers: headers, body: body };
    }
    var inputs = form.querySelectorAll("[data-field]");
    var instance = layout === "rows" ? [] : {};
    inputs.forEach(function (input) {
      if (layout === "rows") {
        instance.push(valueOf(input));
      } else {
        instance[input.dataset.field] = valueOf(input);
      }
    });
    headers["Content-Type"] = "application/json";
    return { headers: headers, body: JSON.stringify({ instances: [instance] }) };
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-field-error]").forEach(function (slot) {
      slot.textContent = "";
    });
    var box = form.querySelector("[data-error-text]");
    box.textContent = "";
    box.hidden = true;
  }

  function showBox(form, message) {
    var box = form.querySelector("[data-error-text]");
    box.textContent = message;
    box.hidden = false;
  }

  // Each problem next to its field; what names no field goes to the form's error box.
  function showProblems(form, status, body) {
    var message = body && typeof body.error === "string" ? body.error : "HTTP " + status;
    var problems = body && Array.isArray(body.problems) ? body.problems : [];
    var unplaced = problems.length === 0;
    problems.forEach(function (problem) {
      // an image endpoint's problems point at the uploaded file (its position in the body)
      var name = form.dataset.layout === "image" ? "image" : fieldOf(problem.pointer);
      var slot = null;
      form.querySelectorAll("[data-field-error]").forEach(function (candidate) {
        if (name !== null && candidate.dataset.for === name) {
          slot = candidate;
        }
      });
      var text = "expected " + problem.expected + ", got " + problem.got;
      if (slot) {
        slot.textContent = slot.textContent ? slot.textContent + "; " + text : text;
      } else {
        unplaced = true;
      }
    });
    if (unplaced) {
      showBox(form, message);
    }
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) {
      td.className = className;
    }
    row.appendChild(td);
  }

  function showTiming(result, header) {
    var body = result.querySelector("[data-timing] tbody");
    body.textContent = "";
    (header || "").split(",").forEach(function (entry) {
      var parts = entry.trim().split(";");
      if (!parts[0]) {
        return;
      }
      var row = document.createElement("tr");
      row.dataset.stage = parts[0];
      var ms = "";
      var detail = "";
      parts.slice(1).forEach(function (param) {
        var pair = param.trim().split("=");
        if (pair[0] === "dur") {
          ms = Number(pair[1]).toFixed(3);
        } else if (pair[0] === "desc") {
          detail = pair.slice(1).join("=").replace(/^"|"$/g, "");
        }
      });
      cell(row, parts[0]);
      cell(row, ms, "number");
      cell(row, detail);
      body.appendChild(row);
    });
  }

  function showPredictions(result, predictions) {
    var body = result.querySelector("[data-predictions] tbody");
    body.textContent = "";
    (predictions || []).forEach(function (prediction) {
      var row = document.createElement("tr");
      row.dataset.prediction = "";
      var isObject = prediction !== null && typeof prediction === "object" && !Array.isArray(prediction);
      var label = isObject && "label" in prediction ? prediction.label : isObject && "value" in prediction ? prediction.value : prediction;
      cell(row, typeof label === "object" ? JSON.stringify(label) : String(label));
      cell(row, isObject && typeof prediction.score === "number" ? prediction.score.toFixed(4) : "", "number");
      var shares = isObject && prediction.probabilities ? prediction.probabilities : null;
      cell(row, shares ? Object.keys(shares).map(function (name) {
        return name + ": " + Number(shares[name]).toFixed(4);
      }).join(", ") : "");
      body.appendChild(row);
    });
  }

  function showAnswer(response, body) {
    var result = document.getElementById("try-result");
    var model = body.model || {};
    var name = model.name || response.headers.get("x-model-name") || "";
    var version = model.version || response.headers.get("x-model-version") || "";
    result.querySelector("[data-model]").textContent = name + ":" + version;
    result.querySelector("[data-request-id]").textContent = body.request_id || response.headers.get("x-request-id") || "";
    result.querySelector("[data-status]").textContent = String(response.status);
    showPredictions(result, body.predictions);
    showTiming(result, response.headers.get("server-timing"));
    result.querySelector("[data-result-json]").textContent = JSON.stringify(body, null, 2);
    result.hidden = false;
  }

  function submit(form, event) {
    event.preventDefault();
    clearErrors(form);
    var busy = form.querySelector("[data-busy]");
    busy.hidden = false;
    var sent = request(form);
    var url = "/endpoints/" + encodeURIComponent(form.dataset.endpoint) + "/predict";
    fetch(url, { method: "POST", headers: sent.headers, body: sent.body, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) {
          var body = null;
          try {
            body = JSON.parse(text);
          } catch (ignored) {
            body = null;
          }
          if (response.ok && body) {
            showAnswer(response, body);
          } else {
            document.getElementById("try-result").hidden = true;
            showProblems(form, response.status, body);
          }
        });
      })
      .catch(function () {
        showBox(form, "the server did not answer");
      })
      .finally(function () {
        busy.hidden = true;
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("try-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        submit(form, event);
      });
    }
  });
})();

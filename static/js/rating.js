/* The rating form: say a missing answer at its question, then seal the answers in the browser (HipSeal) and send
 * only the envelope. Where the browser cannot seal, the form posts as it is and the server seals on arrival. */
(function () {
  "use strict";
  var form = document.getElementById("rating-form");
  if (!form || !window.HipSeal || !window.fetch) return;
  var statusLine = document.getElementById("rating-status");
  var button = document.getElementById("rating-submit");
  var supported = window.HipSeal.isSupported();

  function errorFor(name) { return form.querySelector('.field-error[data-for="' + name + '"]'); }

  function showError(name, message) {
    var p = errorFor(name);
    if (!p) return;
    if (message) p.textContent = message;
    p.hidden = false;
    var box = p.closest("fieldset, details");
    if (box) { box.classList.add("invalid"); if (box.tagName === "DETAILS") box.open = true; }
  }

  function clearError(name) {
    var p = errorFor(name);
    if (!p) return;
    p.hidden = true;
    var box = p.closest("fieldset, details");
    if (box) box.classList.remove("invalid");
  }

  function answers() {
    var fields = {};
    var missing = [];
    form.querySelectorAll("fieldset[data-question]").forEach(function (set) {
      var name = set.getAttribute("data-question");
      var checked = set.querySelector("input:checked");
      if (checked) { fields[name] = checked.value; clearError(name); } else { missing.push(name); }
    });
    var comment = form.elements.comment.value.trim();
    if (comment) fields.comment = comment;
    return { fields: fields, missing: missing };
  }

  form.addEventListener("change", function (event) {
    if (event.target.type === "radio") clearError(event.target.name);
  });

  function base64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function publicKey() {
    var bin = atob(form.getAttribute("data-public-key"));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function department() {
    var fixed = form.getAttribute("data-department");
    if (fixed) return fixed;
    var select = form.elements.department;
    return select ? select.value : "";
  }

  function busy(on) {
    button.disabled = on;
    statusLine.textContent = on ? form.getAttribute("data-sealing") : "";
  }

  async function send(filled) {
    var payload = new TextEncoder().encode(JSON.stringify({ v: 1, fields: filled }));
    var context = HipSeal.context("submission", "1", "rating", form.getAttribute("data-hospital"), department());
    var envelope = await HipSeal.seal(publicKey(), payload, context);
    var body = new FormData();  // only the envelope travels: never the answers in the clear
    body.append("csrf_token", form.elements.csrf_token.value);
    body.append("envelope", base64url(envelope));
    body.append("code", form.elements.code.value);
    if (form.elements.department) body.append("department", form.elements.department.value);
    var response = await fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
    });
    var result = await response.json();
    if (result.ok) { window.location.assign(result.next); return; }
    busy(false);
    Object.keys(result.errors || {}).forEach(function (name) { showError(name, result.errors[name]); });
    if (result.message) statusLine.textContent = result.message;
    var first = form.querySelector(".invalid");
    if (first) first.scrollIntoView({ behavior: "smooth", block: "center" });
  }

  form.addEventListener("submit", function (event) {
    var filled = answers();
    if (filled.missing.length) {
      event.preventDefault();
      filled.missing.forEach(function (name) { showError(name); });
      document.getElementById("q-" + filled.missing[0]).scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    event.preventDefault();
    busy(true);
    supported.then(function (ok) {
      if (!ok) { form.submit(); return; }  // no WebCrypto here: the server seals on arrival
      return send(filled.fields);
    }).catch(function () {
      busy(false);
      statusLine.textContent = form.getAttribute("data-failed");
    });
  });
})();

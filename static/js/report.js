/* The report form, sealed in the browser: fields, identity and files are encrypted here (HipSeal, seal.js)
 * and only envelopes leave the phone. Without WebCrypto (or without this script) the form posts as it is and
 * the server seals on arrival. Nothing is written to browser storage. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.HipSeal || !window.fetch || !window.FormData || !window.DOMParser ||
      !window.Blob || !Blob.prototype.arrayBuffer) return;
  var data = form.dataset;
  var mode = document.getElementById("seal-mode");
  var button = document.getElementById("submit-report");
  var encoder = new TextEncoder();
  var FIELDS = ["category", "what", "who", "role", "when", "where", "amount"];
  var TYPES = { "image/jpeg": "jpeg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf" };
  var MB = 1024 * 1024;
  var MAX_SIDE = 4096;

  HipSeal.isSupported().then(function (ok) {
    if (!ok) { mode.textContent = data.msgPlainMode; return; }
    mode.textContent = data.msgBrowserMode;
    form.addEventListener("submit", onSubmit);
  });

  function value(name) {
    var field = form.elements[name];
    if (!field) return "";
    if (field.type === "checkbox") return field.checked ? field.value : "";
    return (field.value || "").replace(/\r\n?/g, "\n").trim();
  }

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".js-error"), function (el) { el.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll(".invalid"), function (el) { el.classList.remove("invalid"); });
    var filesError = document.getElementById("files-error");
    filesError.hidden = true;
    filesError.textContent = "";
  }

  function showError(name, message) {
    var box = document.getElementById("field-" + name);
    var p = document.createElement("p");
    p.className = "field-error js-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    var anchor = box.querySelector("legend, label");
    anchor.insertAdjacentElement("afterend", p);
    box.classList.add("invalid");
    return box;
  }

  function showFileError(message) {
    var filesError = document.getElementById("files-error");
    filesError.textContent = message;
    filesError.hidden = false;
    document.getElementById("field-files").classList.add("invalid");
    return document.getElementById("field-files");
  }

  function banner(message) {
    var el = document.getElementById("form-problem");
    if (!el) {
      el = document.createElement("p");
      el.id = "form-problem";
      el.className = "notice error";
      el.setAttribute("role", "alert");
      form.parentNode.insertBefore(el, form);
    }
    el.textContent = message;
    el.scrollIntoView({ block: "center" });
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function base64(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }

  function fromHex(text) {
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }

  // Draw a photo onto a canvas and encode it again: only the pixels survive, no EXIF, GPS or XMP.
  async function reencode(file, kind) {
    var bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    if (bitmap.close) bitmap.close();
    var type = kind === "png" ? "image/png" : "image/jpeg";
    var blob = await new Promise(function (resolve) { canvas.toBlob(resolve, type, 0.9); });
    if (!blob) throw new Error("the photo could not be encoded again");
    return { bytes: new Uint8Array(await blob.arrayBuffer()), type: type };
  }

  // Check and read the chosen files; returns null (after saying which limit) when they do not fit.
  async function readFiles() {
    var input = form.elements.files;
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    if (files.length > Number(data.maxFiles)) { showFileError(data.msgTooMany); return null; }
    var out = [];
    var total = 0;
    for (var i = 0; i < files.length; i++) {
      var kind = TYPES[files[i].type];
      if (!kind) { showFileError(data.msgType); return null; }
      var read;
      try {
        read = kind === "pdf" ? { bytes: new Uint8Array(await files[i].arrayBuffer()), type: "application/pdf" }
                              : await reencode(files[i], kind);
      } catch (e) {
        showFileError(data.msgType);
        return null;
      }
      if (read.bytes.length > Number(data.maxFileMb) * MB) { showFileError(data.msgTooLarge); return null; }
      total += read.bytes.length;
      if (total > Number(data.maxTotalMb) * MB) { showFileError(data.msgTotal); return null; }
      out.push(read);
    }
    return out;
  }

  async function onSubmit(event) {
    event.preventDefault();
    clearErrors();
    var missing = [];
    if (!value("category")) missing.push(showError("category", data.msgCategory));
    if (!value("what")) missing.push(showError("what", data.msgWhat));
    var first = missing[0];
    if (first) { banner(data.msgCheck); first.scrollIntoView({ block: "center" }); return; }
    button.disabled = true;
    var oldLabel = button.textContent;
    button.textContent = data.msgSealing;
    mode.classList.add("sealing");
    try {
      var body = await seal();
      if (!body) { banner(data.msgCheck); return; }
      var response = await fetch(form.action, {
        method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": value("csrf_token") }
      });
      if (!response.ok) { banner(response.status === 413 ? data.msgTotal : data.msgRefused); return; }
      showReceipt(await response.text());
    } catch (e) {
      banner(data.msgFailed);
    } finally {
      button.disabled = false;
      button.textContent = oldLabel;
      mode.classList.remove("sealing");
    }
  }

  // Build the body: envelopes and sealed files only, never a field in the clear.
  async function seal() {
    var files = await readFiles();
    if (!files) return null;
    var department = value("department") || data.departmentId || "";
    var where = ["report", data.hospitalId, department];
    var body = new FormData();
    body.append("csrf_token", value("csrf_token"));
    body.append("department", department);
    var attachments = [];
    for (var i = 0; i < files.length; i++) {
      var id = hex(crypto.getRandomValues(new Uint8Array(16)));
      var key = HipSeal.newFileKey();
      var sealed = await HipSeal.sealChunks(key, files[i].bytes, HipSeal.context("attachment", "1", id));
      var ext = files[i].type === "application/pdf" ? "pdf" : files[i].type === "image/png" ? "png" : "jpg";
      attachments.push({ id: id, name: "附件" + (i + 1) + "." + ext, type: files[i].type,
                         size: files[i].bytes.length, key: base64(key) });
      body.append("sealed_file", new Blob([sealed.header].concat(sealed.chunks)), id);
    }
    var fields = {};
    FIELDS.forEach(function (name) { var v = value(name); if (v) fields[name] = v; });
    var recipient = fromHex(value("escalate") && data.authorityKey ? data.authorityKey : data.hospitalKey);
    var payload = encoder.encode(JSON.stringify({ v: 1, fields: fields, attachments: attachments }));
    var envelope = await HipSeal.seal(recipient, payload, HipSeal.context.apply(null, ["submission", "1"].concat(where)));
    body.append("envelope", new Blob([envelope]), "envelope");
    var identity = {};
    ["real_name", "contact"].forEach(function (name) { var v = value(name); if (v) identity[name] = v; });
    if (Object.keys(identity).length) {
      identity.v = 1;
      var sealedIdentity = await HipSeal.seal(recipient, encoder.encode(JSON.stringify(identity)),
        HipSeal.context.apply(null, ["identity", "1"].concat(where)));
      body.append("identity", new Blob([sealedIdentity]), "identity");
    }
    return body;
  }

  // Show the receipt page the server answered with, in place: the code is in no URL and no history entry.
  function showReceipt(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    document.title = page.title;
    document.body.replaceWith(document.importNode(page.body, true));
    window.scrollTo(0, 0);
    var script = document.createElement("script");
    script.src = "/static/js/receipt.js";
    document.body.appendChild(script);
  }
})();

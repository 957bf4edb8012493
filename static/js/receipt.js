/* "Save as image" for the receipt code: drawn on a canvas, offered as a PNG download and shown as an image
 * that can be long-pressed (WeChat's browser does not download). Nothing goes to browser storage. */
(function () {
  "use strict";
  var card = document.getElementById("receipt-card");
  var button = document.getElementById("save-receipt");
  var canvas = document.createElement("canvas");
  if (!card || !button || !canvas.getContext || !canvas.toBlob || !window.URL) return;
  button.hidden = false;

  function draw() {
    var groups = Array.prototype.map.call(document.querySelectorAll("#receipt-code span"),
      function (span) { return span.textContent; });
    canvas.width = 1080;
    canvas.height = 560;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#1f2933";
    ctx.lineWidth = 6;
    ctx.strokeRect(20, 20, canvas.width - 40, canvas.height - 40);
    ctx.fillStyle = "#1f2933";
    ctx.textAlign = "center";
    ctx.font = "bold 52px sans-serif";
    ctx.fillText(card.dataset.title, canvas.width / 2, 120);
    ctx.font = "bold 76px monospace";
    ctx.fillText(groups.slice(0, 3).join(" "), canvas.width / 2, 270);
    ctx.fillText(groups.slice(3).join(" "), canvas.width / 2, 370);
    ctx.font = "34px sans-serif";
    ctx.fillStyle = "#616e7c";
    ctx.fillText(card.dataset.note, canvas.width / 2, 470);
  }

  button.addEventListener("click", function () {
    draw();
    canvas.toBlob(function (blob) {
      var url = URL.createObjectURL(blob);
      var link = document.createElement("a");
      link.href = url;
      link.download = card.dataset.filename;
      document.body.appendChild(link);
      link.click();
      link.remove();
      var image = document.getElementById("receipt-image") || document.createElement("img");
      image.id = "receipt-image";
      image.alt = card.dataset.title;
      image.className = "receipt-image";
      image.src = url;
      card.appendChild(image);
      document.getElementById("save-hint").hidden = false;
    }, "image/png");
  });
})();

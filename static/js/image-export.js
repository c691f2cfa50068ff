/* Download → Image → PNG: the server's SVG of the view (legend, date and sources included),
 * drawn into a canvas and saved as PNG under the SVG's name.
 *
 * The PNG link points at the SVG (app.js keeps its filters in step with the URL like every
 * [data-export] link) and stays hidden without this file, since only the browser rasterises.
 * The SVG goes in as a data: URL: the CSP allows images from 'self' and data: only, not blob:.
 */
(function () {
  "use strict";

  var MAX_SIDE = 8192;  /* canvases larger than this fail in some browsers */

  function savedName(response) {
    var match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return (match ? match[1] : "alliance-network.svg").replace(/\.svg$/, ".png");
  }

  function rasterise(svg) {
    return new Promise(function (resolve, reject) {
      var image = new Image();
      image.onload = function () {
        var scale = Math.min(1, MAX_SIDE / Math.max(image.naturalWidth, image.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(image.naturalWidth * scale);
        canvas.height = Math.round(image.naturalHeight * scale);
        var context = canvas.getContext("2d");
        context.fillStyle = "#ffffff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) { if (blob) { resolve(blob); } else { reject(new Error("empty PNG")); } },
                      "image/png");
      };
      image.onerror = function () { reject(new Error("the SVG could not be drawn")); };
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    });
  }

  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  function fail(link) {
    var use = link.querySelector(".menu-use");
    if (use) { use.textContent = "could not be made in this browser: take the SVG"; }
    var menu = link.closest("details");
    if (menu) { menu.open = true; }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-image-png]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    event.preventDefault();
    if (link.getAttribute("aria-busy") === "true") { return; }
    link.setAttribute("aria-busy", "true");
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text().then(function (svg) {
          return rasterise(svg).then(function (blob) { save(blob, savedName(response)); });
        });
      })
      .catch(function () { fail(link); })
      .then(function () { link.removeAttribute("aria-busy"); });
  });

  document.querySelectorAll("[data-image-png]").forEach(function (link) {
    var item = link.closest("li");
    if (item) { item.hidden = false; }
  });
})();

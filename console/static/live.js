// Live parts of console pages: every element with data-live="<url>" is reloaded
// from that URL every few seconds. The server renders (and escapes) the HTML.
// The reply form's canned-reply menu fills the text box.
(function () {
  "use strict";

  function refresh(element, shown) {
    if (document.hidden) { return; }
    fetch(element.getAttribute("data-live"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (shown.html !== html) {
          shown.html = html;
          element.innerHTML = html;
        }
      })
      .catch(function () { /* the next round tries again */ });
  }

  document.querySelectorAll("[data-live]").forEach(function (element) {
    var shown = { html: null };
    window.setInterval(function () { refresh(element, shown); }, 3000);
  });

  var canned = document.getElementById("canned");
  var text = document.getElementById("reply-text");
  if (canned && text) {
    canned.addEventListener("change", function () {
      if (canned.value) { text.value = canned.value; text.focus(); }
    });
  }
}());

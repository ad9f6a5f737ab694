// Small progressive enhancements for Linli pages (vendored, no build step, CSP-safe).
(function () {
  "use strict";
  // A button with data-countdown="N" stays disabled for N seconds, showing the time left
  // (the SMS "send code" button after a code was sent).
  function countdown(btn) {
    var left = parseInt(btn.getAttribute("data-countdown"), 10) || 0;
    var label = btn.textContent;
    var suffix = btn.getAttribute("data-suffix") || "s";
    function tick() {
      if (left <= 0) {
        btn.disabled = false;
        btn.textContent = label;
        return;
      }
      btn.disabled = true;
      btn.textContent = left + suffix;
      left -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), countdown);
  });
})();

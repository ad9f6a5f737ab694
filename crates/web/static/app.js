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
  // A check-in form (data-geolocate) gets the phone's position in its lat/lng fields.
  function geolocate(form) {
    var status = form.querySelector("[data-waiting]");
    function say(key) {
      if (status) status.textContent = status.getAttribute(key);
    }
    if (!navigator.geolocation) {
      say("data-failed");
      return;
    }
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("[name=lng]").value = pos.coords.longitude.toFixed(6);
        form.setAttribute("data-located", "1");
        say("data-found");
      },
      function () {
        say("data-failed");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), countdown);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-geolocate]"), geolocate);
  });
})();

// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Older browsers: select the text and use the legacy copy command.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "skip";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  ready(function () {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.querySelector(button.getAttribute("data-copy"));
        var status = document.querySelector("[data-copied-text]");
        copyText(source.textContent.trim()).then(function () {
          if (status) status.textContent = status.getAttribute("data-copied-text");
        });
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    // Staff pages: say a few minutes ahead that the session ends (the token's lifetime), so
    // nobody is surprised; a form sent after it ended is kept through the sign-in anyway.
    var nav = document.querySelector("[data-session-ending]");
    var warning = document.getElementById("session-warning");
    if (nav && warning && window.fetch) {
      var check = function () {
        fetch("/staff/session", { credentials: "same-origin" }).then(function (r) {
          return r.json();
        }).then(function (state) {
          if (state.signed_in && state.seconds_left < 180) {
            warning.textContent = nav.getAttribute("data-session-ending")
              .replace("{minutes}", String(Math.max(1, Math.round(state.seconds_left / 60))));
            warning.hidden = false;
          }
        }).catch(function () {});
      };
      check();
      setInterval(check, 60000);
    }
    // After a failed submission, take keyboard and screen-reader users to the error summary.
    var summary = document.getElementById("summary");
    if (summary) summary.focus();
  });
})();

/* Your data (under My bookings): ask for a copy (the server builds it and sends it to the chat; here it can be saved
   once ready), or erase it after Telegram's confirm. Every refusal (one export an hour …) shown as the server says. */
(function () {
  "use strict";

  var M = window.MedSync;
  var POLL_MS = 3000;
  var POLL_TIMES = 40;

  function start() {
    if (!M.signedIn) return;
    var section = document.querySelector(".my-data");
    var texts = section.dataset;
    var status = document.querySelector("[data-my-data-status]");
    status.style.whiteSpace = "pre-line";  // the erasure's answer comes in paragraphs
    var exportButton = document.querySelector("[data-export]");
    var saveButton = document.querySelector("[data-export-file]");
    var eraseButton = document.querySelector("[data-erase]");

    function showReady(exported) {
      if (!exported || exported.status !== "ready") return false;
      status.textContent = texts.exportReady;
      saveButton.hidden = false;
      return true;
    }

    function follow(times) {
      M.api("/api/v1/me/export").then(function (exported) {
        if (!showReady(exported) && exported.status === "pending" && times > 0) {
          window.setTimeout(function () { follow(times - 1); }, POLL_MS);
        }
      }, function () { /* nothing asked for yet */ });
    }

    exportButton.addEventListener("click", function () {
      exportButton.disabled = true;
      M.api("/api/v1/me/export", { method: "POST" }).then(function () {
        M.haptic("success");
        status.textContent = texts.exportQueued;
        follow(POLL_TIMES);
      }, function (error) {
        exportButton.disabled = false;
        M.showError(error.message);
      });
    });

    saveButton.addEventListener("click", function () {
      M.api("/api/v1/me/export/file", { blob: true }).then(function (blob) {
        M.download(blob, "medsync-my-data.zip");
      }, function (error) { M.showError(error.message); });
    });

    eraseButton.addEventListener("click", function () {
      M.confirm(texts.eraseConfirm).then(function (ok) {
        if (!ok) return;
        eraseButton.disabled = exportButton.disabled = true;
        M.api("/api/v1/me", { method: "DELETE" }).then(function (erased) {
          M.haptic("success");
          document.querySelector("[data-list]").textContent = "";
          saveButton.hidden = true;
          status.textContent = erased.message;
        }, function (error) {
          eraseButton.disabled = exportButton.disabled = false;
          M.showError(error.message);
        });
      });
    });

    follow(0);
  }

  document.addEventListener("DOMContentLoaded", start);
})();

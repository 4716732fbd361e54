/* My results: open the PDF here, or have the bot send it to the chat (POST /api/v1/results/{id}/send). */
(function () {
  "use strict";

  var M = window.MedSync;
  var PER_PAGE = 20;

  function start() {
    var list = document.querySelector("[data-list]");
    var status = document.querySelector("[data-list-status]");
    var more = document.querySelector("[data-more]");
    var page = 1;
    if (!M.signedIn) return;

    function card(result) {
      var open = M.element("button", { type: "button", class: "button secondary small", text: M.t("open_pdf") });
      open.addEventListener("click", function () {
        M.api("/api/v1/results/" + result.id + "/file", { blob: true }).then(function (blob) {
          M.download(blob, result.file_name);
        }, function (error) { M.showError(error.message); });
      });
      var send = M.element("button", { type: "button", class: "button small", text: M.t("send_to_chat") });
      send.addEventListener("click", function () {
        send.disabled = true;
        M.api("/api/v1/results/" + result.id + "/send", { method: "POST", body: {} }).then(function () {
          send.disabled = false;
          M.haptic("success");
          M.toast(M.t("sent_to_chat"));
        }, function (error) {
          send.disabled = false;
          M.showError(error.message);
        });
      });
      var received = M.formatDay(result.created_at.slice(0, 10), { day: "numeric", month: "long", year: "numeric" });
      return M.element("li", { class: "card result", "data-result-id": result.id }, [
        M.element("div", { class: "card-body" }, [
          M.element("strong", { class: "name", text: result.title }),
          M.element("span", { class: "hint", text: received + " · " + M.t("size_kb", { size: M.number(Math.max(1, Math.round(result.size_bytes / 1024))) }) }),
          M.element("div", { class: "actions" }, [open, send]),
        ]),
      ]);
    }

    function load(next) {
      page = next;
      status.textContent = M.t("loading");
      M.api("/api/v1/me/results?per_page=" + PER_PAGE + "&page=" + page).then(function (answer) {
        answer.items.forEach(function (result) { list.appendChild(card(result)); });
        status.textContent = answer.pagination.total ? "" : M.t("results_empty");
        more.hidden = answer.pagination.page >= answer.pagination.pages;
      }, function (error) {
        status.textContent = error.message;
        M.showError(error.message);
      });
    }

    more.addEventListener("click", function () { load(page + 1); });
    load(1);
  }

  document.addEventListener("DOMContentLoaded", start);
})();

/* Audit log (admins): who changed what, when, before → after (GET /api/v1/admin/audit), newest first, paged. */
(function () {
  "use strict";

  var M = window.MedSync;
  var PER_PAGE = 20;

  function change(before, after) {
    var fields = Object.keys(after || before || {});
    return fields.map(function (field) {
      var old = before ? JSON.stringify(before[field]) : null;
      var now = after ? JSON.stringify(after[field]) : null;
      return field + ": " + (old === null ? "" : old + " → ") + (now === null ? "" : now);
    });
  }

  function start() {
    var list = document.querySelector("[data-list]");
    var status = document.querySelector("[data-list-status]");
    var more = document.querySelector("[data-more]");
    var page = 1;
    var when = new Intl.DateTimeFormat(document.documentElement.lang || "en", { dateStyle: "medium", timeStyle: "short" });

    function card(entry) {
      var lines = change(entry.before, entry.after).map(function (line) { return M.element("li", { text: line }); });
      return M.element("li", { class: "card", "data-audit-id": entry.id }, [
        M.element("div", { class: "card-body" }, [
          M.element("strong", { class: "name", text: entry.action + " #" + (entry.object_id === null ? "" : entry.object_id) }),
          M.element("span", { class: "hint", text: M.t("audit_line", { when: when.format(new Date(entry.at)), who: entry.actor_name || entry.actor_id }) }),
          M.element("ul", { class: "bullets" }, lines),
        ]),
      ]);
    }

    function load(next) {
      page = next;
      status.textContent = M.t("loading");
      M.api("/api/v1/admin/audit?per_page=" + PER_PAGE + "&page=" + page).then(function (answer) {
        answer.items.forEach(function (entry) { list.appendChild(card(entry)); });
        status.textContent = answer.pagination.total ? "" : M.t("nothing_yet");
        more.hidden = answer.pagination.page >= answer.pagination.pages;
      }, function (error) { status.textContent = error.message; });
    }

    more.addEventListener("click", function () { load(page + 1); });
    window.MedSyncStaff.me.then(function () { load(1); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

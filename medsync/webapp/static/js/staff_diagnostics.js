/* Tests (staff): the diagnostics offered at the caller's clinics (GET /api/v1/admin/diagnostics), each
   opening the test's page. */
(function () {
  "use strict";

  var M = window.MedSync;

  function start() {
    var list = document.querySelector("[data-list]");
    var status = document.querySelector("[data-list-status]");
    status.textContent = M.t("loading");
    window.MedSyncStaff.me.then(function (me) {
      var names = {};
      me.clinics.forEach(function (clinic) { names[clinic.id] = clinic.name; });
      return M.api("/api/v1/admin/diagnostics").then(function (diagnostics) {
        diagnostics.forEach(function (diagnostic) {
          var clinics = diagnostic.clinic_ids.map(function (id) { return names[id]; }).filter(Boolean).join(", ");
          list.appendChild(M.element("li", { "data-diagnostic-id": diagnostic.id }, [
            M.element("a", { class: "card", href: "/app/staff/diagnostics/" + diagnostic.id }, [
              M.element("div", { class: "card-body" }, [
                M.element("strong", { class: "name", text: diagnostic.name }),
                M.element("span", { class: "hint", text: M.t("price_minutes", { price: M.number(diagnostic.price), minutes: diagnostic.duration_minutes }) }),
                M.element("span", { class: "hint", text: clinics }),
              ]),
            ]),
          ]));
        });
        status.textContent = diagnostics.length ? "" : M.t("nothing_yet");
      });
    }).catch(function (error) { status.textContent = error.message; });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

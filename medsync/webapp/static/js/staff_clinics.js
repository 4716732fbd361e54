/* Clinics (staff): address, time zone, currency and the week's opening hours (GET /api/v1/admin/clinics), each
   opening the clinic's page. */
(function () {
  "use strict";

  var M = window.MedSync;

  function hoursText(clinic) {
    var days = {};
    clinic.hours.forEach(function (day) { days[day.weekday] = day.opens + "–" + day.closes; });
    return [1, 2, 3, 4, 5, 6, 7].map(function (weekday) {
      return M.t("weekday_" + weekday) + " " + (days[weekday] || M.t("closed"));
    }).join(" · ");
  }

  function start() {
    var list = document.querySelector("[data-list]");
    var status = document.querySelector("[data-list-status]");
    status.textContent = M.t("loading");
    window.MedSyncStaff.me.then(function () { return M.api("/api/v1/admin/clinics"); }).then(function (clinics) {
      clinics.forEach(function (clinic) {
        list.appendChild(M.element("li", { "data-clinic-id": clinic.id }, [
          M.element("a", { class: "card", href: "/app/staff/clinics/" + clinic.id }, [
            M.element("div", { class: "card-body" }, [
              M.element("strong", { class: "name", text: clinic.name }),
              M.element("span", { text: clinic.address }),
              M.element("span", { class: "hint", text: clinic.timezone + " · " + clinic.currency }),
              M.element("span", { class: "hint", text: hoursText(clinic) }),
            ]),
          ]),
        ]));
      });
      status.textContent = clinics.length ? "" : M.t("nothing_yet");
    }, function (error) { status.textContent = error.message; });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

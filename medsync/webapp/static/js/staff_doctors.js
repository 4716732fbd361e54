/* Doctors (staff): search by name, active or inactive (GET /api/v1/admin/doctors), paged. */
(function () {
  "use strict";

  var M = window.MedSync;
  var PER_PAGE = 20;

  function start() {
    var list = document.querySelector("[data-list]");
    var status = document.querySelector("[data-list-status]");
    var more = document.querySelector("[data-more]");
    var search = document.querySelector("[data-doctor-search]");
    var active = document.querySelector("[data-doctor-active]");
    var page = 1;
    var asked = 0;

    function card(doctor) {
      var facts = M.t("price_minutes", { price: M.number(doctor.price), minutes: doctor.appointment_minutes });
      return M.element("li", { "data-doctor-id": doctor.id }, [
        M.element("a", { class: "card", href: "/app/staff/doctors/" + doctor.id }, [
          M.element("img", { class: "photo", src: doctor.photo_url, alt: "", width: "56", height: "56" }),
          M.element("div", { class: "card-body" }, [
            M.element("strong", { class: "name", text: doctor.full_name }),
            M.element("span", { class: "hint", text: facts }),
            doctor.active ? null : M.element("span", { class: "status status-cancelled", text: M.t("inactive") }),
          ]),
        ]),
      ]);
    }

    function load(next) {
      var ask = ++asked;
      page = next;
      if (page === 1) list.textContent = "";
      status.textContent = M.t("loading");
      var query = "?per_page=" + PER_PAGE + "&page=" + page;
      if (search.value.trim()) query += "&q=" + encodeURIComponent(search.value.trim());
      if (active.value) query += "&active=" + active.value;
      M.api("/api/v1/admin/doctors" + query).then(function (answer) {
        if (ask !== asked) return;  /* a newer search has been asked meanwhile */
        answer.items.forEach(function (doctor) { list.appendChild(card(doctor)); });
        status.textContent = answer.pagination.total ? "" : M.t("no_doctors");
        more.hidden = answer.pagination.page >= answer.pagination.pages;
      }, function (error) { status.textContent = error.message; });
    }

    var typing = null;
    search.addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(function () { load(1); }, 250); });
    active.addEventListener("change", function () { load(1); });
    document.querySelector("[data-doctor-filter]").addEventListener("submit", function (event) { event.preventDefault(); load(1); });
    more.addEventListener("click", function () { load(page + 1); });
    window.MedSyncStaff.me.then(function () { load(1); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

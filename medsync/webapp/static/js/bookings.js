/* My bookings: upcoming and past, cancel (with Telegram's confirm; the server's refusal shown as it says it),
   reschedule through the slot picker, add to calendar. */
(function () {
  "use strict";

  var M = window.MedSync;
  var PER_PAGE = 10;

  function start() {
    var list = document.querySelector("[data-list]");
    var status = document.querySelector("[data-list-status]");
    var more = document.querySelector("[data-more]");
    var state = { when: "upcoming", page: 1 };
    if (!M.signedIn) return;

    function card(booking) {
      var when = M.clinicWhen(booking.starts_at, booking.clinic.timezone);
      var actions = M.element("div", { class: "actions" });
      if (state.when === "upcoming") {
        // What the patient may do with it now is the server's to say (Booking.patient_actions, too_late_to_change).
        if (booking.actions.indexOf("move") >= 0) {
          actions.appendChild(M.element("a", { class: "button secondary small", href: "/app/reschedule/" + booking.id,
                                               text: M.t("reschedule") }));
        }
        if (booking.actions.indexOf("cancel") >= 0) {
          var cancel = M.element("button", { type: "button", class: "button danger small", text: M.t("cancel") });
          cancel.addEventListener("click", function () { cancelBooking(booking, when, cancel); });
          actions.appendChild(cancel);
        }
        if (booking.too_late_to_change) {
          actions.appendChild(M.element("span", { class: "hint", "data-too-late": "", text: M.t("too_late_to_change") }));
        }
        if (booking.actions.indexOf("calendar") >= 0) {
          var calendar = M.element("button", { type: "button", class: "button secondary small", text: M.t("add_to_calendar") });
          calendar.addEventListener("click", function () {
            M.api("/api/v1/bookings/" + booking.id + "/calendar.ics", { blob: true }).then(function (blob) {
              M.download(blob, "medsync-booking-" + booking.id + ".ics");
            }, function (error) { M.showError(error.message); });
          });
          actions.appendChild(calendar);
        }
      }
      return M.element("li", { class: "card booking", "data-booking-id": booking.id }, [
        M.element("div", { class: "card-body" }, [
          M.element("strong", { class: "name", text: booking.service_name }),
          M.element("span", { class: "when", text: when }),
          M.element("span", { class: "hint", text: booking.clinic.name + " · " + booking.clinic.address }),
          M.element("span", { class: "status status-" + booking.status, text: M.t("status_" + booking.status) }),
          actions,
        ]),
      ]);
    }

    function cancelBooking(booking, when, button) {
      M.confirm(M.t("cancel_confirm", { when: when })).then(function (ok) {
        if (!ok) return;
        button.disabled = true;
        M.api("/api/v1/bookings/" + booking.id + "/cancel", { method: "POST", body: {} }).then(function () {
          M.haptic("success");
          M.toast(M.t("cancelled"));
          load(1);
        }, function (error) {
          button.disabled = false;
          M.showError(error.message);
        });
      });
    }

    function load(page) {
      state.page = page;
      status.textContent = M.t("loading");
      M.api("/api/v1/me/bookings?when=" + state.when + "&per_page=" + PER_PAGE + "&page=" + page).then(function (answer) {
        if (page === 1) list.textContent = "";
        answer.items.forEach(function (booking) { list.appendChild(card(booking)); });
        status.textContent = answer.pagination.total ? "" : M.t(state.when + "_empty");
        more.hidden = answer.pagination.page >= answer.pagination.pages;
      }, function (error) {
        status.textContent = error.message;
        M.showError(error.message);
      });
    }

    document.querySelectorAll("[data-when]").forEach(function (tab) {
      tab.addEventListener("click", function () {
        state.when = tab.dataset.when;
        document.querySelectorAll("[data-when]").forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === tab));
        });
        load(1);
      });
    });
    more.addEventListener("click", function () { load(state.page + 1); });
    load(1);
  }

  document.addEventListener("DOMContentLoaded", start);
})();

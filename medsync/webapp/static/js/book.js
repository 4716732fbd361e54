/* The slot picker, the patient's form and the confirmation, for a new booking or a reschedule.
   Only the server's free slots are offered (with initData, minus the patient's own busy times); the server
   decides, and its message is shown whenever it refuses. */
(function () {
  "use strict";

  var M = window.MedSync;
  var RANGE_DAYS = 31; /* the API's cap on one slots request */

  function start() {
    var section = document.getElementById("booking");
    var data = section.dataset;
    var steps = {
      pick: section.querySelector('[data-step="pick"]'),
      details: section.querySelector('[data-step="details"]'),
      done: section.querySelector('[data-step="done"]'),
    };
    var form = steps.details;
    var state = {
      kind: data.kind, serviceId: data.serviceId, clinicId: data.clinicId, zone: data.zone,
      booking: null, days: [], slots: {}, day: null, slot: null, result: null, busy: false,
    };
    var backTo = document.body.dataset.back;

    function show(step) {
      Object.keys(steps).forEach(function (name) { steps[name].hidden = name !== step; });
      state.step = step;
      if (step === "pick") {
        M.mainButton(null);
        M.backButton(function () { window.location.href = backTo; });
      } else if (step === "details") {
        M.backButton(function () { show("pick"); });
        if (M.signedIn) M.mainButton({ text: form.querySelector("[data-submit]").textContent.trim(), onClick: submit });
      } else {
        M.backButton(null);
        M.mainButton({ text: M.t("done"), onClick: finish });
      }
    }

    /* --- days and times ------------------------------------------------------------------------- */

    function horizon() {
      var now = new Date(data.now);
      var first = M.dayIn(now, state.zone);
      var last = M.dayIn(new Date(now.getTime() + Number(data.horizonDays) * 86400000), state.zone);
      var days = [];
      for (var day = first; day <= last; day = M.addDays(day, 1)) days.push(day);
      return days;
    }

    function slotsUrl(from, to) {
      var query = "from=" + from + "&to=" + to;
      if ((state.slotsKind || state.kind) === "doctor") return "/api/v1/doctors/" + state.serviceId + "/slots?" + query;
      return "/api/v1/diagnostics/" + state.serviceId + "/slots?clinic_id=" + state.clinicId + "&" + query;
    }

    function loadSlots() {
      var status = section.querySelector("[data-slots-status]");
      status.textContent = M.t("loading");
      /* What was free a moment ago is not offered while the fresh answer is on its way. */
      section.querySelector("[data-times]").textContent = "";
      var requests = [];
      for (var index = 0; index < state.days.length; index += RANGE_DAYS) {
        var chunk = state.days.slice(index, index + RANGE_DAYS);
        requests.push(M.api(slotsUrl(chunk[0], chunk[chunk.length - 1])));
      }
      return Promise.all(requests).then(function (answers) {
        state.slots = {};
        answers.forEach(function (slots) {
          slots.forEach(function (slot) {
            var day = M.clinicDay(slot.starts_at);
            (state.slots[day] = state.slots[day] || []).push(slot);
          });
        });
        var open = state.days.filter(function (day) { return state.slots[day]; });
        if (!state.slots[state.day]) state.day = open[0] || null;
        status.textContent = open.length ? "" : M.t("no_slots_at_all");
        renderDays();
        renderTimes();
      }, function (error) {
        status.textContent = error.message;
        M.showError(error.message);
      });
    }

    /* Said for the day shown, as its times are: a device whose offset matches the clinic's on some days and not on
       others (a DST change in one of the zones) gets the note exactly on the days that show two times. */
    function renderZoneNote(sample) {
      var note = section.querySelector("[data-zone-note]");
      note.hidden = !(sample && M.deviceDiffers(sample.starts_at));
      if (sample) note.textContent = M.t("clinic_time", { zone: M.zoneLabel(state.zone, sample.starts_at) });
    }

    function renderDays() {
      var strip = section.querySelector("[data-days]");
      strip.textContent = "";
      state.days.forEach(function (day) {
        var free = !!state.slots[day];
        var button = M.element("button", {
          type: "button", class: "day", "data-day": day, "aria-pressed": String(day === state.day),
          "aria-label": free ? M.longDay(day) : M.t("day_closed", { day: M.longDay(day) }),
        }, [
          M.element("span", { class: "weekday", text: M.formatDay(day, { weekday: "short" }) }),
          M.element("span", { class: "date", text: M.formatDay(day, { day: "numeric" }) }),
          M.element("span", { class: "month", text: M.formatDay(day, { month: "short" }) }),
        ]);
        button.disabled = !free;
        button.addEventListener("click", function () {
          state.day = day;
          renderDays();
          renderTimes();
          var selected = strip.querySelector('[data-day="' + day + '"]');
          if (selected) selected.focus();
        });
        strip.appendChild(button);
      });
      var selected = strip.querySelector('[aria-pressed="true"]');
      if (selected && selected.scrollIntoView) selected.scrollIntoView({ block: "nearest", inline: "center" });
    }

    function renderTimes() {
      var grid = section.querySelector("[data-times]");
      var title = section.querySelector("[data-times-title]");
      grid.textContent = "";
      var slots = state.slots[state.day] || [];
      var sample = slots[0];
      renderZoneNote(sample);
      title.textContent = state.day ? M.longDay(state.day) : "";
      if (sample && M.deviceDiffers(sample.starts_at)) title.textContent += " (" + M.zoneLabel(state.zone, sample.starts_at) + ")";
      if (state.day && !slots.length) grid.appendChild(M.element("p", { class: "hint", text: M.t("no_slots_day") }));
      var dual = !!sample && M.deviceDiffers(sample.starts_at);
      grid.classList.toggle("dual", dual);
      slots.forEach(function (slot) {
        var clock = M.clinicClock(slot.starts_at);
        var button = M.element("button", { type: "button", class: "time", "data-starts-at": slot.starts_at });
        if (dual) {
          /* The clinic's time large, the patient's own small beneath it (the zone note says which is which). */
          var yours = M.yourTime(slot.starts_at, true);
          button.appendChild(M.element("span", { class: "clock", text: clock }));
          button.appendChild(M.element("span", { class: "yours", text: yours }));
          button.setAttribute("aria-label", M.t("clinic_and_your_time", { clinic: clock, city: M.cityOf(state.zone),
                                                                          yours: yours }));
        } else {
          button.textContent = clock;
        }
        button.addEventListener("click", function () { choose(slot); });
        grid.appendChild(button);
      });
    }

    /* --- the form and the confirmation ----------------------------------------------------------- */

    function choose(slot) {
      state.slot = slot;
      form.querySelector("[data-chosen]").textContent = M.clinicWhen(slot.starts_at, state.zone);
      clearErrors();
      var submitButton = form.querySelector("[data-submit]");
      submitButton.hidden = !M.signedIn;
      var fieldset = form.querySelector("[data-fields]");
      if (fieldset) fieldset.hidden = !M.signedIn;
      show("details");
      var first = form.querySelector("input:not([type=hidden])");
      if (first && M.signedIn && !first.value) first.focus();
    }

    function prefill() {
      var user = M.user;
      if (!user) return;
      var first = form.querySelector("#first_name");
      var last = form.querySelector("#last_name");
      if (first && !first.value) first.value = user.first_name || "";
      if (last && !last.value) last.value = user.last_name || "";
    }

    function clearErrors() {
      form.querySelectorAll(".field-error").forEach(function (node) { node.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach(function (node) { node.removeAttribute("aria-invalid"); });
      var formError = form.querySelector("[data-form-error]");
      formError.hidden = true;
      formError.textContent = "";
    }

    function fieldError(name, message) {
      var input = form.querySelector("#" + name);
      var box = form.querySelector("#" + name + "-error");
      if (!input || !box) return false;
      input.setAttribute("aria-invalid", "true");
      box.textContent = message;
      return true;
    }

    /* The same rules as the API's PatientSchema (its length limits rendered into the inputs' maxlength), so
       most mistakes are caught before the round trip; the server still decides. */
    function validate(patient) {
      var errors = {};
      var tooLong = function (name) { return patient[name] && patient[name].length > form.querySelector("#" + name).maxLength; };
      ["first_name", "last_name"].forEach(function (name) {
        if (!patient[name]) errors[name] = M.t("field_required");
        else if (tooLong(name)) errors[name] = M.t("too_long");
      });
      if (!patient.phone) errors.phone = M.t("field_required");
      else if (patient.phone.length < 5 || tooLong("phone") || !/^[0-9+\-() ]+$/.test(patient.phone)) {
        errors.phone = M.t("phone_invalid");
      }
      if (patient.email && (tooLong("email") || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(patient.email))) {
        errors.email = M.t("email_invalid");
      }
      if (tooLong("message")) errors.message = M.t("too_long");
      return errors;
    }

    function showFieldErrors(errors, message) {
      var shown = false;
      Object.keys(errors).forEach(function (name) {
        var text = Array.isArray(errors[name]) ? errors[name].join(" ") : String(errors[name]);
        if (typeof errors[name] === "object" && !Array.isArray(errors[name])) {
          Object.keys(errors[name]).forEach(function (inner) { shown = fieldError(inner, [].concat(errors[name][inner]).join(" ")) || shown; });
        } else {
          shown = fieldError(name, text) || shown;
        }
      });
      var formError = form.querySelector("[data-form-error]");
      formError.textContent = message || M.t("fix_fields");
      formError.hidden = false;
      var invalid = form.querySelector("[aria-invalid]");
      if (invalid) invalid.focus();
      M.haptic("error");
      return shown;
    }

    function patientDetails() {
      var value = function (name) { var input = form.querySelector("#" + name); return input ? input.value.trim() : ""; };
      return { first_name: value("first_name"), last_name: value("last_name"), phone: value("phone"),
               email: value("email") || null, message: value("message") || null };
    }

    function request() {
      if (state.kind === "reschedule") {
        return M.api("/api/v1/bookings/" + state.booking.id + "/reschedule",
                     { method: "POST", body: { starts_at: state.slot.starts_at } });
      }
      var body = { clinic_id: Number(state.clinicId), starts_at: state.slot.starts_at, patient: patientDetails() };
      body[state.kind === "doctor" ? "doctor_id" : "diagnostic_id"] = Number(state.serviceId);
      return M.api("/api/v1/bookings", { method: "POST", body: body, headers: { "Idempotency-Key": state.attempt } });
    }

    function submit(event) {
      if (event && event.preventDefault) event.preventDefault();
      if (state.busy || !state.slot || !M.signedIn) return;
      clearErrors();
      if (state.kind !== "reschedule") {
        var errors = validate(patientDetails());
        if (Object.keys(errors).length) { showFieldErrors(errors); return; }
      }
      state.attempt = state.attempt || newKey();
      setBusy(true);
      request().then(function (booking) {
        setBusy(false);
        state.attempt = null;
        state.result = booking;
        M.haptic("success");
        steps.done.querySelector("[data-done-title]").textContent =
          M.t(state.kind === "reschedule" ? "moved_title" : "booked_title");
        steps.done.querySelector("[data-done-when]").textContent =
          booking.service_name + " · " + M.clinicWhen(booking.starts_at, booking.clinic.timezone) + " · " + booking.clinic.name;
        show("done");
        steps.done.querySelector("[data-done-title]").focus();
      }, function (error) {
        setBusy(false);
        if (error.status === 422 && Object.keys(error.errors).length) {
          state.attempt = null;
          showFieldErrors(error.errors, error.message);
        } else if (error.status === 409) {
          /* Lost the race, the patient holds this time elsewhere, or the clinic refused it: the server's words
             alone say which, then the times free now. */
          state.attempt = null;
          M.showError(error.message);
          show("pick");
          loadSlots();
        } else {
          if (error.status && error.status < 500) state.attempt = null;
          M.showError(error.message);
        }
      });
    }

    function setBusy(busy) {
      state.busy = busy;
      M.mainProgress(busy);
      var button = form.querySelector("[data-submit]");
      button.disabled = busy;
      button.setAttribute("aria-busy", String(busy));
    }

    function newKey() {
      if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
      return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
    }

    function finish() {
      if (M.telegram && M.signedIn) M.telegram.close();
      else window.location.href = "/app/bookings";
    }

    function addToCalendar() {
      M.api("/api/v1/bookings/" + state.result.id + "/calendar.ics", { blob: true }).then(function (blob) {
        M.download(blob, "medsync-booking-" + state.result.id + ".ics");
      }, function (error) { M.showError(error.message); });
    }

    /* --- start ------------------------------------------------------------------------------------ */

    form.addEventListener("submit", submit);
    steps.done.querySelector("[data-done]").addEventListener("click", finish);
    steps.done.querySelector("[data-calendar]").addEventListener("click", addToCalendar);
    prefill();
    show("pick");

    function pickFromHorizon() {
      state.days = horizon();
      return loadSlots();
    }

    if (state.kind !== "reschedule") { pickFromHorizon(); return; }
    var status = section.querySelector("[data-slots-status]");
    if (!M.signedIn) { status.textContent = M.t("open_in_telegram"); return; }
    M.api("/api/v1/bookings/" + data.bookingId).then(function (booking) {
      state.booking = booking;
      state.zone = booking.clinic.timezone;
      state.clinicId = booking.clinic.id;
      section.querySelector("[data-service]").textContent = booking.service_name;
      section.querySelector("[data-clinic]").textContent = booking.clinic.name;
      var current = section.querySelector("[data-current]");
      current.textContent = M.t("reschedule_from", { when: M.clinicWhen(booking.starts_at, booking.clinic.timezone) });
      current.hidden = false;
      if (booking.actions.indexOf("move") < 0) { status.textContent = M.t("not_movable"); return; }  /* the server's say */
      state.slotsKind = booking.doctor ? "doctor" : "diagnostic";
      state.serviceId = booking.doctor ? booking.doctor.id : booking.diagnostic.id;
      return pickFromHorizon();
    }, function (error) {
      status.textContent = error.message;
      M.showError(error.message);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

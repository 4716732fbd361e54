/* The front desk's page: a clinic day as a grid (a column per doctor, rows by time, free times to book into), a
   visit's marks, their undoing and its note, finding a patient, and booking a caller. Everything through
   /api/v1 (the staff API decides what the caller may do; its refusals are shown as they come). */
(function () {
  "use strict";

  var M = window.MedSync;
  var S = window.MedSyncStaff;
  var $ = function (selector) { return document.querySelector(selector); };
  var state = { clinic: null, day: null, slot: null, patient: null, visit: null, calls: false };

  function clock(iso) { return iso.slice(11, 16); }  /* clinic time: the API writes it with the clinic's offset */

  function isoDay(date) {
    return date.getFullYear() + "-" + String(date.getMonth() + 1).padStart(2, "0") + "-" +
      String(date.getDate()).padStart(2, "0");
  }

  function refused(error) { S.showRefusal(error); }

  function cleared() { var box = $("[data-staff-error]"); if (box) box.hidden = true; }

  function marks(visit) {
    return (visit.confirmed ? " 👍" : "") + (visit.patient.has_telegram ? "" : " ☎️");
  }

  /* --- the day ------------------------------------------------------------------------------------- */

  function loadDay() {
    cleared();
    var clinic = state.clinic, day = state.day;
    var doctors = M.api("/api/v1/doctors?per_page=100&clinic_id=" + clinic);
    var visits = M.api("/api/v1/staff/bookings?per_page=100&clinic_id=" + clinic + "&date=" + day);
    return Promise.all([doctors, visits]).then(function (answers) {
      var columns = answers[0].items;
      return Promise.all(columns.map(function (doctor) {
        return M.api("/api/v1/doctors/" + doctor.id + "/slots?from=" + day + "&to=" + day);
      })).then(function (free) { drawGrid(columns, free, answers[1].items); });
    }, refused).then(loadCalls);
  }

  function drawGrid(doctors, free, visits) {
    var rows = {};
    function cell(time, doctorId) { rows[time] = rows[time] || {}; return rows[time]; }
    doctors.forEach(function (doctor, index) {
      (free[index] || []).forEach(function (slot) { cell(clock(slot.starts_at))[doctor.id] = { free: slot }; });
    });
    visits.forEach(function (visit) {
      if (visit.doctor_id !== null && visit.status !== "cancelled") cell(clock(visit.starts_at))[visit.doctor_id] = { visit: visit };
    });
    var grid = $("[data-desk-grid]");
    grid.textContent = "";
    var head = M.element("tr", {}, [M.element("th", { text: M.t("desk_time") })].concat(doctors.map(function (doctor) {
      return M.element("th", { scope: "col", text: doctor.full_name });
    })));
    grid.appendChild(M.element("thead", {}, [head]));
    var body = M.element("tbody");
    Object.keys(rows).sort().forEach(function (time) {
      body.appendChild(M.element("tr", {}, [M.element("th", { scope: "row", text: time })].concat(doctors.map(function (doctor) {
        return M.element("td", {}, [cellContent(rows[time][doctor.id], doctor)]);
      }))));
    });
    grid.appendChild(body);
  }

  function cellContent(content, doctor) {
    if (!content) return null;
    if (content.free) {
      var free = M.element("button", { type: "button", class: "button small secondary", "data-free": content.free.starts_at,
                                       "data-doctor-id": doctor.id, text: M.t("desk_free") });
      free.addEventListener("click", function () { chooseSlot(doctor, content.free.starts_at); });
      return free;
    }
    var visit = content.visit;
    var open = M.element("button", { type: "button", class: "desk-visit-cell status-" + visit.status, "data-visit-id": visit.id,
                                     text: visit.patient.first_name + " " + visit.patient.last_name + marks(visit) });
    open.addEventListener("click", function () { openVisit(visit); });
    return open;
  }

  /* --- the patients to call: visits the clinic cancelled that no message reached, reminders due without Telegram -- */

  function loadCalls() {
    if (!state.calls) return null;  /* the desk's list: reception and admins (a doctor keeps to their day) */
    return M.api("/api/v1/staff/clinics/" + state.clinic + "/to-call?days=14").then(function (rows) {
      var list = $("[data-desk-calls]");
      list.textContent = "";
      if (!rows.length) list.appendChild(M.element("li", { class: "hint", text: M.t("desk_calls_none") }));
      rows.forEach(function (row) {
        var why = row.reason === "reminder_due" ? M.t("desk_call_reminder_due")
          : M.t("desk_call_cancelled", { reason: row.cancel_reason || "" });
        list.appendChild(M.element("li", { "data-call-booking": row.booking_id, "data-call-reason": row.reason }, [
          M.element("span", { text: M.t("desk_call_line", {
            day: row.starts_at.slice(0, 10), time: clock(row.starts_at),
            name: row.patient_first_name + " " + row.patient_last_name }) + " · " }),
          M.element("a", { href: "tel:" + row.patient_phone, text: row.patient_phone }),
          M.element("span", { class: "hint", text: " · " + why }),
        ]));
      });
    }, refused);
  }

  /* --- a visit: marks, taking them back, the note ----------------------------------------------------- */

  var MOVES = {
    booked: ["arrived", "noshow", "cancelled"],
    arrived: ["fulfilled", "booked"],
    noshow: ["arrived", "booked"],
  };

  function openVisit(visit) {
    state.visit = visit;
    $("[data-desk-visit]").hidden = false;
    $("[data-desk-visit-summary]").textContent = M.t("desk_visit_summary", {
      time: clock(visit.starts_at), name: visit.patient.first_name + " " + visit.patient.last_name,
      phone: visit.patient.phone, status: M.t("desk_status_" + visit.status),
    }) + marks(visit);
    $("[data-desk-note]").value = visit.note || "";
    var actions = $("[data-desk-visit-actions]");
    actions.textContent = "";
    (MOVES[visit.status] || []).forEach(function (status) {
      var button = M.element("button", { type: "button", class: "button small", "data-move": status,
                                         text: M.t("desk_move_" + visit.status + "_" + status) });
      button.addEventListener("click", function () { move(visit, status); });
      actions.appendChild(button);
    });
    $("[data-desk-visit]").scrollIntoView({ block: "nearest" });
  }

  function move(visit, status) {
    cleared();
    var reason = $("[data-desk-reason]").value.trim();
    M.api("/api/v1/staff/bookings/" + visit.id + "/status", { method: "POST", body: { status: status, reason: reason || null } })
      .then(function (changed) { $("[data-desk-reason]").value = ""; openVisit(changed); return loadDay(); }, refused);
  }

  function saveNote() {
    cleared();
    M.api("/api/v1/staff/bookings/" + state.visit.id, { method: "PATCH", body: { note: $("[data-desk-note]").value } })
      .then(function (changed) { openVisit(changed); M.toast(M.t("desk_note_saved")); return loadDay(); }, refused);
  }

  /* --- finding a patient -------------------------------------------------------------------------------- */

  function find(event) {
    event.preventDefault();
    cleared();
    var query = $("[data-desk-query]").value;
    M.api("/api/v1/staff/patients?q=" + encodeURIComponent(query)).then(function (found) {
      var list = $("[data-desk-found]");
      list.textContent = "";
      if (!found.items.length) list.appendChild(M.element("li", { class: "hint", text: M.t("desk_nobody") }));
      found.items.forEach(function (patient) {
        var next = patient.upcoming.map(function (visit) { return visit.starts_at.slice(0, 10) + " " + clock(visit.starts_at) + " · " + visit.service_name; });
        var choose = M.element("button", { type: "button", class: "button small secondary", text: M.t("desk_book_for") });
        choose.addEventListener("click", function () { choosePatient(patient); });
        var open = M.element("button", { type: "button", class: "button small secondary", "data-open-patient": patient.id,
                                         text: M.t("desk_patient_open") });
        open.addEventListener("click", function () { openPatient(patient.id); });
        var last = patient.last_visit ? M.t("desk_last_visit", { day: patient.last_visit.starts_at.slice(0, 10) }) : "";
        var card = M.element("li", { class: "card", "data-patient-id": patient.id }, [
          M.element("div", { class: "card-body" }, [
            M.element("strong", { class: "name", text: patient.first_name + " " + patient.last_name + (patient.has_telegram ? "" : " ☎️") }),
            M.element("span", { class: "hint", text: patient.phone }),
            M.element("span", { class: "hint", text: next.join("; ") || M.t("desk_no_visits") }),
            M.element("span", { class: "hint", text: last }),
          ]), open, choose,
        ]);
        list.appendChild(card);
        /* Other modules add what they offer for a patient shown (staff_patient_erase.js: erasing on request). */
        document.dispatchEvent(new CustomEvent("medsync:patient-shown", { detail: { patient: patient, card: card } }));
      });
    }, refused);
  }

  /* --- a patient's details: their visits ahead and behind (the read is audited) ------------------------------ */

  function visitLines(visits, more) {
    var lines = visits.map(function (visit) {
      return M.element("li", { "data-patient-visit": visit.id, text: M.t("desk_patient_visit", {
        day: visit.starts_at.slice(0, 10), time: clock(visit.starts_at), service: visit.service_name,
        status: M.t("desk_status_" + visit.status),
      }) });
    });
    if (!lines.length) lines.push(M.element("li", { class: "hint", text: M.t("desk_patient_none") }));
    if (more) lines.push(M.element("li", { class: "hint", text: M.t("desk_patient_more") }));
    return lines;
  }

  function openPatient(id) {
    cleared();
    M.api("/api/v1/staff/patients/" + id).then(function (record) {
      var box = $("[data-desk-patient]");
      box.hidden = false;
      box.setAttribute("data-patient-id", record.id);
      $("[data-desk-patient-name]").textContent = record.first_name + " " + record.last_name + (record.has_telegram ? "" : " ☎️");
      $("[data-desk-patient-contact]").textContent = [record.phone, record.email].filter(Boolean).join(" · ");
      var upcoming = $("[data-desk-patient-upcoming]"), past = $("[data-desk-patient-past]");
      upcoming.textContent = ""; past.textContent = "";
      visitLines(record.upcoming, record.more_upcoming).forEach(function (line) { upcoming.appendChild(line); });
      visitLines(record.past, record.more_past).forEach(function (line) { past.appendChild(line); });
      box.scrollIntoView({ block: "nearest" });
    }, refused);
  }

  /* --- booking a caller ------------------------------------------------------------------------------------ */

  function chooseSlot(doctor, startsAt) {
    state.slot = { doctor: doctor, startsAt: startsAt };
    $("[data-desk-book]").hidden = false;
    $("[data-desk-book-slot]").textContent = M.t("desk_slot", { time: clock(startsAt), day: startsAt.slice(0, 10), doctor: doctor.full_name });
    $("[data-desk-book]").scrollIntoView({ block: "nearest" });
  }

  function choosePatient(patient) {
    state.patient = patient;
    var chosen = $("[data-desk-book-patient]");
    chosen.hidden = false;
    chosen.textContent = M.t("desk_for_patient", { name: patient.first_name + " " + patient.last_name, phone: patient.phone });
    $("[data-desk-caller-fields]").hidden = true;
  }

  function book(event) {
    event.preventDefault();
    cleared();
    if (!state.slot) { S.showRefusal(new M.ApiError(M.t("desk_choose_time"), 0)); return; }
    var form = event.target;
    var patient = state.patient ? { id: state.patient.id } : {
      first_name: form.first_name.value, last_name: form.last_name.value, phone: form.phone.value,
      email: form.email.value || null,
    };
    M.api("/api/v1/staff/bookings", { method: "POST", body: {
      doctor_id: state.slot.doctor.id, clinic_id: Number(state.clinic), starts_at: state.slot.startsAt, patient: patient,
    } }).then(function (booked) {
      M.toast(M.t("desk_booked", { name: booked.patient.first_name + " " + booked.patient.last_name, time: clock(booked.starts_at) }));
      form.reset();
      state.slot = null; state.patient = null;
      $("[data-desk-book]").hidden = true;
      $("[data-desk-book-patient]").hidden = true;
      $("[data-desk-caller-fields]").hidden = false;
      return loadDay();
    }, refused);
  }

  S.me.then(function (me) {
    state.calls = me.holds.indexOf("reception") >= 0;
    $("[data-desk-calls]").closest("section").hidden = !state.calls;
    var select = $("[data-desk-clinic]");
    me.clinics.forEach(function (clinic) { select.appendChild(M.element("option", { value: clinic.id, text: clinic.name })); });
    var dayInput = $("[data-desk-date]");
    var query = new URLSearchParams(window.location.search);
    state.clinic = query.get("clinic") || select.value;
    select.value = state.clinic;
    state.day = query.get("date") || isoDay(new Date());
    dayInput.value = state.day;
    select.addEventListener("change", function () { state.clinic = select.value; loadDay(); });
    dayInput.addEventListener("change", function () { state.day = dayInput.value; loadDay(); });
    $("[data-desk-find-form]").addEventListener("submit", find);
    $("[data-desk-book-form]").addEventListener("submit", book);
    $("[data-desk-save-note]").addEventListener("click", saveNote);
    return loadDay();
  });
})();

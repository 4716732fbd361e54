/* A clinic (staff): GET /api/v1/admin/clinics/{id}; admins save it whole in one request (POST for a new clinic, PATCH
   with If-Match for an existing one), so nothing is half-saved. A day's hours are written as intervals
   ("09:00-13:00, 14:00-18:00"): the first start opens, the last end closes, the gaps are breaks. An existing clinic's
   change is first sent as the API's dry run: when its hours would cancel booked visits they are listed and the
   admin confirms (as on the schedule pages); when they cancel none it is saved at once. */
(function () {
  "use strict";

  var M = window.MedSync;
  var F = window.MedSyncForms;

  /* One opening day as the intervals people write. */
  function intervalsOf(day) {
    var intervals = [], starts = day.opens;
    day.breaks.forEach(function (pause) { intervals.push({ starts: starts, ends: pause.starts }); starts = pause.ends; });
    intervals.push({ starts: starts, ends: day.closes });
    return intervals;
  }

  /* Intervals → {opens, closes, breaks}; the API says what is wrong with them (a day that closes before it opens,
     breaks out of order). */
  function dayOf(weekday, intervals) {
    var sorted = intervals.slice().sort(function (a, b) { return a.starts < b.starts ? -1 : a.starts > b.starts ? 1 : 0; });
    var breaks = [];
    for (var index = 1; index < sorted.length; index += 1) {
      breaks.push({ starts: sorted[index - 1].ends, ends: sorted[index].starts });
    }
    return { weekday: weekday, opens: sorted[0].starts, closes: sorted[sorted.length - 1].ends, breaks: breaks };
  }

  function start() {
    var form = document.querySelector("[data-clinic-form]");
    var title = document.querySelector("[data-clinic-title]");
    var clinicId = title.dataset.clinicId;
    var version = null;

    function show(clinic) {
      version = clinic.version;
      title.textContent = clinic.name;
      ["name", "address", "timezone", "currency", "default_language"].forEach(function (name) {
        form.elements[name].value = clinic[name] || "";
      });
      var days = {};
      clinic.hours.forEach(function (day) { days[day.weekday] = day; });
      form.querySelectorAll("[data-weekday]").forEach(function (input) {
        var day = days[+input.dataset.weekday];
        input.value = day ? F.hoursText(intervalsOf(day)) : "";
      });
      var closures = document.querySelector("[data-closures-link]");
      closures.href = "/app/staff/clinics/" + clinic.id + "/closures";
      closures.parentNode.hidden = false;
    }

    var origins = [];  /* origins[i]: the field of the body's hours[i] */

    /* The body, or null when a day's hours cannot be read (said beside that day). */
    function values() {
      var body = {}, readable = true;
      origins = [];
      ["name", "address", "timezone"].forEach(function (name) { body[name] = form.elements[name].value.trim(); });
      body.currency = form.elements.currency.value.trim().toUpperCase();
      body.default_language = form.elements.default_language.value;
      body.hours = [];
      form.querySelectorAll("[data-weekday]").forEach(function (input) {
        var intervals = F.parseHours(input.value);
        if (intervals === null) {
          F.showFieldError(form, input.id, M.t("bad_hours"));
          readable = false;
        } else if (intervals.length) {
          body.hours.push(dayOf(+input.dataset.weekday, intervals));
          origins.push(input.id);
        }
      });
      return readable ? body : null;
    }

    var editing = { values: values, show: show, version: function () { return version; },
                    place: function () { return F.placeItems("hours", origins); } };
    var preview = form.querySelector("[data-preview]");
    var button = form.querySelector("[data-save]");
    var saveText = button.textContent;

    function setChecked(checked) {
      form.dataset.state = checked ? "checked" : "";
      button.textContent = checked ? M.t("hours_confirm") : saveText;
      M.mainButton({ text: button.textContent, onClick: function () { form.requestSubmit(); } });
      if (!checked) preview.textContent = "";
    }

    function showPreview(visits) {
      preview.textContent = "";
      preview.appendChild(M.element("p", { class: "hint", text: M.t("hours_visits_affected") }));
      preview.appendChild(M.element("ul", { class: "bullets" }, visits.map(function (visit) {
        var text = M.longDay(M.clinicDay(visit.starts_at)) + " · " + M.clinicClock(visit.starts_at) + " — " +
          visit.patient_name + (visit.messaged ? "" : " (" + M.t("hours_to_call") + ")");
        return M.element("li", { "data-visit-id": visit.booking_id, text: text });
      })));
    }

    function send(body, dryRun) {
      return F.save("/api/v1/admin/clinics", clinicId, version, Object.assign({}, body, { dry_run: dryRun }));
    }

    if (!clinicId) {
      F.savesRow(form, "clinics", clinicId, editing);
    } else {
      form.addEventListener("input", function () { if (form.dataset.state) setChecked(false); });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        F.clearErrors(form);
        var body = values();
        if (!body) return;
        var confirming = form.dataset.state === "checked";
        button.disabled = true;
        (confirming ? Promise.resolve(null) : send(body, true)).then(function (checked) {
          if (checked && checked.affected.length) { showPreview(checked.visits); setChecked(true); return null; }
          return send(body, false).then(function (saved) {
            M.haptic("success");
            setChecked(false);
            show(saved);
            M.toast(saved.affected.length ? M.t("hours_visits_cancelled") : M.t("saved"));
          });
        }).catch(function (error) {
          setChecked(false);
          F.showErrors(form, error, editing.place());
          M.showError(error.message);
        }).then(function () { button.disabled = false; });
      });
    }

    window.MedSyncStaff.me.then(function (me) {
      F.adminOnly(form, me, form.querySelector("[data-save]"));
      if (clinicId) return M.api("/api/v1/admin/clinics/" + clinicId).then(show);
    }).catch(function (error) {
      if (error && error.message) { F.showErrors(form, error); M.showError(error.message); }
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

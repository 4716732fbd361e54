/* The staff pages of schedules: a doctor's weekly hours, day overrides and absences, a clinic's closures, and the
   list of clinics and doctors leading to them. Every change is sent twice: first as the API's dry run (the visits it
   would cancel are shown), then, once confirmed, for real. The API decides everything; field errors are shown
   beside their fields. */
(function () {
  "use strict";

  var M = window.MedSync;
  var F = window.MedSyncForms;
  var texts = JSON.parse(document.getElementById("schedule-texts").textContent);

  function t(key, values) {
    var text = texts[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  var parseHours = F.parseHours;
  var hoursText = F.hoursText;
  function dayText(day) { return M.longDay(day); }

  /* --- change forms: check (dry run), then confirm --- */

  function bodyOf(form) {
    var kind = form.dataset.change;
    var value = function (name) { var field = form.elements[name]; return field ? field.value.trim() : ""; };
    if (kind === "hours") {
      var weekly = [], origin = [], unreadable = [];
      form.querySelectorAll("[data-weekday]").forEach(function (input) {
        var hours = parseHours(input.value);
        if (hours === null) { unreadable.push(input.id); return; }
        hours.forEach(function (item) {
          weekly.push({ weekday: +input.dataset.weekday, starts: item.starts, ends: item.ends });
          origin.push(input.id);
        });
      });
      form.origin = origin;
      var hoursBody = { weekly: weekly, valid_from: value("valid_from") || undefined };
      if (form.elements.duration_minutes) hoursBody.duration_minutes = F.whole(value("duration_minutes")) || undefined;
      return { unreadable: unreadable, body: hoursBody };
    }
    if (kind === "override") {
      var hours = parseHours(value("hours"));
      return { unreadable: hours === null ? ["hours"] : [],
               body: { day: value("day"), hours: hours || [], reason: value("reason") || null } };
    }
    if (kind === "absence") {
      return { unreadable: [], body: { first_day: value("first_day"), last_day: value("last_day"),
                                       reason: value("reason") || null } };
    }
    return { unreadable: [], body: { day: value("day"), last_day: value("last_day") || undefined,
                                     reason: value("reason") || null } };
  }

  /* The API's field errors beside their fields: weekly[i] belongs to the weekday its interval was written for, an
     override's hours[i] to its one hours field. */
  function showErrors(form, error) {
    var place = form.dataset.change === "hours" ? F.placeItems("weekly", form.origin || [])
      : F.placeItems("hours", []);
    if (!F.showErrors(form, error, place)) M.showError(error.message);
  }

  function visitLine(visit) {
    var when = dayText(M.clinicDay(visit.starts_at)) + " · " + M.clinicClock(visit.starts_at);
    var text = when + " — " + visit.patient_name + (visit.messaged ? "" : " (" + t("to_call") + ")");
    return M.element("li", { "data-visit-id": visit.booking_id, text: text });
  }

  function showPreview(form, answer) {
    var box = form.querySelector("[data-preview]");
    box.textContent = "";
    var visits = answer.visits || [];
    box.appendChild(M.element("p", { class: "hint", text: visits.length ? t("visits_affected") : t("no_visits") }));
    if (visits.length) box.appendChild(M.element("ul", { class: "bullets" }, visits.map(visitLine)));
  }

  function setChecked(form, checked) {
    form.dataset.state = checked ? "checked" : "";
    form.querySelector("button[type=submit]").textContent = checked ? t("confirm") : t("preview");
    if (!checked) form.querySelector("[data-preview]").textContent = "";
  }

  function setupForm(form, afterSave) {
    form.addEventListener("input", function () { if (form.dataset.state) setChecked(form, false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      F.clearErrors(form);
      var built = bodyOf(form);
      if (built.unreadable.length) {
        built.unreadable.forEach(function (name) { F.showFieldError(form, name, t("bad_hours")); });
        return;
      }
      var confirming = form.dataset.state === "checked";
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      var body = Object.assign({}, built.body, { dry_run: !confirming });
      M.api(form.dataset.path, { method: form.dataset.method || "POST", body: body }).then(function (answer) {
        button.disabled = false;
        if (!confirming) { showPreview(form, answer); setChecked(form, true); return; }
        M.haptic("success");
        var cancelled = (answer.affected || []).length;
        M.toast(cancelled ? t("visits_cancelled") : t("saved"));
        setChecked(form, false);
        if (form.dataset.change !== "hours") form.reset();
        afterSave();
      }, function (error) {
        button.disabled = false;
        setChecked(form, false);
        showErrors(form, error);
      });
    });
  }

  /* --- lists of overrides, absences and closures, each with Remove --- */

  function describe(kind, item) {
    if (kind === "overrides") {
      return dayText(item.day) + " · " + (item.hours.length ? hoursText(item.hours) : t("day_off"));
    }
    var days = item.first_day === item.last_day ? dayText(item.first_day)
      : dayText(item.first_day) + " – " + dayText(item.last_day);
    return days;
  }

  function loadList(list) {
    var kind = list.dataset.list;
    return M.api(list.dataset.path).then(function (items) {
      list.textContent = "";
      if (!items.length) list.appendChild(M.element("li", { class: "empty", text: t("nothing_yet") }));
      items.forEach(function (item) {
        var remove = M.element("button", { type: "button", class: "button secondary small", text: t("remove") });
        remove.addEventListener("click", function () {
          remove.disabled = true;
          M.api(list.dataset.path + "/" + item.id, { method: "DELETE" }).then(function () {
            return refresh();
          }, function (error) { remove.disabled = false; M.showError(error.message); });
        });
        list.appendChild(M.element("li", { class: "card", "data-item-id": item.id }, [
          M.element("div", { class: "card-body" }, [
            M.element("strong", { class: "name", text: describe(kind, item) }),
            item.reason ? M.element("span", { class: "hint", text: item.reason }) : null,
          ]),
          remove,
        ]));
      });
    }, function (error) { M.showError(error.message); });
  }

  /* --- weekly hours: a doctor's, or a test's at a clinic (GET and PUT share the form's path) --- */

  function showRotas(form) {
    return M.api(form.dataset.path).then(function (answer) {
      var line = form.closest("section").querySelector("[data-rotas]");
      var duration = form.elements.duration_minutes;
      if (duration && answer.duration_minutes) duration.value = answer.duration_minutes;
      if (!answer.rotas.length) { line.textContent = t(form.dataset.noRota || "clinic_hours"); return; }
      line.textContent = answer.rotas.map(function (rota) { return t("from_day", { day: dayText(rota.valid_from) }); })
        .join(" · ");
      var current = answer.rotas[0];
      form.querySelectorAll("[data-weekday]").forEach(function (input) {
        input.value = hoursText(current.weekly.filter(function (item) { return item.weekday === +input.dataset.weekday; }));
      });
    }, function (error) { M.showError(error.message); });
  }

  function lists() { return Array.prototype.map.call(document.querySelectorAll("[data-list]"), loadList); }
  function refresh() {
    var hours = Array.prototype.map.call(document.querySelectorAll('form[data-change="hours"]'), showRotas);
    return Promise.all(lists().concat(hours));
  }

  /* A weekly-hours form a page adds later (a test's hours at each clinic offering it). */
  function setupHours(form) {
    setupForm(form, function () { return showRotas(form); });
    return showRotas(form);
  }

  function startDoctorPage(heading) {
    var doctorId = heading.dataset.doctorId;
    M.api("/api/v1/doctors/" + doctorId).then(function (doctor) { heading.textContent = doctor.full_name; },
                                              function () { /* the forms say what the API refuses */ });
  }

  function startClinicPage(form) {
    var clinicId = +form.dataset.clinicId;
    window.MedSyncStaff.me.then(function (me) {
      var clinic = me.clinics.filter(function (item) { return item.id === clinicId; })[0];
      var name = document.querySelector("[data-clinic-name]");
      if (clinic && name) name.textContent = "· " + clinic.name;
    }, function () {});
  }

  /* --- the list of clinics and their doctors --- */

  function startOverview(box) {
    window.MedSyncStaff.me.then(function (me) {
      me.clinics.forEach(function (clinic) {
        var doctors = M.element("ul", { class: "cards", "data-clinic-doctors": clinic.id });
        box.appendChild(M.element("section", { "data-clinic-id": clinic.id }, [
          M.element("h2", { text: clinic.name }),
          M.element("p", {}, [M.element("a", { href: "/app/staff/clinics/" + clinic.id + "/closures",
                                               text: t("closures") })]),
          doctors,
        ]));
        M.api("/api/v1/doctors?clinic_id=" + clinic.id + "&per_page=100").then(function (page) {
          page.items.forEach(function (doctor) {
            doctors.appendChild(M.element("li", {}, [
              M.element("a", { class: "card", href: "/app/staff/doctors/" + doctor.id + "/schedule",
                               "data-doctor-id": doctor.id }, [
                M.element("div", { class: "card-body" }, [
                  M.element("strong", { class: "name", text: doctor.full_name }),
                  M.element("span", { class: "hint", text: (doctor.specialty && doctor.specialty.name) || "" }),
                  M.element("span", { class: "link", text: t("schedule") }),
                ]),
              ]),
            ]));
          });
        }, function (error) { M.showError(error.message); });
      });
    }, function () { /* staff.js shows the refusal */ });
  }

  window.MedSyncSchedules = { setupHours: setupHours };

  function start() {
    if (document.querySelector("[data-schedules-later]")) return;  /* the page sets its forms up itself */
    document.querySelectorAll("form.schedule-change").forEach(function (form) { setupForm(form, refresh); });
    var overview = document.querySelector("[data-schedule-clinics]");
    if (overview) { startOverview(overview); return; }
    var heading = document.querySelector("[data-doctor-id]");
    if (heading) startDoctorPage(heading);
    var closureForm = document.querySelector('[data-change="closure"]');
    if (closureForm) startClinicPage(closureForm);
    window.MedSyncStaff.me.then(refresh, function () {});
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

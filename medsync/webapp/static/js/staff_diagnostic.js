/* A test (staff): GET /api/v1/admin/diagnostics/{id}; admins save its name, description, price, duration and clinics in
   one request (POST for a new test, PATCH with If-Match for an existing one). Its days, hours and duration at each
   clinic offering it are a form of their own per clinic (the schedule pages' hours form: checked first, since
   narrower hours cancel booked visits, then confirmed). */
(function () {
  "use strict";

  var M = window.MedSync;
  var F = window.MedSyncForms;

  function start() {
    var form = document.querySelector("[data-diagnostic-form]");
    var title = document.querySelector("[data-diagnostic-title]");
    var choices = document.querySelector("[data-clinic-choices]");
    var hoursBox = document.querySelector("[data-test-hours]");
    var diagnosticId = title.dataset.diagnosticId;
    var version = null;
    var clinicNames = {};
    var isAdmin = false;

    function choice(clinic) {
      var box = M.element("input", { type: "checkbox", name: "clinic_ids", value: String(clinic.id) });
      return M.element("label", { class: "check" }, [box, document.createTextNode(" " + clinic.name)]);
    }

    /* The hours form of the test at one clinic, from the page's template; ids unique per clinic. */
    function hoursForm(clinicId) {
      var section = document.querySelector("[data-test-hours-template]").content.firstElementChild.cloneNode(true);
      var form = section.querySelector("form");
      section.dataset.clinicId = clinicId;
      section.querySelector("[data-test-clinic-name]").textContent = clinicNames[clinicId] || "";
      form.dataset.path = "/api/v1/admin/clinics/" + clinicId + "/diagnostics/" + diagnosticId + "/hours";
      form.querySelectorAll("[data-weekday]").forEach(function (input) {
        var id = "c" + clinicId + "-weekday-" + input.dataset.weekday;
        input.id = id;
        form.querySelector('[data-for-weekday="' + input.dataset.weekday + '"]').htmlFor = id;
        form.querySelector('[data-error-for-weekday="' + input.dataset.weekday + '"]').dataset.errorFor = id;
      });
      ["duration_minutes", "valid_from"].forEach(function (name) {
        form.elements[name].id = "c" + clinicId + "-" + name;
        form.querySelector('[data-for-name="' + name + '"]').htmlFor = form.elements[name].id;
      });
      if (!isAdmin) form.querySelectorAll("input, button").forEach(function (field) { field.disabled = true; });
      return section;
    }

    function showHours(diagnostic) {
      hoursBox.textContent = "";
      diagnostic.clinic_ids.filter(function (id) { return clinicNames[id]; }).forEach(function (clinicId) {
        var section = hoursForm(clinicId);
        hoursBox.appendChild(section);
        window.MedSyncSchedules.setupHours(section.querySelector("form"));
      });
    }

    function show(diagnostic) {
      version = diagnostic.version;
      title.textContent = diagnostic.name;
      ["name", "description", "duration_minutes"].forEach(function (name) {
        form.elements[name].value = diagnostic[name] === null || diagnostic[name] === undefined ? "" : diagnostic[name];
      });
      form.elements.price.value = Number(diagnostic.price).toFixed(2);
      form.querySelectorAll('[name="clinic_ids"]').forEach(function (box) {
        box.checked = diagnostic.clinic_ids.indexOf(+box.value) >= 0;
      });
      showHours(diagnostic);
    }

    function values() {
      var body = { name: form.elements.name.value.trim(), description: form.elements.description.value };
      body.price = F.decimal(form.elements.price.value);
      body.duration_minutes = F.whole(form.elements.duration_minutes.value);
      body.clinic_ids = [];
      form.querySelectorAll('[name="clinic_ids"]').forEach(function (box) { if (box.checked) body.clinic_ids.push(+box.value); });
      return body;
    }

    F.savesRow(form, "diagnostics", diagnosticId, {
      values: values, show: show, version: function () { return version; },
    });

    window.MedSyncStaff.me.then(function (me) {
      me.clinics.forEach(function (clinic) { clinicNames[clinic.id] = clinic.name; choices.appendChild(choice(clinic)); });
      isAdmin = F.adminOnly(form, me, form.querySelector("[data-save]"));
      if (diagnosticId) return M.api("/api/v1/admin/diagnostics/" + diagnosticId).then(show);
    }).catch(function (error) {
      if (error && error.message) { F.showErrors(form, error); M.showError(error.message); }
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

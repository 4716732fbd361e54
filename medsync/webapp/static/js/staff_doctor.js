/* A doctor (staff): details from GET /api/v1/admin/doctors/{id}; admins save them (POST for a new doctor, PATCH with
   If-Match for an existing one: someone else's newer change is refused, not overwritten) and upload a photo. */
(function () {
  "use strict";

  var M = window.MedSync;
  var F = window.MedSyncForms;

  function start() {
    var form = document.querySelector("[data-doctor-form]");
    var doctorId = document.querySelector("[data-doctor-id]").dataset.doctorId;
    var photo = document.querySelector("[data-doctor-photo]");
    var title = document.querySelector("[data-doctor-title]");
    var version = null;
    var isAdmin = false;

    function showErrors(error) {
      F.showErrors(document, error);
      M.showError(error.message);
    }

    function show(doctor) {
      version = doctor.version;
      title.textContent = doctor.full_name;
      photo.src = doctor.photo_url;
      photo.hidden = false;
      ["full_name", "clinic_id", "specialty_id", "price", "appointment_minutes", "bio", "services"].forEach(function (name) {
        form.elements[name].value = doctor[name] === null || doctor[name] === undefined ? "" : doctor[name];
      });
      form.elements.active.checked = doctor.active;
      document.querySelectorAll("[data-existing-only]").forEach(function (part) { part.hidden = false; });
      document.querySelector("[data-photo-section]").hidden = !isAdmin;
    }

    function values() {
      var body = {};
      ["full_name", "bio", "services"].forEach(function (name) { body[name] = form.elements[name].value; });
      ["clinic_id", "specialty_id", "appointment_minutes"].forEach(function (name) {
        body[name] = F.whole(form.elements[name].value);
      });
      body.price = F.decimal(form.elements.price.value);
      if (doctorId) body.active = form.elements.active.checked;
      return body;
    }

    F.savesRow(form, "doctors", doctorId, {
      scope: document, values: values, show: show, version: function () { return version; },
    });

    document.querySelector("[data-photo-file]").addEventListener("change", function (event) {
      var file = event.target.files[0];
      if (!file) return;
      F.clearErrors(document);
      var upload = new FormData();
      upload.append("file", file);
      M.api("/api/v1/admin/doctors/" + doctorId + "/photo", { method: "PUT", form: upload }).then(function (doctor) {
        show(doctor);
        M.toast(M.t("photo_saved"));
      }, showErrors);
    });

    window.MedSyncStaff.me.then(function (me) {
      me.clinics.forEach(function (clinic) { form.elements.clinic_id.appendChild(F.option(clinic.id, clinic.name)); });
      isAdmin = F.adminOnly(form, me, document.querySelector("[data-save]"));
      return M.api("/api/v1/admin/specialties");
    }).then(function (specialties) {
      specialties.forEach(function (specialty) { form.elements.specialty_id.appendChild(F.option(specialty.id, specialty.name)); });
      if (doctorId) return M.api("/api/v1/admin/doctors/" + doctorId).then(show);
    }).catch(function (error) { if (error && error.message) showErrors(error); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();

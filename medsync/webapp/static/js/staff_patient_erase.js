/* Erasing a patient without Telegram on their request (admins; DELETE /api/v1/admin/patients/{id}). Self-contained:
   any staff page that shows a patient announces it with a "medsync:patient-shown" event ({patient, card}); for an
   admin and a patient without Telegram this adds a button to the card. The button first asks the API what the
   erasure would do (dry_run), shows it in an explicit confirmation, and only then erases. */
(function () {
  "use strict";

  var M = window.MedSync;
  var S = window.MedSyncStaff;
  var isAdmin = S.me.then(function (me) { return me.holds.indexOf("admin") >= 0; }, function () { return false; });

  function erasure(patientId, dryRun) {
    return M.api("/api/v1/admin/patients/" + patientId + (dryRun ? "?dry_run=true" : ""), { method: "DELETE" });
  }

  function erase(patient, card, button) {
    button.disabled = true;
    var name = patient.first_name + " " + patient.last_name;
    erasure(patient.id, true).then(function (preview) {
      var question = M.t("erase_confirm", { name: name, visits: preview.cancelled.length,
                                            results: preview.results_deleted });
      return M.confirm(question).then(function (yes) {
        if (!yes) return null;
        return erasure(patient.id, false).then(function () {
          card.textContent = "";
          card.appendChild(M.element("div", { class: "card-body" }, [
            M.element("span", { class: "hint", text: M.t("erase_done") }),
          ]));
          M.toast(M.t("erase_done"));
        });
      });
    }).catch(function (error) { S.showRefusal(error); }).then(function () { button.disabled = false; });
  }

  document.addEventListener("medsync:patient-shown", function (event) {
    var patient = event.detail.patient, card = event.detail.card;
    if (patient.has_telegram) return;  /* they erase their own data in the bot or the Mini App */
    isAdmin.then(function (admin) {
      if (!admin || card.querySelector("[data-patient-erase]")) return;
      var button = M.element("button", { type: "button", class: "button small danger", "data-patient-erase": "",
                                         text: M.t("erase_button") });
      button.addEventListener("click", function () { erase(patient, card, button); });
      card.appendChild(button);
    });
  });
})();

/* What every staff page shares: who is signed in (GET /api/v1/staff/me), the navigation entries their role may use,
   and the way to the sign-in page for a browser without a session. Page scripts wait on MedSyncStaff.me. */
(function () {
  "use strict";

  var M = window.MedSync;

  function toSignIn() {
    window.location.replace("/app/staff/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  function roleName(role) { return M.t("role_" + (role || "none")); }

  function showCaller(me) {
    document.querySelectorAll("[data-staff-who]").forEach(function (line) {
      line.textContent = M.t("signed_in_as", { name: me.name || "", role: roleName(me.role) });
    });
    document.querySelectorAll("[data-needs]").forEach(function (entry) {
      entry.hidden = me.holds.indexOf(entry.dataset.needs) < 0;
    });
    var clinics = document.querySelector("[data-staff-clinics]");
    if (clinics) {
      me.clinics.forEach(function (clinic) {
        clinics.appendChild(M.element("li", { class: "card", "data-clinic-id": clinic.id }, [
          M.element("div", { class: "card-body" }, [
            M.element("strong", { class: "name", text: clinic.name }),
            M.element("span", { class: "hint", text: clinic.address }),
          ]),
        ]));
      });
    }
  }

  function showRefusal(error) {
    var box = document.querySelector("[data-staff-error]");
    if (box) { box.textContent = error.message; box.hidden = false; }
  }

  var me = new Promise(function (resolve, reject) {
    function start() {
      if (!M.signedIn && !M.browserSession) { toSignIn(); return; }
      M.api("/api/v1/staff/me").then(function (caller) {
        showCaller(caller);
        resolve(caller);
      }, function (error) {
        if (error.status === 401 && !M.signedIn) { toSignIn(); return; }
        showRefusal(error);
        reject(error);
      });
    }
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  });
  me.catch(function () { /* shown on the page; page scripts handle their own */ });

  window.MedSyncStaff = { me: me, roleName: roleName, showRefusal: showRefusal };
})();

// Cek keaslian: hash the chosen file with Web Crypto SHA-256 and look it up in hashes.js, all in the browser.
(function () {
  "use strict";
  var panel = document.getElementById("cek");
  var input = document.getElementById("cek-file");
  var out = document.getElementById("cek-result");
  var drop = panel.querySelector(".drop");
  var say = function (text, cls) { out.textContent = text; out.className = cls || ""; };

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function check(file) {
    if (!file) return;
    if (!(window.crypto && crypto.subtle && file.arrayBuffer)) { say(panel.dataset.unsupported, "bad"); return; }
    say(panel.dataset.checking);
    file.arrayBuffer().then(function (data) { return crypto.subtle.digest("SHA-256", data); }).then(function (digest) {
      var sha = hex(digest);
      var found = (window.PSA_HASHES || {})[sha];
      out.textContent = "";
      if (!found) { say(panel.dataset.fake + " (SHA-256 " + sha + ")", "bad"); return; }
      // found: [id, title, agency, file, channel, shown]
      out.className = "ok";
      out.appendChild(document.createTextNode(panel.dataset.official + ": "));
      var a = document.createElement("a");
      a.href = panel.dataset.psa + found[0] + ".html";
      a.textContent = found[1];
      out.appendChild(a);
      out.appendChild(document.createTextNode(" — " + found[2] + " (" + found[3] + ")" + (found[5] ? "" : " · " + panel.dataset.old)));
      if (!found[5]) a.removeAttribute("href");
    }, function (err) { say(String(err), "bad"); });
  }

  input.addEventListener("change", function () { check(input.files[0]); });
  drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    drop.classList.remove("over");
    check(e.dataTransfer.files[0]);
  });
})();

// Intake form: fill the next place list on change (without JavaScript the
// "Pilih wilayah" button reloads the form), and warn before sending a report
// whose known date is more than 7 days back. "Today" is the chosen
// province's date as the server sees it (#today-by-province), as for the
// time-barred flag, never the browser's clock.
(function () {
  "use strict";
  var form = document.getElementById("intake");
  if (!form) return;
  var order = ["province", "regency", "district", "village"];
  var url = form.getAttribute("data-regions");

  function select(name) { return form.querySelector("select[data-cascade=" + name + "]"); }

  function fill(target, items) {
    target.innerHTML = "";
    var blank = document.createElement("option");
    blank.value = ""; blank.textContent = "—";
    target.appendChild(blank);
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code; option.textContent = item.name;
      target.appendChild(option);
    });
  }

  function fillAsnRegion(province, items) {
    var asn = form.querySelector("select[name=asn_region]");
    if (!asn) return;
    var own = province ? [{code: province, name: form.getAttribute("data-province-government")}] : [];
    fill(asn, province ? own.concat(items) : []);
  }

  order.forEach(function (name, index) {
    var el = select(name);
    if (!el || index === order.length - 1) return;
    el.addEventListener("change", function () {
      order.slice(index + 1).forEach(function (below) { fill(select(below), []); });
      if (!el.value) return;
      fetch(url + "?induk=" + encodeURIComponent(el.value), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          fill(select(order[index + 1]), data.results);
          if (name === "province") fillAsnRegion(el.value, data.results);
        });
    });
  });

  var known = form.querySelector("input[name=known_on]");
  var warning = document.getElementById("late-warning");
  var todays = JSON.parse(document.getElementById("today-by-province").textContent);
  function checkLate() {
    var province = select("province");
    var today = (province && todays[province.value]) || form.getAttribute("data-today");
    if (!known.value || isNaN(Date.parse(known.value))) { warning.hidden = true; return; }
    // Both "YYYY-MM-DD": parsed as UTC midnights, so the difference is whole days.
    var days = (Date.parse(today) - Date.parse(known.value)) / 86400000;
    warning.hidden = !(days > 7);
  }
  if (known && warning) {
    known.addEventListener("change", checkLate);
    known.addEventListener("input", checkLate);
    select("province").addEventListener("change", checkLate);
  }
})();

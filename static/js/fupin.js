// The pages' small behaviours, kept out of the HTML: the Content-Security-Policy allows no
// inline script, no on* attribute and no style attribute (fupin/settings.py).
(function () {
  "use strict";

  // Progress bars carry their width as data-percent; it is set here (also on content htmx swaps in).
  function applyWidths(root) {
    var bars = root.matches && root.matches("[data-percent]") ? [root] : [];
    bars.concat(Array.prototype.slice.call(root.querySelectorAll("[data-percent]"))).forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.percent) || 0)) + "%";
    });
  }
  applyWidths(document);
  document.addEventListener("htmx:load", function (event) { applyWidths(event.detail.elt); });

  // A year picker submits its form when the year changes.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) { event.target.form.submit(); }
  });

  document.addEventListener("click", function (event) {
    // 删除 on a member row: tick the row's DELETE box and hide the row.
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest("tr");
      row.querySelector("input[name$=DELETE]").checked = true;
      row.classList.add("d-none");
      return;
    }
    // 返回上一页: back in history when there is one, else the link's own target.
    var back = event.target.closest("a[data-history-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  // A choice that makes fields not apply disables them (登记为一般农户: no poverty attributes): a group
  // [data-disables-when=VALUE][data-disables="name …"]; the server leaves those fields out too.
  function applyDisables(group) {
    var checked = group.querySelector("input:checked");
    var off = Boolean(checked) && checked.value === group.dataset.disablesWhen;
    var form = group.closest("form");
    group.dataset.disables.split(" ").forEach(function (name) {
      form.querySelectorAll("[name='" + name + "']").forEach(function (field) { field.disabled = off; });
    });
  }
  document.querySelectorAll("[data-disables-when]").forEach(applyDisables);
  document.addEventListener("change", function (event) {
    var group = event.target.closest("[data-disables-when]");
    if (group) { applyDisables(group); }
  });

  // + 添加成员: the new row's index is the formset's TOTAL_FORMS, counted up once the row arrived.
  document.addEventListener("htmx:configRequest", function (event) {
    var counter = event.detail.elt.dataset.countsInto;
    if (counter) { event.detail.parameters.index = document.getElementById(counter).value; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var counter = event.detail.elt.dataset.countsInto;
    if (counter && event.detail.successful) {
      var total = document.getElementById(counter);
      total.value = parseInt(total.value, 10) + 1;
    }
  });
})();

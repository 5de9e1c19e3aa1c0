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

// --- 结对帮扶 (assistance/pairing_views.py): 全选 and the count of ticked households -------------
(function () {
  "use strict";
  // A checkbox [data-select-all=NAME] ticks every enabled checkbox name=NAME of its form; a span
  // [data-selected-count] (=NAME, by default households) in the form shows how many are ticked.
  // Used by 结对帮扶 and by 审核待办's 批量同意 (templates/assessment/queue.html).
  function showCount(form) {
    var counter = form && form.querySelector("[data-selected-count]");
    if (counter) {
      var name = counter.dataset.selectedCount || "households";
      counter.textContent = form.querySelectorAll("input[type=checkbox][name='" + name + "']:checked").length;
    }
  }
  // A page restored from the history keeps its ticks: count them at once.
  document.querySelectorAll("[data-selected-count]").forEach(function (counter) { showCount(counter.closest("form")); });
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") { return; }
    var form = box.form;
    if (!form) { return; }
    var group = box.dataset.selectAll;
    if (group) {
      form.querySelectorAll("input[type=checkbox][name='" + group + "']").forEach(function (item) {
        if (!item.disabled) { item.checked = box.checked; }
      });
    } else if (box.name) {
      var all = form.querySelector("[data-select-all='" + box.name + "']");
      if (all) {
        var items = form.querySelectorAll("input[type=checkbox][name='" + box.name + "']");
        all.checked = items.length > 0 && Array.prototype.every.call(items, function (item) { return item.checked; });
      }
    }
    showCount(form);
  });
})();

// --- The household form's fast entry (issue 16): [data-entry-form] ------------------------------
// Enter moves to the next field instead of sending half a household (the buttons save); a new member
// row takes the 户主's 民族 and gets the cursor; the 户主's 民族, when changed, follows to the rows
// whose 民族 the clerk has not typed.
(function () {
  "use strict";

  var FOCUSABLE = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href]";

  function entryForm(element) { return element && element.closest ? element.closest("form[data-entry-form]") : null; }

  function visible(element) { return element.offsetParent !== null; }

  function nextField(form, current) {
    var fields = Array.prototype.filter.call(form.querySelectorAll(FOCUSABLE), visible);
    var index = fields.indexOf(current);
    return index >= 0 ? fields[index + 1] : null;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var form = entryForm(target);
    if (!form || event.key !== "Enter" || event.isComposing || event.shiftKey || event.ctrlKey || event.altKey) { return; }
    if (!target.matches("input, select") || target.matches("[type=submit], [type=button]")) { return; }
    event.preventDefault();
    var next = nextField(form, target);
    if (next) { next.focus(); }
  });

  function rows(form) { return Array.prototype.slice.call(form.querySelectorAll("#member-rows tr.member-row")); }

  function ethnicityBox(row) { return row.querySelector("input[name$='-ethnicity']"); }

  function headRow(form) {
    var all = rows(form);
    var head = all.filter(function (row) {
      var relation = row.querySelector("select[name$='-relation']");
      return relation && relation.value === "01";
    })[0];
    return head || all[0] || null;
  }

  function headEthnicity(form) {
    var head = headRow(form);
    var box = head ? ethnicityBox(head) : null;
    return box ? box.value : "";
  }

  // Rows the server rendered with a 民族 other than the 户主's were typed by the clerk: kept.
  document.querySelectorAll("form[data-entry-form]").forEach(function (form) {
    var value = headEthnicity(form);
    var head = headRow(form);
    rows(form).forEach(function (row) {
      var box = ethnicityBox(row);
      if (box && row !== head && box.value !== value) { box.dataset.typed = "1"; }
    });
  });

  document.addEventListener("input", function (event) {
    var box = event.target;
    var form = entryForm(box);
    if (!form || !box.matches("input[name$='-ethnicity']")) { return; }
    var head = headRow(form);
    if (head && head.contains(box)) {
      rows(form).forEach(function (row) {
        var other = ethnicityBox(row);
        if (other && row !== head && !other.dataset.typed) { other.value = box.value; }
      });
    } else {
      box.dataset.typed = "1";
    }
  });

  document.addEventListener("htmx:load", function (event) {
    var row = event.detail.elt;
    var form = entryForm(row);
    if (!form || !row.matches || !row.matches("tr.member-row")) { return; }
    var box = ethnicityBox(row);
    var value = headEthnicity(form);
    if (box && value && row !== headRow(form)) { box.value = value; }
    var name = row.querySelector("input[name$='-name']");
    if (name) { name.focus(); }
  });

  // 删除 hides its row (above): the cursor goes back to + 添加成员 rather than into nowhere.
  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-row]");
    var form = entryForm(remove);
    if (!form) { return; }
    var add = form.querySelector("#add-member");
    if (add) { window.setTimeout(function () { add.focus(); }, 0); }
  });
})();

// --- Print-ready pages (扶贫手册, 公示 list, 审批表): the 打印 button [data-print] opens the print dialog.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
})();

// --- 操作手册 (templates/fupin/manual.html): a link to a role's part (#manual-…) opens that part.
(function () {
  "use strict";
  function openTarget() {
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();

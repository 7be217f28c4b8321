// Drag-and-drop and keyboard reordering of the items and sections of a playbook.
// The page works without this file: the Move up and Move down buttons of each Edit menu
// (and its "Move to another section" page) post to the same endpoints.
// Everything is found through data- attributes the server renders (data-movable,
// data-drag-handle, data-actions, data-step, ...), never by text or class.
(function () {
  "use strict";
  const HANDLE = "[data-drag-handle]", MOVABLE = "[data-movable]", ITEM = "[data-movable='item']";
  const SECTION = "[data-movable='section']", LIST = "[data-item-list]", EMPTY = "[data-empty]";
  const root = document.querySelector("[data-playbook][data-version]");
  const box = root && root.querySelector("[data-sections]");
  if (!box || !box.querySelector(HANDLE)) return;
  const live = root.querySelector("[data-live]");
  const text = (el) => (el ? el.textContent.replace(/\s+/g, " ").trim() : "");
  // [value, label] of each item status, in the order the server lists them.
  const statuses = Array.from(root.querySelectorAll("[data-status-list] [data-status]"),
    (bar) => [bar.dataset.status, bar.dataset.statusLabel]);
  let queue = Promise.resolve(); // moves go out one at a time, each with the newest version
  let failed = false;            // a refused move reloads the page; nothing more is sent
  let armed = null;              // element made draggable while its handle is pressed
  let drag = null;               // element being dragged with the mouse
  let marked = null;             // element showing .drop-target
  let grab = null;               // keyboard move: {el, handle, parent, next}
  let announceTimer;
  const isItem = (el) => el.matches(ITEM);
  const movableOf = (handle) => handle.closest(MOVABLE);
  const childrenMatching = (parent, selector) => Array.from(parent.children).filter((el) => el.matches(selector));
  const sections = () => childrenMatching(box, SECTION);
  const listOf = (section) => section.querySelector(LIST);
  const itemsIn = (list) => childrenMatching(list, ITEM);
  const ownTitle = (el) => Array.from(el.querySelectorAll("[data-title]")).find((t) => t.closest(MOVABLE) === el);
  const ownActions = (el) => Array.from(el.querySelectorAll("[data-actions]")).find((a) => a.closest(MOVABLE) === el);
  const siblings = (el) => (isItem(el) ? itemsIn(el.parentElement) : sections());
  const titleOf = (el) => text(ownTitle(el));
  const create = (tag, props) => Object.assign(document.createElement(tag), props);
  function where(el) {
    const all = siblings(el), place = `Position ${all.indexOf(el) + 1} of ${all.length}`;
    return place + (isItem(el) ? ` in ${titleOf(el.closest(SECTION))}` : " among the sections");
  }
  function announce(message) {
    if (!live) return;
    clearTimeout(announceTimer);
    live.textContent = ""; // so that a repeated message is read again
    announceTimer = setTimeout(() => { live.textContent = message; }, 50);
  }
  // Lists without items show the "Nothing here yet." placeholder; others do not.
  function tidyLists() {
    box.querySelectorAll(LIST).forEach((list) => {
      const empty = childrenMatching(list, EMPTY);
      if (itemsIn(list).length) empty.forEach((el) => el.remove());
      else if (!empty.length) {
        const placeholder = create("li", { className: "items-empty", textContent: "Nothing here yet." });
        placeholder.dataset.empty = "";
        list.appendChild(placeholder);
      }
    });
  }
  // Put el before `before` in parent, keeping the keyboard focus where it was.
  function relocate(el, parent, before) {
    const focused = document.activeElement;
    try { parent.moveBefore(el, before); } catch (error) { parent.insertBefore(el, before); } // moveBefore keeps focus
    tidyLists();
    if (focused && focused !== document.activeElement && el.contains(focused)) focused.focus({ preventScroll: true });
  }

  // --- keeping the no-JavaScript forms right ------------------------------------
  // Each item and section has, in its Edit menu, a Move up and a Move down button whose
  // value is the position they post. Show the ones its current place calls for, with the
  // right positions (a hidden button that had the focus hands it to the handle).
  function syncSteps(el, index, count) {
    const actions = ownActions(el);
    if (!actions) return;
    [["up", index - 1, index > 0], ["down", index + 1, index < count - 1]].forEach(([way, position, wanted]) => {
      const button = actions.querySelector(`[data-step='${way}']`);
      if (!button) return;
      if (!wanted && button === document.activeElement) el.querySelector(HANDLE).focus();
      button.hidden = !wanted;
      button.value = String(position);
    });
  }
  function sync() {
    root.querySelectorAll("input[name='version']").forEach((input) => { input.value = root.dataset.version; });
    const all = sections();
    all.forEach((section, sectionIndex) => {
      const items = itemsIn(listOf(section));
      syncSteps(section, sectionIndex, all.length);
      items.forEach((item, index) => syncSteps(item, index, items.length));
      const line = section.querySelector("[data-progress-line] p");
      if (!line || !statuses.length) return;
      const parts = [`${items.length} item${items.length === 1 ? "" : "s"}`];
      statuses.forEach(([value, label]) => {
        const n = items.filter((item) => item.dataset.status === value).length;
        if (n) parts.push(`${label}: ${n}`);
      });
      line.textContent = parts.join(" · ");
    });
  }

  // --- talking to the server ----------------------------------------------------
  function fail(message, anchor) {
    failed = true;
    announce(`${message} Reloading the page…`);
    setTimeout(() => { history.replaceState(null, "", `#${anchor}`); location.reload(); }, 1500); // back to the element
  }
  function send(el) {
    const body = new URLSearchParams({ csrf_token: root.dataset.csrf || "", position: String(siblings(el).indexOf(el)) });
    if (isItem(el)) body.set("section_id", el.parentElement.dataset.sectionId);
    const url = el.dataset.moveUrl, anchor = el.id;
    queue = queue.then(async () => {
      if (failed) return;
      body.set("version", root.dataset.version);
      let response, data;
      try {
        response = await fetch(url, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
        data = await response.json().catch(() => ({}));
      } catch (error) {
        return fail("The move could not be saved: the connection failed.", anchor);
      }
      if (!response.ok || !data.ok) return fail(data.error || "The move could not be saved.", anchor);
      root.dataset.version = String(data.version);
      sync();
    }).catch(() => fail("The move could not be saved.", anchor));
  }

  // --- keyboard -------------------------------------------------------------------
  function pickUp(handle) {
    const el = movableOf(handle);
    if (!el || !el.dataset.moveUrl || failed) return;
    grab = { el, handle, parent: el.parentElement, next: el.nextElementSibling };
    handle.setAttribute("aria-pressed", "true");
    el.classList.add("is-grabbed");
    announce(`Picked up ${titleOf(el)}. Use the arrow keys to move, Space to drop, Escape to cancel.`);
  }
  function letGo(cancel) {
    const { el, handle, parent, next } = grab, title = titleOf(el);
    grab = null;
    handle.setAttribute("aria-pressed", "false");
    el.classList.remove("is-grabbed");
    const moved = el.parentElement !== parent || el.nextElementSibling !== next;
    if (moved && cancel) relocate(el, parent, next && next.parentElement === parent ? next : null);
    if (moved && !cancel) send(el);
    announce(cancel ? `Move cancelled. ${title} is back in its place: ${where(el)}.`
      : `Dropped ${title}. ${moved ? `${where(el)}.` : "It did not move."}`);
    sync();
  }
  // One place up (dir -1) or down (+1); items cross into the previous or next section.
  function step(el, dir) {
    const all = siblings(el), neighbour = all[all.indexOf(el) + dir];
    let parent = null, before = null;
    if (neighbour) {
      parent = el.parentElement;
      before = dir < 0 ? neighbour : neighbour.nextSibling;
    } else if (isItem(el)) {
      const list = sections(), section = list[list.indexOf(el.closest(SECTION)) + dir];
      parent = section ? listOf(section) : null;
      before = parent && dir > 0 ? parent.firstChild : null;
    }
    if (!parent) return announce(`${titleOf(el)} is already ${dir < 0 ? "first" : "last"}. ${where(el)}.`);
    relocate(el, parent, before);
    if (document.activeElement !== grab.handle) grab.handle.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
    announce(`${where(el)}.`);
  }
  const HELD_KEYS = ["Escape", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "PageUp", "PageDown", "Home", "End"];
  box.addEventListener("keydown", (event) => {
    const handle = event.target.closest(HANDLE);
    if (!handle || event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key, held = grab && grab.handle === handle;
    if (key === " " || key === "Enter") {
      event.preventDefault();
      if (!event.repeat) { if (held) letGo(false); else pickUp(handle); }
    } else if (held && HELD_KEYS.includes(key)) {
      event.preventDefault(); // no scrolling while an element is held
      if (key === "Escape") letGo(true);
      else if (key === "ArrowUp" || key === "ArrowDown") step(grab.el, key === "ArrowUp" ? -1 : 1);
    }
  });
  box.addEventListener("focusout", (event) => {
    if (!grab || event.target !== grab.handle) return; // (a handle that only moved gets its focus back at once)
    const held = grab;
    setTimeout(() => { if (grab === held && document.activeElement !== held.handle) letGo(true); }, 0);
  });

  // --- mouse ----------------------------------------------------------------------
  const disarm = () => { if (armed) armed.draggable = false; armed = null; };
  const mark = (el) => { if (marked) marked.classList.remove("drop-target"); if (el) el.classList.add("drop-target"); marked = el; };
  // The first element whose middle is below the pointer: the dragged one goes before it.
  const firstBelow = (elements, y) => elements.find((el) => {
    const rect = el.getBoundingClientRect();
    return el !== drag && y < rect.top + rect.height / 2;
  }) || null;
  // Where a drop at the pointer puts the dragged element, or null where it may not go.
  function dropSpot(event) {
    const target = event.target;
    if (!drag || !(target instanceof Element) || !box.contains(target)) return null;
    if (isItem(drag)) {
      const section = target.closest(SECTION), parent = target.closest(LIST) || (section && listOf(section));
      if (!parent) return null;
      const marker = target.closest(ITEM) || parent;
      return { marker: marker === drag ? null : marker, parent, before: firstBelow(itemsIn(parent), event.clientY) };
    }
    const marker = target.closest(SECTION);
    if (!marker && target !== box) return null;
    return { marker: marker === drag ? null : marker, parent: box, before: firstBelow(sections(), event.clientY) };
  }
  box.addEventListener("mousedown", (event) => {
    const handle = event.target.closest(HANDLE);
    if (!handle || event.button !== 0) return;
    disarm();
    const el = movableOf(handle);
    if (!el || !el.dataset.moveUrl || failed) return;
    armed = el;
    el.draggable = true;
  });
  document.addEventListener("mouseup", disarm);
  box.addEventListener("dragstart", (event) => {
    if (!armed || event.target !== armed) return; // a link or selected text is being dragged, not ours
    if (grab) letGo(true);
    drag = armed;
    drag.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", titleOf(drag));
  });
  document.addEventListener("dragover", (event) => {
    const spot = dropSpot(event);
    mark(spot && spot.marker);
    if (!spot) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
  });
  document.addEventListener("drop", (event) => {
    const spot = dropSpot(event);
    mark(null);
    if (!spot) return;
    event.preventDefault();
    const el = drag, parent = el.parentElement, next = el.nextElementSibling;
    relocate(el, spot.parent, spot.before);
    if (el.parentElement === parent && el.nextElementSibling === next) return;
    send(el);
    announce(`Moved ${titleOf(el)}. ${where(el)}.`);
    sync();
  });
  document.addEventListener("dragend", () => { if (drag) drag.classList.remove("is-dragging"); drag = null; mark(null); disarm(); });
  box.querySelectorAll(HANDLE).forEach((handle) => { handle.hidden = false; handle.setAttribute("aria-pressed", "false"); });
})();

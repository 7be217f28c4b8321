// Tells an open playbook page that someone else saved, and (for members) who else of the
// team has it open. Every data-live-interval seconds it asks data-live-url what changed
// since the version the page shows (data-version), with If-None-Match so an unchanged
// answer is a bodiless 304. Nothing on the page is replaced: the notice links to the
// new version, so whatever is being typed stays where it is. It does not ask while the
// tab is hidden, asks at once when it is shown again, and waits longer after each error.
// Without this file the page simply shows what it showed when it was loaded.
(function () {
  "use strict";
  const root = document.querySelector("[data-playbook][data-live-url]");
  const notice = root && root.querySelector("[data-live-notice]");
  if (!notice || !window.fetch) return;
  const presence = root.querySelector("[data-live-presence]");
  const every = Math.max(Number(root.dataset.liveInterval) || 10, 1) * 1000;
  const LONGEST_WAIT = 5 * 60 * 1000;
  let etag = null;       // of the last answer shown
  let timer = null;
  let asking = false;
  let failures = 0;
  let stopped = false;   // the playbook is gone or no longer ours to read: ask no more
  let shown = "";        // the notice (and its summaries) on the page now
  let dismissed = "";    // the notice its reader hid (a newer one shows again)

  const create = (tag, props) => Object.assign(document.createElement(tag), props);

  function showNotice(news) {
    const key = news.notice ? [news.notice, ...news.summaries].join("\n") : "";
    if (key === shown) return;
    shown = key;
    notice.replaceChildren();
    if (!news.notice || key === dismissed) return;
    const line = create("p", { className: "live-notice-text" });
    const show = create("a", { href: window.location.pathname + window.location.search, textContent: "Show" });
    const hide = create("button", { type: "button", className: "button-link", textContent: "Hide" });
    hide.addEventListener("click", () => {
      dismissed = key;
      notice.replaceChildren();
    });
    line.append(news.notice + " · ", show, hide);
    notice.append(line);
    if (news.summaries.length) {
      const list = create("ul", { className: "live-notice-changes" });
      news.summaries.forEach((summary) => list.append(create("li", { textContent: summary })));
      notice.append(list);
    }
  }

  function show(news) {
    showNotice(news);
    if (presence) presence.textContent = news.here || "";
  }

  function schedule(wait) {
    clearTimeout(timer);
    timer = stopped ? null : setTimeout(ask, wait);
  }

  async function ask() {
    timer = null;
    if (stopped || asking || document.visibilityState === "hidden") return;
    asking = true;
    try {
      const url = new URL(root.dataset.liveUrl, window.location.href);
      url.searchParams.set("since", root.dataset.version);
      const headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      // no-store: the browser's cache stays out of it; this script does the revalidating.
      const response = await fetch(url, { headers, cache: "no-store", credentials: "same-origin" });
      if (response.status === 404 || response.status === 403) {
        stopped = true;
      } else if (response.status !== 304) {
        if (!response.ok) throw new Error(`live: ${response.status}`);
        const news = await response.json();
        etag = response.headers.get("ETag");
        show(news);
      }
      failures = 0;
    } catch (error) {
      failures += 1;
    } finally {
      asking = false;
    }
    if (document.visibilityState !== "hidden") {
      schedule(failures ? Math.min(every * 2 ** failures, LONGEST_WAIT) : every);
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      clearTimeout(timer);
      timer = null;
    } else if (!asking) {
      ask();
    }
  });
  // Members are counted as here from the start (and see who else is); other readers
  // have nothing to learn until a first interval has passed.
  schedule(presence ? 0 : every);
})();

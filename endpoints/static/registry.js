// Refresh the registry every 5 seconds by fetching the page again and swapping the #registry block,
// so that the server stays the one place where rows are rendered.
(function () {
  "use strict";
  async function refresh() {
    try {
      const response = await fetch(window.location.pathname + window.location.search,
        { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.getElementById("registry");
      const current = document.getElementById("registry");
      if (fresh && current) current.replaceWith(fresh);
    } catch (err) {
      // The server may be restarting; the next tick tries again.
    }
  }
  setInterval(refresh, 5000);
})();

"""Open a self-contained HTML report in a real headless Chromium and say what a reader would hit.

`check_page` loads the file twice, at a desktop size and at a phone size, in Debian's Chromium driven by
Playwright (its bundled browsers cannot be downloaded here, so we point it at the system one). It returns the
console errors, uncaught exceptions, broken images, every attempt to reach the network (all aborted: a
self-contained report must work offline and must not tell anyone it was opened), whether the phone layout
scrolls sideways, and a full-page screenshot of each size for a person to look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright is imported lazily so that this module imports (and tests skip) without it
    from playwright.sync_api import ConsoleMessage, Error, Request, Route, ViewportSize, WebSocketRoute

# Debian's /usr/bin/chromium is a shell wrapper that sources /etc/chromium.d (adds extension flags, and on
# some machines prints a harmless `[` error) before exec'ing the real binary; launching the binary directly
# halves start-up time and keeps the flags to exactly ours. Both come from the same `chromium` package.
CHROMIUM_WRAPPER = Path("/usr/bin/chromium")
CHROMIUM_BINARY = Path("/usr/lib/chromium/chromium")

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}  # a current mid-size phone in CSS pixels

# Schemes a self-contained file may load from; anything else (http, https, ws, ftp, ...) leaves the machine.
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")

LAUNCH_ARGS = [
    "--no-sandbox",  # runs as root here and in CI, where Chromium refuses to start with its sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The browser itself (not the page) otherwise phones home: field trials, component updates, sync.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # container /dev/shm is small; Chromium crashes when it fills up
    # Belt and braces: <link rel=preconnect> / dns-prefetch open connections without any request event we
    # could intercept, so make every host name unresolvable. Routing below still aborts IP-literal URLs.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]

# Runs in the page after 'load': force lazy images to load (a screenshot or a real reader scrolling would),
# then wait, bounded by the deadline, for every <img> to decode and the web fonts to be ready, and for two
# frames so the layout the screenshot sees is settled.
_SETTLE_JS = """
async (ms) => {
  const deadline = new Promise((resolve) => setTimeout(resolve, ms));
  for (const img of document.images) if (img.loading === "lazy") img.loading = "eager";
  const decoded = Promise.allSettled([...document.images].map((img) => img.decode()));
  await Promise.race([decoded, deadline]);
  await Promise.race([document.fonts.ready, deadline]);
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}
"""

# Returns [url, where] for each <img> that is not fully loaded with a real size, and for each CSS background
# image (of elements and their ::before/::after) that fails to load. Background images are re-loaded with
# `new Image()` because the computed style names them even when the element is hidden and never fetched
# them, and a hidden panel that a click reveals still must not be broken.
_IMAGES_JS = r"""
async (ms) => {
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (typeof el.className === "string" && el.className.trim()) name += "." + el.className.trim().split(/\s+/).join(".");
    return name;
  };
  const broken = [];
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0) {
      broken.push([img.currentSrc || img.getAttribute("src") || "(no src)", "<img> " + describe(img)]);
    }
  }
  const backgrounds = new Map();
  for (const el of document.querySelectorAll("*")) {
    for (const pseudo of [null, "::before", "::after"]) {
      const value = getComputedStyle(el, pseudo).backgroundImage;
      if (!value || value === "none") continue;
      // Computed values are absolute and always serialised as url("..."), with " and \ escaped.
      for (const m of value.matchAll(/url\("((?:[^"\\]|\\.)*)"\)/g)) {
        const url = m[1].replace(/\\(.)/g, "$1");
        if (!backgrounds.has(url)) backgrounds.set(url, "background-image of " + describe(el) + (pseudo || ""));
      }
    }
  }
  const loads = (url) => new Promise((resolve) => {
    const probe = new Image();
    probe.onload = () => resolve(probe.naturalWidth > 0);
    probe.onerror = () => resolve(false);
    setTimeout(() => resolve(false), ms);
    probe.src = url;
  });
  const results = await Promise.all([...backgrounds.keys()].map(loads));
  [...backgrounds.entries()].forEach(([url, where], i) => { if (!results[i]) broken.push([url, where]); });
  return broken;
}
"""

# Hints that open a connection to another host without a request the router sees.
_HINTS_JS = """
() => [...document.querySelectorAll('link[rel~="preconnect"], link[rel~="dns-prefetch"]')]
  .map((link) => [link.href, link.rel])
"""

_OVERFLOW_JS = "() => document.documentElement.scrollWidth"


@dataclass
class PageCheck:
    console_errors: list[str]
    page_errors: list[str]
    broken_images: list[str]
    external_requests: list[str]
    horizontal_overflow_on_phone: bool
    screenshot: Path
    phone_screenshot: Path
    title: str

    @property
    def ok(self) -> bool:
        """No errors, no broken images, no network, no sideways scrolling on a phone."""
        return not (
            self.console_errors
            or self.page_errors
            or self.broken_images
            or self.external_requests
            or self.horizontal_overflow_on_phone
        )

    def summary(self) -> str:
        """Readable list of problems, for assertion messages."""
        lines = [f"{self.title!r}: {'ok' if self.ok else 'problems'}"]
        for name in ("console_errors", "page_errors", "broken_images", "external_requests"):
            lines += [f"  {name}: {item}" for item in getattr(self, name)]
        if self.horizontal_overflow_on_phone:
            lines.append(f"  horizontal overflow at {PHONE['width']}px (see {self.phone_screenshot})")
        return "\n".join(lines)


def chromium_available() -> bool:
    """True when Debian's Chromium is installed and the playwright package imports."""
    if _executable() is None:
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def _executable() -> Path | None:
    return next((path for path in (CHROMIUM_BINARY, CHROMIUM_WRAPPER) if path.exists()), None)


def _short(url: str) -> str:
    # Reports inline images as data: URIs that run to megabytes; keep messages readable.
    return url if len(url) <= 120 else url[:100] + f"... ({len(url)} chars)"


def _is_local(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES)


@dataclass
class _Findings:
    # dicts keep first-seen order and drop duplicates (the two viewports usually report the same thing twice)
    console_errors: dict[str, None] = field(default_factory=dict)
    page_errors: dict[str, None] = field(default_factory=dict)
    broken_images: dict[str, str] = field(default_factory=dict)
    external_requests: dict[str, None] = field(default_factory=dict)

    def external(self, url: str) -> None:
        self.external_requests.setdefault(_short(url))

    def request(self, request: Request) -> None:
        if not _is_local(request.url):
            self.external(request.url)

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        # "Failed to load resource" says nothing about which resource; the location is that resource.
        suffix = f" [{_short(where)}:{message.location.get('lineNumber', 0)}]" if where else ""
        self.console_errors.setdefault(message.text + suffix)

    def page_error(self, error: Error) -> None:
        self.page_errors.setdefault(f"{error.name}: {error.message}" if error.name else error.message)

    def request_failed(self, request: Request) -> None:
        # Catches images no DOM check sees: SVG <image>, list-style-image, border-image, <input type=image>.
        if request.resource_type == "image":
            self.broken_images.setdefault(_short(request.url), f"request failed: {request.failure}")


def check_page(html: Path, out_dir: Path, timeout_s: float = 30) -> PageCheck:
    """Load `html` from disk in headless Chromium at desktop and phone size and report what went wrong.

    Screenshots go to `out_dir` as `<stem>-desktop.png` and `<stem>-phone.png`. `timeout_s` bounds each
    browser step (navigation, waiting for images, screenshot), not the whole call. Errors thrown later
    by timers after the page settled are not waited for.
    """
    from playwright.sync_api import sync_playwright  # imported here so this module imports without it

    executable = _executable()
    if executable is None:
        raise RuntimeError(f"Chromium not found at {CHROMIUM_BINARY} or {CHROMIUM_WRAPPER}: apt-get install chromium")
    html = Path(html).resolve()
    if not html.is_file():
        raise FileNotFoundError(html)
    out_dir.mkdir(parents=True, exist_ok=True)
    screenshot = out_dir / f"{html.stem}-desktop.png"
    phone_screenshot = out_dir / f"{html.stem}-phone.png"
    timeout_ms = timeout_s * 1000
    found = _Findings()

    def abort_external(route: Route) -> None:
        found.external(route.request.url)
        route.abort("blockedbyclient")

    def refuse_websocket(ws: WebSocketRoute) -> None:
        # Not calling connect_to_server() means Playwright answers the socket itself: nothing is sent.
        found.external(ws.url)
        ws.close()

    with sync_playwright() as playwright:
        # Plain launch gives each run a fresh temporary profile that Playwright deletes on close.
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=LAUNCH_ARGS, timeout=timeout_ms
        )
        try:
            title = ""
            overflow = False
            # is_mobile makes Chromium honour <meta name=viewport> like a phone: a page without it lays out at
            # 980px and is reported as overflowing, which is what a reader on a phone would get.
            for viewport, mobile, path in ((DESKTOP, False, screenshot), (PHONE, True, phone_screenshot)):
                context = browser.new_context(
                    viewport=viewport,
                    is_mobile=mobile,
                    has_touch=mobile,
                    service_workers="block",
                )
                context.set_default_timeout(timeout_ms)
                context.route(lambda url: not _is_local(url), abort_external)
                context.route_web_socket(lambda url: not _is_local(url), refuse_websocket)
                # Second net in case something is not routed (e.g. a worker's request): record it anyway.
                context.on("request", found.request)
                context.on("requestfailed", found.request_failed)
                page = context.new_page()
                page.on("console", found.console)
                page.on("pageerror", found.page_error)
                page.goto(html.as_uri(), wait_until="load", timeout=timeout_ms)
                page.evaluate(_SETTLE_JS, timeout_ms)
                for url, where in page.evaluate(_IMAGES_JS, timeout_ms):
                    # Overwrites a "request failed" entry for the same URL: saying which element is more use.
                    found.broken_images[_short(url)] = where
                for href, rel in page.evaluate(_HINTS_JS):
                    if not _is_local(href):
                        found.external(f"{href} (<link rel={rel}>)")
                page.screenshot(path=path, full_page=True, animations="disabled")
                if mobile:
                    overflow = page.evaluate(_OVERFLOW_JS) > viewport["width"]
                else:
                    title = page.title()
                context.close()  # also flushes pending events into `found` before we read it
        finally:
            browser.close()

    return PageCheck(
        console_errors=list(found.console_errors),
        page_errors=list(found.page_errors),
        broken_images=[f"{url} ({where})" for url, where in found.broken_images.items()],
        external_requests=list(found.external_requests),
        horizontal_overflow_on_phone=overflow,
        screenshot=screenshot,
        phone_screenshot=phone_screenshot,
        title=title,
    )

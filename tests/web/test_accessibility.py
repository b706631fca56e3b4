"""Accessibility in real Chromium: axe-core on every page type in light and dark themes
(no critical or serious violations, no skipped heading levels, no landmarks that share
a label), every control named, reachable and visibly focused from the keyboard, and tap
targets of at least 24 CSS px on a phone.

Pages that other parts of the site add later (/submit, /trending, ...) are in PAGES
already: while the server answers 404 for one, its test is skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine

from paperfeed.accounts.users import create_user
from paperfeed.digest.links import make_token
from paperfeed.storage.engine import write_session
from paperfeed.storage.models import Subscription
from tests.web.browser import check_axe, launch, open_tab, require_axe, serve_demo
from tests.web.sessions import PASSWORD

pytestmark = pytest.mark.browser

USER = "a11y-admin"  # an admin, so moderation pages show too
PHONE = {"width": 390, "height": 844}
PAPER = "{paper}"  # the first paper on the daily page (one with votes and comments)


@dataclass(frozen=True)
class Page:
    path: str
    signed_in: bool = False
    status: int = 200
    later: bool = False  # added by another part of the site: skipped while it is a 404

    def __str__(self) -> str:
        return self.path + (" (signed in)" if self.signed_in else "")


# A digest subscription made by _add_user, and its signed links (serve_demo signs with
# "x" * 32).
A11Y_SUBSCRIPTION = Subscription(id=1, email="reader@example.org", secret="a11y" * 8)
MANAGE_TOKEN = make_token("x" * 32, "manage", A11Y_SUBSCRIPTION)
UNSUBSCRIBE_TOKEN = make_token("x" * 32, "unsubscribe", A11Y_SUBSCRIPTION)

# Every page type. Add new pages here; `later=True` ones are skipped until they exist.
PAGES = [
    Page("/"),
    Page("/", signed_in=True),
    Page("/date/2024-11-25?sort=time"),
    Page("/date/2024-11-22?page=2"),
    Page(PAPER),
    Page(PAPER, signed_in=True),
    Page("/search"),
    Page("/search?q=language+model&mode=keyword"),
    Page("/search?q=qqxxzznothing&mode=keyword"),
    Page("/no-such-page", status=404),
    Page("/papers/2411.00000", status=404),
    Page("/login"),
    Page("/register"),
    Page("/settings", signed_in=True),
    Page("/trending", later=True),
    Page("/week", later=True),
    Page("/month", later=True),
    Page("/submit", signed_in=True, later=True),
    Page("/users/demo-ada", later=True),
    Page(f"/users/{USER}", signed_in=True, later=True),
    Page("/admin", signed_in=True, later=True),
    Page("/digest"),
    Page(f"/digest/manage?token={MANAGE_TOKEN}"),
    Page(f"/digest/unsubscribe?token={UNSUBSCRIBE_TOKEN}"),
    Page("/mailbox"),
]
THEMES = ["light", "dark"]


def _add_user(engine: Engine) -> None:
    with write_session(engine) as session:
        create_user(session, USER, f"{USER}@example.org", PASSWORD, role="admin")
        session.add(Subscription(
            id=1, email="reader@example.org", email_key="reader@example.org",
            status="active", period="weekly", max_papers=10, categories=["cs.LG"],
            keywords=["diffusion"], authors=[], searches=['"language model"'],
            secret=A11Y_SUBSCRIPTION.secret, hard_bounces=0))


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("a11y"), _add_user) as url:
        yield url


@pytest.fixture(scope="module")
def browser(live_site: str) -> Iterator[Any]:
    require_axe()
    with launch() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def signed_in_state(browser: Any, live_site: str) -> Any:
    """The cookies of a session opened through the login form."""
    with open_tab(browser) as (page, problems):
        page.goto(live_site + "/login")
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(live_site + "/")
        assert page.locator("nav.account").get_by_text(USER).is_visible()
        assert problems == []
        return page.context.storage_state()


@pytest.fixture(scope="module")
def paper_path(browser: Any, live_site: str) -> str:
    with open_tab(browser) as (page, _):
        page.goto(live_site + "/")
        href = page.locator("article.card h3 a").first.get_attribute("href")
        assert href and href.startswith("/papers/")
        return str(href)


@contextmanager
def _visit(browser: Any, live_site: str, target: Page, state: Any, paper: str,
           **options: Any) -> Iterator[Any]:
    if target.signed_in:
        options["storage_state"] = state
    with open_tab(browser, **options) as (page, problems):
        response = page.goto(live_site + target.path.replace(PAPER, paper))
        assert response is not None
        if target.later and response.status == 404:
            pytest.skip(f"{target.path} answers 404: that page is not on this branch yet")
        assert response.status == target.status, f"{target}: HTTP {response.status}"
        if target.signed_in:
            assert page.locator("nav.account").get_by_text(USER).count() == 1, "not signed in"
        yield page
        # The browser logs the 404 of an error page itself; anything else is a problem.
        expected = f"status of {target.status}"
        assert [p for p in problems if target.status == 200 or expected not in p] == []


@pytest.fixture
def visit(
    browser: Any, live_site: str, signed_in_state: Any, paper_path: str
) -> Any:
    def opener(target: Page, **options: Any) -> AbstractContextManager[Any]:
        return _visit(browser, live_site, target, signed_in_state, paper_path, **options)
    return opener


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("target", PAGES, ids=str)
def test_axe_finds_nothing_serious(visit: Any, target: Page, theme: str) -> None:
    with visit(target) as page:
        page.emulate_media(color_scheme=theme)
        assert page.evaluate(f"matchMedia('(prefers-color-scheme: {theme})').matches")
        violations = check_axe(page)
        assert violations == [], f"{target} ({theme}):\n" + "\n".join(violations)


# Every element that can take keyboard focus, in document order, with how it looks.
_FOCUSABLE = """() => {
  // Tab stops once in a radio group, on the checked radio (arrows move within it).
  const sel = 'a[href], button:not([disabled]), input[type=radio]:checked, '
            + 'input:not([type=hidden]):not([type=radio]):not([disabled]), '
            + 'select:not([disabled]), textarea:not([disabled]), summary, '
            + '[tabindex]:not([tabindex="-1"])';
  // What a closed <details> holds (but its summary) is not a tab stop.
  const folded = el => {
    const box = el.closest('details:not([open])');
    return box !== null && !box.querySelector(':scope > summary').contains(el);
  };
  return [...document.querySelectorAll(sel)]
    .filter(el => (el.getClientRects().length > 0 || el.classList.contains('skip'))
                  && !folded(el))
    .map((el, i) => { el.dataset.a11y = i; return i; });
}"""
_LOOK = """(el) => {
  const s = getComputedStyle(el);
  const outline = s.outlineStyle === 'none' || parseFloat(s.outlineWidth) === 0
    ? 'none' : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`;
  return {outline, shadow: s.boxShadow, decoration: s.textDecorationLine,
          background: s.backgroundColor, border: s.borderColor, left: s.left};
}"""

_ON_SCREEN = """(el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
         && r.top < innerHeight && r.left < innerWidth;
}"""


# After a Tab: which numbered element has focus, how it looks and whether it is on screen
# (one round trip to the browser per key press).
_FOCUSED = f"""() => {{
  const el = document.activeElement;
  if (el === null || el.dataset.a11y === undefined)
    return {{index: null, body: el === document.body}};
  return {{index: Number(el.dataset.a11y), look: ({_LOOK})(el), onScreen: ({_ON_SCREEN})(el),
          html: el.outerHTML.slice(0, 120)}};
}}"""
_ALL_LOOKS = f"""() => [...document.querySelectorAll('[data-a11y]')]
  .sort((a, b) => a.dataset.a11y - b.dataset.a11y).map({_LOOK})"""


def _focus_problems(page: Any) -> tuple[list[int], list[str]]:
    """Tab through the page: the order of elements reached, and those focused invisibly."""
    count = len(page.evaluate(_FOCUSABLE))
    looks = page.evaluate(_ALL_LOOKS)
    reached: list[int] = []
    invisible: list[str] = []
    for _ in range(count + 5):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUSED)
        index = focus["index"]
        if index is None:
            if focus["body"]:
                break  # wrapped round past the last element
            continue
        if reached and index == reached[0]:
            break
        reached.append(index)
        look = focus["look"]
        visible = focus["onScreen"] and (look["outline"] != "none" or look["shadow"] != "none")
        if look == looks[index] or not visible:
            invisible.append(focus["html"])
    return reached, invisible


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("target", [Page("/"), Page("/login"), Page("/settings", signed_in=True),
                                    Page("/search?q=language+model&mode=keyword")], ids=str)
def test_keyboard_reaches_everything_with_a_visible_focus(
    visit: Any, target: Page, theme: str
) -> None:
    with visit(target) as page:
        page.emulate_media(color_scheme=theme)
        count = len(page.evaluate(_FOCUSABLE))
        reached, invisible = _focus_problems(page)
        assert count > 5
        assert reached == list(range(count)), "Tab order skips or reorders elements"
        assert invisible == [], "focused without a visible indicator:\n" + "\n".join(invisible)


# Targets in the header and main content at phone size: their boxes, and whether WCAG
# 2.5.8 calls them inline (a link inside a sentence of other text is exempt from the minimum size).
_TARGETS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const inline = el => {
    if (el.tagName !== 'A') return false;
    const block = el.closest('p, li, dd, td');
    if (!block) return false;
    const own = [...block.childNodes].filter(n => n.nodeType === 3)
      .map(n => n.textContent).join('');
    return /[A-Za-z]{2,}/.test(own);
  };
  return [...document.querySelectorAll(sel)]
    .filter(el => el.closest('main, header.site') && el.getClientRects().length > 0
                  && getComputedStyle(el).visibility !== 'hidden')
    .map(el => {
      // A radio or checkbox inside its label is tapped through the label.
      const label = ['radio', 'checkbox'].includes(el.type) && el.closest('label');
      const r = (label || el).getBoundingClientRect();
      return {x: r.x, y: r.y + scrollY, w: r.width, h: r.height, inline: inline(el),
              what: el.outerHTML.slice(0, 100)}; });
}"""


def _too_small(targets: list[dict[str, Any]]) -> list[str]:
    """Targets under 24×24 px whose 24 px circle (WCAG 2.5.8's spacing exception) meets
    another target or another small target's circle."""
    small = [t for t in targets if (t["w"] < 24 or t["h"] < 24) and not t["inline"]]
    problems = []
    for t in small:
        cx, cy = t["x"] + t["w"] / 2, t["y"] + t["h"] / 2
        for other in targets:
            if other is t:
                continue
            ox, oy = other["x"] + other["w"] / 2, other["y"] + other["h"] / 2
            if other in small:
                crowded = (cx - ox) ** 2 + (cy - oy) ** 2 < 24 ** 2
            else:  # the distance from the circle's centre to the other box
                dx = max(other["x"] - cx, 0, cx - other["x"] - other["w"])
                dy = max(other["y"] - cy, 0, cy - other["y"] - other["h"])
                crowded = dx * dx + dy * dy < 12 ** 2
            if crowded:
                problems.append(f"{t['w']:.0f}×{t['h']:.0f} px, too close to "
                                f"{other['what'][:60]!r}: {t['what']}")
                break
    return problems


_NAMES = """() => {
  // Controls folded in <details> (reply, delete, report) count too: open them first.
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  axe.setup();
  try {
    return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
      .map(el => [el.outerHTML.slice(0, 100), axe.commons.text.accessibleText(el).trim()]);
  } finally { axe.teardown(); }
}"""


@pytest.mark.parametrize("target", [p for p in PAGES if p.status == 200], ids=str)
def test_phone_tap_targets_and_named_controls(visit: Any, target: Page) -> None:
    with visit(target, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        assert page.evaluate("innerWidth") == PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], \
            "the page scrolls sideways on a phone"
        small = _too_small(page.evaluate(_TARGETS))
        assert small == [], "tap targets under 24 px:\n" + "\n".join(small)
        page.evaluate(require_axe())
        names = page.evaluate(_NAMES)
        unnamed = [html for html, name in names if not name]
        assert unnamed == [], "controls without an accessible name:\n" + "\n".join(unnamed)
        if target.path == "/login":
            assert {"Username", "Password", "Log in"} <= {name for _, name in names}

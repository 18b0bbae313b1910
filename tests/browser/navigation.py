"""Moving between pages the way a user does: the sidebar menu keeps the signed-in session
(typing a page URL starts a new session, which is signed out)."""

from playwright.sync_api import Page

from tests.browser.harness import wait_idle


def go_to(page: Page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    page.wait_for_timeout(500)
    wait_idle(page)


def choose(page: Page, label: str, option: str, nth: int = 0) -> None:
    """Pick `option` in the `nth` select box labelled exactly `label`."""
    page.get_by_role("combobox", name=label, exact=True).nth(nth).click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(option)  # the list is virtualised: filter it so the option is rendered
    page.get_by_role("option", name=option, exact=True).first.click()
    page.wait_for_timeout(500)
    wait_idle(page)


def metric(page: Page, label: str) -> str:
    """The value shown by the metric labelled `label`."""
    m = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=label)).first
    return m.locator("[data-testid='stMetricValue']").inner_text().strip()

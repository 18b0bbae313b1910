"""Moving between pages the way a user does: the sidebar menu keeps the signed-in session
(typing a page URL starts a new session, which is signed out)."""

from playwright.sync_api import Page

from tests.browser.harness import wait_idle


def go_to(page: Page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    page.wait_for_timeout(500)
    wait_idle(page)

"""The main pages in a real Chromium under the Content-Security-Policy: no
violation reported, and each page still does its job (the intake form's
region cascade, the Swagger UI, the admin's widgets)."""

import pytest

from desk.models import Region

pytestmark = pytest.mark.e2e

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def watched(page):
    page.add_init_script(WATCH)
    console = []
    page.on(
        "console",
        lambda m: (
            console.append(m.text)
            if "Content Security Policy" in m.text or "Refused to" in m.text
            else None
        ),
    )
    page.console = console
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__violations") + page.console


def test_public_intake_form_runs_under_the_policy(watched):
    watched.goto("/neutrality/lapor/")
    province = Region.objects.get(code="64")
    watched.select_option("#id_province", province.code)
    # The cascade fetches the province's kabupaten from this origin.
    # (A selector wait, not wait_for_function: Playwright evaluates that
    # string with eval when it polls, which the policy rightly refuses.)
    watched.locator("#id_regency option").nth(1).wait_for(state="attached")
    assert violations(watched) == []


def test_staff_pages_admin_and_api_docs_run_under_the_policy(watched, make_user):
    make_user(username="nasional.root", is_staff=True, is_superuser=True)
    watched.login("nasional.root")
    for url in (
        "/",
        "/meetings/",
        "/meetings/new/",
        "/neutrality/",
        "/neutrality/lacak/",
        "/logistics/",
        "/directory/",
        "/admin/",
        "/admin/meetings/meeting/",
        "/admin/meetings/meeting/add/",
        "/admin/auth/user/add/",
    ):
        watched.goto(url)
        watched.wait_for_load_state("networkidle")
        assert violations(watched) == [], url
    # The admin's calendar widget writes its own markup.
    watched.goto("/admin/meetings/meeting/add/")
    watched.locator(".datetimeshortcuts a").first.click()
    assert violations(watched) == []
    watched.goto("/api/docs/")
    watched.wait_for_selector(".swagger-ui .info .title")
    watched.locator(".opblock-summary").first.click()
    watched.wait_for_selector(".opblock-body")
    assert violations(watched) == []

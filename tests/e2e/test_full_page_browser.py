"""The sandbox's full-page embeds in real Chromium: the workspace they draw is the sandbox's own
(the recipes and jobs the Embedded API answers), and what a user reads there while repairing a
customer's integration: a recipe stopped on trigger errors, its broken connection, the failed
jobs with their error, then the repaired recipe's new job."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from workato_ipywidget.endpoints import page_url
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        server.add_connection(1, "salesforce", name="ACME Salesforce", connected=True)
        server.add_connection(2, "jira", name="ACME Jira", connected=True)
        sales = server.add_folder(None, "Sales")
        server.add_recipe(101, "Sync leads", connections=[1, 2], running=True, folder_id=sales.id)
        server.add_recipe(102, "Nightly export", connections=[1], trigger="clock")
        server.run_jobs(101, 2)
        server.lose_connection(2, "the refresh token was revoked")
        server.run_jobs(101, 5)
        yield server


def open_at(page: Page, sandbox: Sandbox, path: str) -> None:
    page.goto(page_url(sandbox.base_url, path, sandbox.signer.sign("acme")))
    expect(page.locator("body[data-page='full']")).to_have_attribute("data-path", path)


def test_the_recipe_list_shows_each_recipes_state_and_last_job(
    page: Page, sandbox: Sandbox
) -> None:
    open_at(page, sandbox, "/recipes")

    stopped = page.locator("li[data-recipe='101']")
    expect(stopped).to_contain_text("Sync leads")
    expect(stopped).to_contain_text("Stopped: trigger_errors_limit")
    expect(stopped).to_contain_text("failed")
    never_ran = page.locator("li[data-recipe='102']")
    expect(never_ran).to_contain_text("Stopped")
    expect(never_ran).to_contain_text("no jobs yet")


def test_a_recipe_shows_its_broken_connection_and_its_jobs_the_error(
    page: Page, sandbox: Sandbox
) -> None:
    open_at(page, sandbox, sandbox.recipe_path(101))

    expect(page.locator("#recipe-state")).to_have_text("Stopped: trigger_errors_limit")
    expect(page.locator("li[data-connection='2']")).to_contain_text(
        "ACME Jira (Jira) Not connected"
    )
    expect(page.locator("li[data-connection='1']")).to_contain_text("Connected")
    page.get_by_text("Job history").click()
    expect(page.locator("body")).to_have_attribute("data-path", "/recipes/101/jobs")
    jobs = page.locator("#jobs li")
    expect(jobs).to_have_count(7)
    newest = sandbox.jobs(101)[0]
    expect(jobs.first).to_have_attribute("data-job", newest.id)
    expect(jobs.first).to_contain_text("the refresh token was revoked")
    expect(jobs.last).to_contain_text("succeeded")


def test_a_project_lists_its_recipes_and_the_repaired_recipe_shows_its_new_job(
    page: Page, sandbox: Sandbox
) -> None:
    sandbox.authorize_connection(2)
    sandbox.start_recipe(101)
    (job,) = sandbox.run_jobs(101)
    project = sandbox.recipe(101)

    open_at(page, sandbox, "/projects")
    page.get_by_role("link", name="Sales").click()
    expect(page.locator("#recipes li")).to_have_count(1)
    expect(page.locator(f"li[data-recipe='{project.id}']")).to_contain_text("Running")
    page.get_by_role("link", name="Sync leads").click()
    page.get_by_text("Job history").click()
    expect(page.locator("#jobs li").first).to_have_attribute("data-job", job.id)
    expect(page.locator("#jobs li").first).to_contain_text("succeeded")

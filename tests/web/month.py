"""The clerk's month in a real browser: Debian's chromium through chromium-driver and selenium.

Started by tests/web.rs with the opening URL of a running `tsuchi serve`, the folder for the
screenshots and the samples folder. Every page is saved at 1366x768 (and at 125 % zoom, the
same screen with a device scale of 1.25) as target/web-screens/<n>-<page>-<lang>.png.
"""

import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

URL, SCREENS, SAMPLES, OPERATOR_KEY = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
PAGES = ["settings", "issue", "mail", "lookup", "history", "audit", "purge"]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in [
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1366,768",
        "--lang=ja",
    ]:
        options.add_argument(flag)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    return driver


def shot(driver, name):
    driver.save_screenshot(os.path.join(SCREENS, name + ".png"))


def wait_for(driver, css):
    return WebDriverWait(driver, 60).until(ready.presence_of_element_located((By.CSS_SELECTOR, css)))


def click(driver, by, what, then):
    """Clicks, waits for the next page to replace this one, then for `then` on it."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(by, what).click()

    def replaced(_):
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            # Stale, or (Chromium) "does not belong to the document": the old page is gone.
            return True

    WebDriverWait(driver, 300).until(replaced)
    return wait_for(driver, then)


def nav_to(driver, page):
    current = click(driver, By.CSS_SELECTOR, f'nav a[href="/{page}"]', 'nav a[aria-current="page"]')
    assert current.get_attribute("href").endswith("/" + page), current.get_attribute("href")


def fetch(driver, href, form=None):
    """A file the page links (or a form posts), fetched with the page's session cookie."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    url = driver.current_url.split("/", 3)
    origin = f"{url[0]}//{url[2]}"
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(origin + href, data=data, headers={"Cookie": cookies, "Origin": origin})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Cache-Control"] == "no-store", response.headers
        return response.read()


def upload(driver, name):
    nav_to(driver, "issue")
    driver.find_element(By.ID, "requests").send_keys(os.path.join(SAMPLES, name))
    return click(driver, By.ID, "check", "#result")


def issue(driver):
    # The list with mistakes: every rejected row is listed with row, column, value and reason.
    upload(driver, "requests_with_mistakes.xlsx")
    problems = int(driver.find_element(By.ID, "count-rejected").get_attribute("data-problems"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#rejections tbody tr")
    assert problems > 0 and len(rows) == problems, (problems, len(rows))
    for row in rows:
        cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        assert len(cells) == 4 and cells[0].isdigit() and cells[1] and cells[3], cells
    shot(driver, "10-issue-checked-mistakes-ja")
    # The rows can be filtered.
    box = driver.find_element(By.ID, "filter-rejections")
    box.send_keys(rows[0].find_elements(By.TAG_NAME, "td")[3].text[:6])
    visible = [r for r in rows if r.is_displayed()]
    assert 0 < len(visible) <= len(rows)
    box.clear()
    assert fetch(driver, "/issue/rejected.xlsx")[:2] == b"PK"

    # The corrected list: nothing rejected, then the confirmation with the counts.
    upload(driver, "requests.xlsx")
    assert not driver.find_elements(By.CSS_SELECTOR, "#rejections tbody tr")
    to_issue = driver.find_element(By.ID, "count-issue").text
    shot(driver, "11-issue-checked-ja")
    confirm = click(driver, By.ID, "to-confirm", "#confirm-text").text
    assert to_issue.split("（")[0] in confirm, (to_issue, confirm)
    shot(driver, "12-issue-confirm-ja")
    driver.find_element(By.ID, "issue").click()

    # Progress, then the batch.
    WebDriverWait(driver, 300).until(ready.presence_of_element_located((By.ID, "done")))
    assert "/issue/done" in driver.current_url, driver.current_url
    head = driver.find_element(By.ID, "head").text
    assert ":" in head, head
    links = {a.text: a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#files a")}
    assert len(links) >= 2, links
    shot(driver, "13-issue-done-ja")
    # The print bundle parses and has the pages the page says.
    pages = int(driver.find_element(By.ID, "paper").get_attribute("data-pages"))
    bundle = next(href for href in links.values() if href.endswith("/print"))
    pdf = fetch(driver, bundle.split("/", 3)[3] and "/" + bundle.split("/", 3)[3])
    assert pdf[:5] == b"%PDF-", pdf[:16]
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
    found = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert found == pages, (found, pages)
    # Opened as the clerk opens it: in a tab of its own, the browser's PDF viewer.
    done_page = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(bundle)
    # The viewer draws after the load completes; nothing to wait on but time, for the picture.
    time.sleep(2)
    shot(driver, "13b-bundle-opened-ja")
    driver.close()
    driver.switch_to.window(done_page)
    print(f"month.py: bundle of {found} pages, chain head {head}")
    return driver.find_element(By.ID, "folder").text, head


def mail_room(driver, batch):
    """The mail room's list, filled by tests/web.rs, previewed, then recorded; a return."""
    print(f"ISSUED {batch}", flush=True)
    filled, recorded, refused, blank, corrected, number = sys.stdin.readline().rstrip("\n").split("\t")
    nav_to(driver, "mail")
    driver.find_element(By.ID, "list").send_keys(filled)
    click(driver, By.ID, "preview", "#import-result")
    assert driver.find_element(By.ID, "count-recorded").text == recorded, driver.find_element(By.ID, "count-recorded").text
    assert driver.find_element(By.ID, "count-refused").text == "1"
    refusal = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#import-rows tr.row-bad")]
    assert len(refusal) == 1 and refused in refusal[0], refusal
    shot(driver, "14-mail-preview-ja")
    click(driver, By.ID, "record", "#import-result")
    assert "記録しました" in driver.find_element(By.ID, "import-result").text
    # The list again, one number corrected: refused as it differs, offered as a correction,
    # reviewed, then recorded.
    driver.find_element(By.ID, "list").send_keys(corrected)
    click(driver, By.ID, "preview", "#import-result")
    assert driver.find_element(By.ID, "count-recorded").text == "0"
    offer = driver.find_element(By.ID, "preview-corrections")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", offer)
    shot(driver, "15a-mail-correction-offered-ja")
    click(driver, By.ID, "preview-corrections", "#import-result")
    assert driver.find_element(By.ID, "count-recorded").text == "1"
    assert number in driver.find_element(By.ID, "import-rows").text
    assert not driver.find_elements(By.ID, "preview-corrections")
    assert "訂正" in driver.find_element(By.ID, "correcting").text
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.ID, "record"))
    shot(driver, "15b-mail-correction-review-ja")
    click(driver, By.ID, "record", "#import-result")
    assert "記録しました" in driver.find_element(By.ID, "import-result").text
    # A return, by the 管理番号 of an envelope not mailed.
    driver.find_element(By.ID, "key").send_keys(blank)
    driver.find_element(By.ID, "reason").send_keys("宛所に尋ねあたりません")
    click(driver, By.ID, "record-returned", "#returned")
    shot(driver, "15-mail-recorded-ja")
    return blank


def lookup(driver, control):
    """A notice found by its 管理番号, then by its 事業所番号, with its 書留番号 or 返戻."""
    nav_to(driver, "lookup")
    driver.find_element(By.ID, "q").send_keys(control)
    click(driver, By.ID, "search", "section.life")
    office = driver.find_element(By.CSS_SELECTOR, "section.life dd").text
    nav_to(driver, "lookup")
    driver.find_element(By.ID, "q").send_keys(office)
    click(driver, By.ID, "search", "section.life")
    text = driver.find_element(By.ID, "main").text
    assert office in text and control in text, text
    shot(driver, "16-lookup-ja")


def registered(driver, control, number):
    nav_to(driver, "lookup")
    driver.find_element(By.ID, "q").send_keys(control)
    click(driver, By.ID, "search", "section.life")
    office = driver.find_element(By.CSS_SELECTOR, "section.life dd").text
    nav_to(driver, "lookup")
    driver.find_element(By.ID, "q").send_keys(office)
    click(driver, By.ID, "search", "section.life")
    assert number in driver.find_element(By.ID, "main").text, (office, number)


def audit(driver, head):
    nav_to(driver, "history")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#batches tbody tr")) == 1
    shot(driver, "17-history-ja")
    nav_to(driver, "audit")
    driver.find_element(By.ID, "paper-head").send_keys(head)
    verdict = click(driver, By.ID, "verify", "#verdict")
    assert "確か" in verdict.text and "error" not in verdict.get_attribute("class"), verdict.text
    shot(driver, "18-audit-verified-ja")
    # The audit log of every batch, as a download.
    csrf = driver.find_element(By.NAME, "csrf").get_attribute("value")
    assert fetch(driver, "/audit/export", {"csrf": csrf, "from": "", "to": ""})[:2] == b"PK"


def purge(driver, batch):
    """The batch purged: one envelope is unaccounted for, so the page asks why."""
    nav_to(driver, "purge")
    click(driver, By.ID, f"plan-{batch}", "#folders")
    assert driver.find_elements(By.ID, "unaccounted"), "the unaccounted envelope is named"
    shot(driver, "19-purge-plan-ja")
    driver.find_element(By.ID, "reason").send_keys("書留番号の誤りを別途処理したため")
    click(driver, By.ID, "purge", "#purged")
    shot(driver, "19b-purge-done-ja")
    nav_to(driver, "history")
    assert "廃棄済み" in driver.find_element(By.ID, "batches").text


def first_settings(driver):
    """A first start: no tsuchi.toml yet, so the page opens on 初期設定."""
    assert driver.current_url.endswith("/settings"), driver.current_url
    assert driver.find_element(By.TAG_NAME, "h1").text == "初期設定"
    assert driver.find_element(By.ID, "not-ready").is_displayed()
    shot(driver, "00-settings-first-ja")
    for field, value in [
        ("name", "試験県国民健康保険団体連合会"),
        ("helpdesk", "介護保険課 電子請求担当　電話 011-222-3333（平日 9:00〜17:00）"),
        ("output_root", "output"),
    ]:
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    # The template's example key is refused, the operator's is taken.
    keys = driver.find_element(By.ID, "recipients")
    keys.send_keys("age1wpsqv27fgrwam7y094rd2swcqnqydjuluh8tar9dxqyug9ldlqmsvpgq88")
    click(driver, By.ID, "save", "#error")
    keys = driver.find_element(By.ID, "recipients")
    keys.clear()
    keys.send_keys(OPERATOR_KEY)
    click(driver, By.ID, "save", "#saved")
    assert driver.find_elements(By.ID, "ready"), driver.find_element(By.ID, "main").text
    assert driver.find_element(By.ID, "name").get_attribute("value") == "試験県国民健康保険団体連合会"
    assert fetch(driver, "/settings/calibrate.pdf")[:5] == b"%PDF-"


def main():
    driver = browser()
    try:
        driver.get(URL)
        # The token was exchanged: the address is clean, the first page is open.
        wait_for(driver, "nav")
        assert "token" not in driver.current_url, driver.current_url
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
        names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav a")]
        assert names == ["設定", "発行", "発送", "照会", "履歴", "監査", "廃棄"], names
        first_settings(driver)

        for n, page in enumerate(PAGES, 1):
            nav_to(driver, page)
            shot(driver, f"{n:02d}-{page}-ja")

        batch, head = issue(driver)
        returned = mail_room(driver, batch)
        lookup(driver, returned)
        control, number = sys.stdin.readline().rstrip("\n").split("\t")
        registered(driver, control, number)
        audit(driver, head)
        purge(driver, os.path.basename(batch))

        # The language switch, then back.
        click(driver, By.CSS_SELECTOR, 'button[name="lang"][value="en"]', 'html[lang="en"]')
        names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav a")]
        assert names == ["Settings", "Issue", "Mail", "Look up", "History", "Audit", "Purge"], names
        for n, page in enumerate(PAGES, 1):
            nav_to(driver, page)
            shot(driver, f"{20 + n:02d}-{page}-en")
        click(driver, By.CSS_SELECTOR, 'button[name="lang"][value="ja"]', 'html[lang="ja"]')

        # The same pages at 125 % zoom on the same screen: a 1093x614 CSS-pixel viewport drawn
        # at a device scale of 1.25 (what Edge's zoom does on a 1366x768 display).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1093, "height": 614, "deviceScaleFactor": 1.25, "mobile": False})
        for n, page in enumerate(PAGES, 1):
            nav_to(driver, page)
            shot(driver, f"{30 + n:02d}-{page}-ja-125pc")
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # 「終了」 stops the server.
        click(driver, By.ID, "quit", "main.alone h1")
        assert "終了しました" in driver.find_element(By.TAG_NAME, "h1").text
        shot(driver, "99-stopped-ja")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
    print("month.py: ok")

"""The page at / in a real browser: headless Chromium (Debian's package) driven by Playwright,
against both entrypoints in --demo. Skipped, with the reason, where Chromium is not installed
(.ci/run installs it)."""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest

from tests.server.conftest import ROOT, requests_of, start_server, stop_server

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def browser():
    """Chromium for this module only: Playwright's sync API runs an event loop in this thread while
    it is open, and other modules' tests call asyncio.run."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class Page:
    """A fresh page on ``server`` that records console errors and the chat requests it sends."""

    def __init__(self, browser, server):
        self.context = browser.new_context(accept_downloads=True, viewport={"width": 390, "height": 844})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.sent: list[dict] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", self._record)
        self.page.goto(server.url + "/")
        self.page.wait_for_function("window.chat2audio && window.chat2audio.ready === true", timeout=30_000)

    def _record(self, request):
        if request.url.endswith("/chat2audio") and request.method == "POST":
            self.sent.append(json.loads(request.post_data))

    def state(self) -> dict:
        return self.page.evaluate("() => ({...window.chat2audio, player: null, controller: null})")

    def say(self, text: str, seed: int | None = 1) -> None:
        if seed is not None:
            if not self.page.eval_on_selector("details", "d => d.open"):
                self.page.click("summary")  # the folded advanced settings
            self.page.fill("#seed", str(seed))
        self.page.fill("#input", text)
        self.page.click("#send")

    def wait_reply(self, replies: int) -> dict:
        self.page.wait_for_function(f"window.chat2audio.replies >= {replies} && window.chat2audio.metrics.done",
                                    timeout=120_000)
        return self.state()


@pytest.fixture()
def page(browser, server):
    p = Page(browser, server)
    yield p
    p.context.close()


def test_the_page_loads_with_speakers_and_the_demo_banner(page):
    options = page.page.eval_on_selector_all("#speaker option", "os => os.map(o => o.value)")
    assert options == ["Firefly", "Klee", "Ayaka", "Nahida", "Tribbie", "Yoimiya", "Citlali"]
    assert page.page.is_visible("#demo-banner")
    assert page.errors == []


def test_a_reply_plays_with_subtitles_and_a_second_turn_sends_history(page, server, tmp_path):
    page.page.select_option("#speaker", "Nahida")
    page.say("做个自我介绍吧")
    state = page.wait_reply(1)
    m = state["metrics"]
    if state["mode"] == "stream":  # audio was scheduled before the response had ended
        assert m["firstAudioAt"] < m["fetchEndAt"]
    else:  # one WAV, played once it has arrived
        assert m["firstAudioAt"] >= m["fetchEndAt"]
    assert m["audioSeconds"] > 0
    page.page.wait_for_function("document.getElementById('subtitle').textContent.length > 0", timeout=60_000)
    assert "first audio" in page.page.inner_text("#metrics") and "real-time factor" in page.page.inner_text("#metrics")
    assert len(page.page.query_selector_all(".turn")) == 2
    shot = tmp_path / f"page-{state['mode']}.png"
    page.page.screenshot(path=str(shot), full_page=True)
    import matplotlib.image

    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[0] > 300 and pixels[..., :3].std() > 0.05  # not a blank page

    page.say("然后呢？")
    page.wait_reply(2)
    first, second = page.sent
    assert first["history"] == [] and first["speaker"] == "Nahida" and first["seed"] == 1
    assert [t["role"] for t in second["history"]] == ["user", "assistant"]
    assert second["history"][0]["content"] == "做个自我介绍吧" and second["history"][1]["content"]
    page.page.click("#clear")
    assert page.page.query_selector_all(".turn") == [] and page.state()["history"] == []
    assert page.errors == []


@pytest.fixture(scope="module")
def unbatched_server(demo_cache, tmp_path_factory):
    """The stream app with tts.batch_rows 0 and replies of up to 2048 LLM tokens: each request
    decodes its tokens in turn with its own vocoding, and the reply is long, so it is still being
    synthesized when the page stops it. (With the scheduler, or a short reply on a busy host, the
    reply can be done before the click arrives; it is then rightly counted completed.)"""
    work = tmp_path_factory.mktemp("unbatched-server")
    config = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert config.count("  batch_rows: 8 ") == 1 and config.count("  max_new_tokens: 256 ") == 1
    config = config.replace("  batch_rows: 8 ", "  batch_rows: 0 ").replace("  max_new_tokens: 256 ", "  max_new_tokens: 2048 ")
    (work / "config.yaml").write_text(config, encoding="utf-8")
    server = start_server("app_stream.py", demo_cache, work, extra=["--config", str(work / "config.yaml")])
    yield server
    stop_server(server)


def test_stop_cancels_the_request_on_the_server(browser, unbatched_server):
    stream_server = unbatched_server
    page = Page(browser, stream_server)
    try:
        before = requests_of(stream_server)
        page.say("给我讲一个很长很长的故事吧", seed=2)
        page.page.wait_for_function("window.chat2audio.metrics.firstAudioAt !== null", timeout=120_000)
        page.page.click("#stop")
        for _ in range(3000):
            now = requests_of(stream_server)
            if now["cancelled"] > before["cancelled"] and now["active"] == 0:
                break
        else:
            pytest.fail(f"the server did not see the stop: {now}")
        assert "(stopped)" in page.page.inner_text("#conversation")
        assert page.errors == []
    finally:
        page.context.close()


def test_errors_are_shown_as_messages(page):
    busy = {"detail": "busy: 4 requests in progress (server.max_pending_requests = 4); retry later"}
    page.page.route("**/chat2audio", lambda route: route.fulfill(
        status=503, headers={"Retry-After": "2", "Content-Type": "application/json"}, body=json.dumps(busy)))
    page.say("你好")
    page.page.wait_for_selector("#error:not([hidden])")
    assert page.page.inner_text("#error") == f"503: {busy['detail']}"
    assert page.page.query_selector_all(".turn") == []  # nothing half-said stays in the conversation
    page.page.unroute("**/chat2audio")
    page.say("好" * 501)  # the server's own 422
    page.page.wait_for_function("document.getElementById('error').textContent.includes('422')")
    assert "the limit is 500" in page.page.inner_text("#error")


def test_speech_only_plays_and_downloads(page):
    page.page.fill("#speech-text", "今天天气很好。")
    page.page.select_option("#speech-format", "mp3")
    page.page.click("#speak")
    page.page.wait_for_selector("#download:not([hidden])", timeout=120_000)
    assert page.page.get_attribute("#speech-audio", "src").startswith("blob:")
    with page.page.expect_download() as info:
        page.page.click("#download")
    download = info.value
    assert download.suggested_filename == "speech.mp3"
    import av

    with av.open(io.BytesIO(open(download.path(), "rb").read())) as container:
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert samples.size > 16000
    assert page.errors == []

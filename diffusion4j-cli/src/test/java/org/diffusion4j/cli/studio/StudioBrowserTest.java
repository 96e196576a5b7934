package org.diffusion4j.cli.studio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in a real browser: Debian's {@code chromium} and {@code chromium-driver}, headless. Loads the
 * page, submits a prompt on the tiny diffusers-made text model, watches the progress bar move and the
 * x₀ preview form, then sees the images in the gallery; then samples the bundled Fashion-MNIST model
 * (when present) and takes the README's screenshot ({@code -Dstudio.screenshot=FILE}, else
 * {@code target/studio.png}). Skipped, with a message, when no chromium or chromedriver is installed.
 */
class StudioBrowserTest {

    @TempDir
    static Path dir;

    static ServedModels models;
    static StudioServer server;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        String chromium = find("CHROME_BIN", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        String driver = find("CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        assumeTrue(chromium != null && driver != null, "no chromium and chromedriver found (apt-get install -y chromium "
                + "chromium-driver, or set CHROME_BIN and CHROMEDRIVER); skipping the browser test");
        List<Path> served = new ArrayList<>(List.of(StudioServerTest.textModel()));
        Path bundled = Path.of(System.getProperty("diffusion4j.root", ".."), "models/fashion-mnist-ddpm");
        if (Files.isRegularFile(bundled.resolve("unet/config.json"))) {
            served.add(bundled);
        }
        models = ServedModels.load(served);
        server = StudioServer.start(StudioConfig.defaults().withAddress("127.0.0.1", 0), models, "test", System.err);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1040,900",
                "--user-data-dir=" + dir.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver)).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    private static String find(String env, String... paths) {
        String given = System.getenv(env);
        if (given != null && Files.isExecutable(Path.of(given))) {
            return given;
        }
        for (String p : paths) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return null;
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
        if (models != null) {
            models.close();
        }
    }

    @Test
    void submitAPromptWatchTheProgressAndSeeTheImages() throws Exception {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == models.names().size());
        assertEquals("diffusion4j studio", browser.getTitle());
        new Select(browser.findElement(By.id("model"))).selectByValue("diffusers-t2i");
        assertTrue(browser.findElement(By.id("prompt")).isDisplayed(), "a text model shows the prompt");
        assertTrue(!browser.findElement(By.id("class")).isDisplayed(), "and hides the class");
        browser.findElement(By.id("prompt")).sendKeys("a red circle above a blue square");
        setValue("steps", "60");
        setValue("n", "2");
        JavascriptExecutor js = (JavascriptExecutor) browser;
        // record every state the page shows, however fast the steps come
        js.executeScript("window.seen = []; const record = () => window.seen.push({p: document.getElementById('progress').value,"
                + " status: document.getElementById('status').textContent, src: document.getElementById('preview').src || ''});"
                + " new MutationObserver(record).observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true});"
                + " new MutationObserver(record).observe(document.getElementById('preview'), {attributes: true});");
        browser.findElement(By.id("generate")).click();
        wait.until(d -> d.findElements(By.cssSelector("#gallery .result img")).size() == 2);
        wait.until(d -> (Boolean) js.executeScript("return [...document.querySelectorAll('#gallery .result img')]"
                + ".every(i => i.complete && i.naturalWidth > 0)"));

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> seen = (List<Map<String, Object>>) js.executeScript("return window.seen");
        List<Double> progress = seen.stream().map(s -> ((Number) s.get("p")).doubleValue()).filter(p -> p > 0 && p < 1).toList();
        assertTrue(progress.size() >= 2, "the progress bar moved through intermediate values: " + seen);
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(progress.get(i) >= progress.get(i - 1), "and only forward: " + progress);
        }
        assertTrue(seen.stream().anyMatch(s -> s.get("status").toString().matches("step \\d+/60")), "steps shown: " + seen);
        assertTrue(seen.stream().anyMatch(s -> s.get("src").toString().startsWith("data:image/png;base64,")), "an x0 preview was shown");
        assertTrue(browser.findElement(By.id("status")).getText().startsWith("done: 2 images"), browser.findElement(By.id("status")).getText());
        assertEquals("1", browser.findElement(By.id("progress")).getAttribute("value"));
        WebElement result = browser.findElement(By.cssSelector("#gallery .result"));
        assertTrue(result.getText().contains("\"a red circle above a blue square\"") && result.getText().contains("ddim 60 steps"),
                result.getText());
        String href = result.findElement(By.cssSelector("a[download]")).getAttribute("href");
        assertTrue(href.matches(".*/api/images/[0-9a-f]{16}-0\\.png"), href);

        // "use these settings again" puts them back in the form
        setValue("steps", "");
        browser.findElement(By.id("prompt")).clear();
        result.findElement(By.tagName("button")).click();
        assertEquals("60", browser.findElement(By.id("steps")).getAttribute("value"));
        assertEquals("a red circle above a blue square", browser.findElement(By.id("prompt")).getAttribute("value"));

        // a field error is shown next to the form, not as a stack trace
        setValue("steps", "0");
        browser.findElement(By.id("generate")).click();
        wait.until(d -> !d.findElement(By.id("error")).getText().isEmpty());
        assertTrue(browser.findElement(By.id("error")).getText().startsWith("steps must be in [1, 1000]"));
        assertTrue(browser.findElement(By.id("steps")).getAttribute("class").contains("invalid"));

        if (models.find("fashion-mnist-ddpm") != null) {
            screenshotOfTheBundledModel(wait);
        }
    }

    /** Eight images of the bundled model in the gallery, then the screenshot. */
    private void screenshotOfTheBundledModel(WebDriverWait wait) throws Exception {
        new Select(browser.findElement(By.id("model"))).selectByValue("fashion-mnist-ddpm");
        new Select(browser.findElement(By.id("class"))).selectByValue("7");
        setValue("steps", "20");
        setValue("n", "8");
        setValue("seed", "3");
        new Select(browser.findElement(By.id("sampler"))).selectByValue("dpm-solver++");
        browser.findElement(By.id("generate")).click();
        wait.until(d -> d.findElements(By.cssSelector("#gallery .result")).size() == 2
                && d.findElement(By.id("status")).getText().startsWith("done"));
        wait.until(d -> (Boolean) ((JavascriptExecutor) d).executeScript("return [...document.querySelectorAll('#gallery img')]"
                + ".every(i => i.complete && i.naturalWidth > 0)"));
        Path out = Path.of(System.getProperty("studio.screenshot", "target/studio.png"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(out, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private void setValue(String id, String value) {
        WebElement e = browser.findElement(By.id(id));
        e.clear();
        if (!value.isEmpty()) {
            e.sendKeys(value);
        }
    }
}

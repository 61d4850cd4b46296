import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../server/start-server.js";
import { repoRoot } from "../e2e/harness/spawn-wsctl.js";
import { type Stack, startStack } from "../e2e/harness/start-stack.js";
import { waitForAgentChecks } from "../e2e/harness/permission-helpers.js";

// Drives Debian's Chromium (apt-get install chromium) against a real `wsctl serve`
// and a real `wsctl daemon` whose agent is the stand-in. Never downloads a browser.
const chromiumPath = "/usr/bin/chromium";
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const screenshotPath = path.join(repoRoot, "test-results/browser/launch-page.png");
const transcriptShotPath = path.join(repoRoot, "test-results/browser/transcript.png");
const approvalShotPath = path.join(repoRoot, "test-results/browser/approval-390.png");
const webRoot = path.join(repoRoot, "dist/web");
const haveChromium = existsSync(chromiumPath);
const skipReason = `${chromiumPath} is missing (apt-get install chromium); skipping the browser tests`;
if (!haveChromium && process.env.CI !== "true") console.warn(skipReason);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the page (as `npm run build:web` does) unless dist/web is newer than its sources. */
async function ensurePageBuilt(): Promise<void> {
  const index = path.join(webRoot, "index.html");
  const sources = Math.max(newestMtime(path.join(repoRoot, "client/web")), newestMtime(path.join(repoRoot, "gen")));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  await build({ configFile: path.join(repoRoot, "client/web/vite.config.ts"), logLevel: "warn" });
}

/** A server answering every GET with a tiny page: a page on another origin. */
async function startOtherOrigin(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<!doctype html><title>other origin</title>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Calls ListMachines from inside the page with plain fetch (so the browser enforces CORS). */
function listMachinesFrom(page: Page, apiUrl: string, token: string) {
  return page.evaluate(
    async ({ apiUrl, token }) => {
      try {
        const res = await fetch(`${apiUrl}/workspaces.v1.MachineService/ListMachines`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Connect-Protocol-Version": "1", Authorization: `Bearer ${token}` },
          body: "{}",
        });
        return { reached: true, status: res.status, body: (await res.json()) as { machines?: { machineId: string }[] } };
      } catch (error) {
        return { reached: false, error: String(error) };
      }
    },
    { apiUrl, token },
  );
}

describe.skipIf(!haveChromium && process.env.CI !== "true")("the browser page", () => {
  let stack: Stack;
  let browser: Browser;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${chromiumPath} is missing; CI must install chromium with apt-get`);
    await ensurePageBuilt();
    [stack, browser] = await Promise.all([
      startStack(),
      chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function openPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(15_000);
    page.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
    return page;
  }

  /** Opens the page in its fresh context and enters the API token. */
  async function openWithToken(page: Page): Promise<void> {
    await page.goto(stack.url);
    await page.fill('[data-testid="token-input"]', stack.apiToken);
    await page.click('[data-testid="token-save"]');
    await page.waitForSelector('[data-testid="connection"][data-state="ok"]');
  }

  /** Launches from the page's form in the `default` permission mode: the stand-in agent asks for what `prompt` uses. */
  async function launchAsking(page: Page, prompt: string): Promise<void> {
    await openWithToken(page);
    await page.fill('[data-testid="launch-prompt"]', prompt);
    await page.fill('[data-testid="launch-worktree"]', "");
    await page.selectOption('[data-testid="launch-permission-mode"]', "default");
    await page.click('[data-testid="launch-submit"]');
  }

  it("launches a session and follows it to running and exited", async () => {
    const page = await openPage();
    await page.goto(stack.url);
    expect(await page.title()).toBe("workspace-sessions");

    await page.fill('[data-testid="token-input"]', stack.apiToken);
    await page.click('[data-testid="token-save"]');
    await page.waitForSelector(`[data-testid="machine-row"][data-machine-id="${stack.machineId}"][data-online="true"]`);
    await page.waitForSelector('[data-testid="connection"][data-state="ok"]');
    expect(await page.inputValue('[data-testid="launch-workspace"]')).toBe(stack.workspaceId);
    expect(await page.evaluate(() => localStorage.getItem("workspace-sessions.token"))).toBe(stack.apiToken);

    await page.selectOption('[data-testid="launch-machine"]', stack.machineId);
    await page.fill('[data-testid="launch-prompt"]', "exit:0:1500");
    await page.fill('[data-testid="launch-worktree"]', "feature/from-browser");
    await page.selectOption('[data-testid="launch-provider"]', "claude_code");
    await page.fill('[data-testid="launch-model"]', "haiku");
    await page.fill('[data-testid="launch-language"]', "en-US");
    await page.click('[data-testid="launch-submit"]');

    await page.waitForSelector('[data-testid="launch-event"][data-type="acknowledged"][data-status="ok"]');
    await page.waitForSelector('[data-testid="launch-event"][data-type="running"]');
    await page.waitForSelector('[data-testid="launch-event"][data-type="exited"][data-exit-code="0"]');
    const types = await page.$$eval('[data-testid="launch-event"]', (els) => els.map((e) => e.getAttribute("data-type")));
    expect(types).toEqual(["accepted", "dispatched", "acknowledged", "running", "exited"]);
    expect(await page.textContent('[data-testid="launch-status"]')).toBe("exited");

    // The new session is listed, selected and followed over WatchWorkspaceSession.
    const row = await page.waitForSelector('[data-testid="session-row"][data-state="exited"]');
    const sessionId = await row.getAttribute("data-session-id");
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await page.waitForSelector('[data-testid="session-event"][data-type="exited"]');
    const watched = await page.$$eval('[data-testid="session-event"]', (els) => els.map((e) => e.getAttribute("data-type")));
    expect(watched).toEqual(["accepted", "dispatched", "acknowledged", "running", "exited"]);
    expect(await page.textContent('[data-testid="detail-exit-code"]')).toBe("0");
    expect(await page.textContent('[data-testid="detail-branch"]')).toBe("feature/from-browser");
    expect(await page.textContent('[data-testid="detail-model"]')).toBe("haiku");

    mkdirSync(path.dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    expect(consoleErrors).toEqual([]);

    // A reload keeps the token and lists the session from the server.
    await page.reload();
    await page.waitForSelector(`[data-testid="session-row"][data-session-id="${sessionId}"][data-state="exited"]`);
    await page.close();
  });

  it("stops a running session from its detail panel", async () => {
    const page = await openPage();
    await openWithToken(page);
    await page.fill('[data-testid="launch-prompt"]', "run until stopped");
    await page.fill('[data-testid="launch-worktree"]', "");
    await page.click('[data-testid="launch-submit"]');
    await page.waitForSelector('[data-testid="launch-event"][data-type="running"]');
    const row = await page.waitForSelector('[data-testid="session-row"].selected[data-state="running"]');
    const sessionId = await row.getAttribute("data-session-id");
    // A stop asks first; "Keep running" leaves the session alone.
    await page.click('[data-testid="session-stop"]');
    await page.waitForSelector('[data-testid="session-stop-confirm"]:not([hidden])');
    expect(await page.isHidden('[data-testid="session-stop"]')).toBe(true);
    await page.click('[data-testid="session-stop-no"]');
    await page.waitForSelector('[data-testid="session-stop-confirm"]', { state: "hidden" });
    expect(await page.getAttribute(`[data-testid="session-row"][data-session-id="${sessionId}"]`, "data-state")).toBe("running");
    await page.click('[data-testid="session-stop"]');
    await page.click('[data-testid="session-stop-yes"]');
    await page.waitForSelector(`[data-testid="session-row"][data-session-id="${sessionId}"][data-state="stopped"]`);
    await page.waitForSelector('[data-testid="session-event"][data-type="stopped"]');
    expect(await page.isHidden('[data-testid="session-stop"]')).toBe(true);
    expect(await page.textContent('[data-testid="detail-state"]')).toBe("stopped");
    expect(await page.textContent('[data-testid="detail-stopped-by"]')).toMatch(/^\S+ at /);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("shows the selected session's transcript live, its prompt and settings, and sends it a message", async () => {
    const page = await openPage();
    await openWithToken(page);
    await page.fill('[data-testid="launch-prompt"]', "hello from the page");
    await page.fill('[data-testid="launch-worktree"]', "");
    await page.fill('[data-testid="launch-model"]', "haiku");
    await page.click('[data-testid="launch-submit"]');
    await page.waitForSelector('[data-testid="session-row"].selected[data-state="running"]');
    // The agent's answer, tool call folded, then the end of its turn.
    await page.waitForSelector('[data-testid="transcript-entry"][data-kind="result"]');
    const entries = await page.$$eval('[data-testid="transcript-entry"]', (els) =>
      els.filter((e) => !e.closest('details[data-kind="tool_call"]') || e.matches('details[data-kind="tool_call"]')).map((e) => `${e.getAttribute("data-role")}:${e.getAttribute("data-kind")}`),
    );
    expect(entries).toEqual(["user:text", "system:text", "assistant:text", "assistant:tool_call", "assistant:text", "assistant:result"]);
    const call = await page.waitForSelector('details[data-kind="tool_call"]');
    expect(await call.getAttribute("open")).toBeNull();
    expect(await call.$eval('[data-testid="tool-summary"]', (e) => e.textContent)).toBe("→ Bash(ls)");
    // The tool's output is folded inside its call.
    expect(await call.$eval('[data-kind="tool_result"]', (e) => e.textContent)).toBe("README.md");
    expect(await page.textContent('[data-testid="detail-prompt"]')).toBe("hello from the page");
    expect(await page.textContent('[data-testid="detail-settings"]')).toContain("claude model haiku");

    await page.fill('[data-testid="session-message"]', "exit:0:200");
    await page.click('[data-testid="session-send-submit"]');
    await page.waitForSelector('[data-testid="session-send-status"][data-state="sent"]');
    await page.waitForSelector('[data-testid="transcript-entry"][data-role="user"]:has-text("exit:0:200")');
    await page.waitForSelector('[data-testid="session-row"].selected[data-state="exited"]');
    expect(await page.isDisabled('[data-testid="session-message"]')).toBe(true);
    // The newest entry is in view: the panel followed the transcript.
    const scrolled = await page.$eval('[data-testid="session-transcript"]', (e) => e.scrollTop + e.clientHeight >= e.scrollHeight - 24);
    expect(scrolled).toBe(true);
    mkdirSync(path.dirname(transcriptShotPath), { recursive: true });
    await page.screenshot({ path: transcriptShotPath, fullPage: true });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("answers an agent's permission request with Approve, live, on a 390 px wide screen", async () => {
    const page = await openPage({ width: 390, height: 844 });
    await launchAsking(page, "use:Bash:npm test");
    // The request shows up at once on the selected session, which waits for it.
    const item = await page.waitForSelector('[data-testid="approval"][data-tool="Bash"][data-state="pending"]');
    await page.waitForSelector('[data-testid="session-row"].selected[data-state="awaiting_approval"]');
    expect(await item.$eval('[data-testid="approval-tool"]', (e) => e.textContent)).toBe("Bash(npm test)");
    expect(JSON.parse((await item.$eval('[data-testid="approval-input"]', (e) => e.textContent)) ?? "{}")).toMatchObject({ command: "npm test" });
    await page.waitForSelector('[data-testid="transcript-entry"][data-kind="permission_request"]');
    expect(await page.textContent('[data-testid="detail-settings"]')).toContain("permissions default");
    // Nothing wider than the phone: no sideways scrolling, both buttons in reach.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await item.scrollIntoViewIfNeeded();
    for (const button of ["approval-allow", "approval-deny"]) {
      const box = await page.locator(`[data-testid="${button}"]`).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390 && box.height >= 36, button).toBe(true);
    }
    mkdirSync(path.dirname(approvalShotPath), { recursive: true });
    await page.screenshot({ path: approvalShotPath, fullPage: true });

    await page.click('[data-testid="approval-allow"]');
    // The agent has the answer: its decision entry removes the request, the agent goes on.
    await page.waitForSelector('[data-testid="transcript-entry"][data-kind="permission_decision"]');
    await page.waitForSelector('[data-testid="session-approvals"]', { state: "hidden" });
    await page.waitForSelector('[data-testid="transcript-entry"][data-kind="text"]:has-text("done with Bash")');
    await page.waitForSelector('[data-testid="session-row"].selected[data-state="running"]');
    const pid = Number(await page.textContent('[data-testid="detail-pid"]'));
    const [check] = await waitForAgentChecks(stack, pid);
    expect(check).toMatchObject({ tool: "Bash", behavior: "allow" });
    expect(await page.textContent('[data-testid="transcript-entry"][data-kind="permission_decision"]')).toContain(`by ${stack.apiTokenId}`);
    await page.click('[data-testid="session-stop"]');
    await page.click('[data-testid="session-stop-yes"]');
    await page.waitForSelector('[data-testid="session-row"].selected[data-state="stopped"]');
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("denies with a message from the page, and says so when another device answered first", async () => {
    const page = await openPage();
    await launchAsking(page, "use:Bash:rm -rf build");
    await page.waitForSelector('[data-testid="approval"][data-state="pending"]');
    const pid = Number(await page.textContent('[data-testid="detail-pid"]'));
    await page.fill('[data-testid="approval-message"]', "keep the build");
    await page.click('[data-testid="approval-deny"]');
    await page.waitForSelector('[data-testid="session-approvals"]', { state: "hidden" });
    expect(await waitForAgentChecks(stack, pid)).toMatchObject([{ tool: "Bash", behavior: "deny", message: "keep the build" }]);

    // A second page shows the next request; the first page answers it; the second one's answer is refused, clearly.
    const other = await openPage();
    await openWithToken(other);
    await other.click(`[data-testid="session-row"][data-session-id="${await page.getAttribute('[data-testid="session-row"].selected', "data-session-id")}"]`);
    await page.fill('[data-testid="session-message"]', "use:Bash:make clean");
    await page.click('[data-testid="session-send-submit"]');
    await other.waitForSelector('[data-testid="approval"][data-state="pending"]');
    await page.waitForSelector('[data-testid="approval"][data-state="pending"]');
    // The second page's answer goes out after the first page's is stored, but before the second page hears of it.
    await other.route("**/workspaces.v1.PermissionService/AnswerPermissionRequest", async (route) => {
      await page.click('[data-testid="approval-allow"]');
      await page.waitForSelector('[data-testid="approval"][data-state="allowed"], [data-testid="session-approvals"][hidden]', { state: "attached" });
      await route.continue();
    });
    await other.click('[data-testid="approval-deny"]');
    const status = await other.waitForSelector('[data-testid="approval"][data-state="decided"] [data-testid="approval-status"]');
    expect(await status.textContent()).toMatch(/^Already answered: .*allow/);
    await other.waitForSelector('[data-testid="session-approvals"]', { state: "hidden" });
    expect((await waitForAgentChecks(stack, pid, 2))[1]).toMatchObject({ behavior: "allow", input: { command: "make clean" } });
    await page.click('[data-testid="session-stop"]');
    await page.click('[data-testid="session-stop-yes"]');
    // The browser logs the refused answer's HTTP 400 itself; that one is expected here.
    expect(consoleErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    consoleErrors.length = 0;
    await other.close();
    await page.close();
  });

  it("shows the code and the bad field when a launch is rejected", async () => {
    const page = await openPage();
    await openWithToken(page);
    await page.fill('[data-testid="launch-language"]', "not a language!");
    await page.click('[data-testid="launch-submit"]');
    const error = await page.waitForSelector('[data-testid="launch-error"]:not([hidden])');
    expect(await error.textContent()).toMatch(/invalid_argument.*session_settings\.voice\.language/);
    expect(await page.$$('[data-testid="launch-event"]')).toHaveLength(0);
    await page.close();
  });

  /** Launches a session over REST, as another client would: the page learns of it only from its watch. */
  async function launchElsewhere(prompt: string): Promise<string> {
    const res = await fetch(`${stack.url}/api/v1/workspaces/${stack.workspaceId}/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ initial_prompt: prompt }),
    });
    const body = (await res.json()) as { status: string; payload: { session_id: string } };
    expect(body.status).toBe("ok");
    return body.payload.session_id;
  }

  it("keeps the list live over WatchWorkspaceSessions, with dates, pages and a link per session, from 390 px to a wide screen", async () => {
    const page = await openPage();
    const lists: string[] = [];
    page.on("request", (req) => {
      if (req.url().endsWith("/ListWorkspaceSessions")) lists.push(req.url());
    });
    await page.goto(`${stack.url}/?page_size=2`);
    await page.fill('[data-testid="token-input"]', stack.apiToken);
    await page.click('[data-testid="token-save"]');
    await page.waitForSelector('[data-testid="connection"][data-state="ok"]');
    await page.waitForSelector('[data-testid="sessions-page"]:has-text("Page 1")');

    // Sessions launched by someone else appear and move on their own: no reload, no poll.
    const first = await launchElsewhere("exit:0:300");
    const second = await launchElsewhere("exit:0:300");
    await page.waitForSelector(`[data-testid="session-row"][data-session-id="${first}"][data-state="exited"]`);
    await page.waitForSelector(`[data-testid="session-row"][data-session-id="${second}"][data-state="exited"]`);
    const ids = await page.$$eval('[data-testid="session-row"]', (els) => els.map((e) => e.getAttribute("data-session-id")));
    expect(ids.slice(0, 2)).toEqual([second, first]);
    expect(lists).toHaveLength(1); // the watch's first resync; nothing since

    // Dates: local date and minute, the exact instant in datetime.
    const created = await page.$eval(`[data-session-id="${second}"] [data-testid="session-created"]`, (e) => ({ text: e.textContent, iso: e.getAttribute("datetime") }));
    expect(created.text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(Date.parse(created.iso!)).toBeGreaterThan(Date.now() - 120_000);

    // Paging through the older sessions and back.
    await page.reload();
    await page.waitForSelector('[data-testid="session-row"]');
    const pageOne = await page.$$eval('[data-testid="session-row"]', (els) => els.map((e) => e.getAttribute("data-session-id")));
    expect(pageOne).toEqual([second, first]);
    await page.click('[data-testid="sessions-older"]');
    await page.waitForSelector('[data-testid="sessions-page"]:has-text("Page 2")');
    await page.waitForFunction((shown) => {
      const rows = [...document.querySelectorAll('[data-testid="session-row"]')].map((e) => e.getAttribute("data-session-id"));
      return rows.length > 0 && rows.every((id) => !shown.includes(id));
    }, pageOne);
    expect(await page.isDisabled('[data-testid="sessions-newer"]')).toBe(false);
    await page.click('[data-testid="sessions-newer"]');
    await page.waitForSelector(`[data-testid="sessions-page"]:has-text("Page 1")`);
    await page.waitForSelector(`[data-testid="session-row"][data-session-id="${second}"]`);

    // A link per session: the address selects it, and opens it in a fresh page.
    await page.click(`[data-session-id="${first}"] [data-testid="session-link"]`);
    await page.waitForSelector(`[data-testid="session-row"].selected[data-session-id="${first}"]`);
    expect(new URL(page.url()).hash).toBe(`#session=${first}`);
    // (Its own browser context: the token is entered again.)
    const linked = await openPage();
    await linked.goto(`${stack.url}/#session=${first}`);
    await linked.fill('[data-testid="token-input"]', stack.apiToken);
    await linked.click('[data-testid="token-save"]');
    await linked.waitForSelector(`#session-detail-title:has-text("${first}")`);
    await linked.waitForSelector('[data-testid="session-event"][data-type="exited"]');
    await linked.close();

    // The layout holds on a phone and on a wide screen.
    for (const width of [390, 1440]) {
      await page.setViewportSize({ width, height: 844 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(0);
      const shot = path.join(repoRoot, `test-results/browser/dashboard-${width}.png`);
      mkdirSync(path.dirname(shot), { recursive: true });
      await page.screenshot({ path: shot, fullPage: true });
    }
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  describe("CORS, enforced by the browser", () => {
    let allowedPage: Awaited<ReturnType<typeof startOtherOrigin>>;
    let otherPage: Awaited<ReturnType<typeof startOtherOrigin>>;
    let api: RunningServer;
    let apiUrl: string;

    beforeAll(async () => {
      [allowedPage, otherPage] = await Promise.all([startOtherOrigin(), startOtherOrigin()]);
      // The same database as the stack's server, served by a second server that allows one of the two origins.
      api = await startServer({ host: "127.0.0.1", port: 0, database: stack.database, corsOrigins: [allowedPage.origin], webRoot });
      apiUrl = api.url;
    });

    afterAll(async () => {
      await api?.close();
      await allowedPage?.close();
      await otherPage?.close();
    });

    it("lets a page on an allowed origin call the API with its token", async () => {
      const page = await openPage();
      await page.goto(allowedPage.origin);
      const out = await listMachinesFrom(page, apiUrl, stack.apiToken);
      expect(out).toMatchObject({ reached: true, status: 200 });
      expect(out.body?.machines?.map((m) => m.machineId)).toContain(stack.machineId);
      await page.close();
    });

    it("blocks a page on any other origin at the preflight", async () => {
      const page = await openPage();
      page.on("console", () => {}); // The browser logs the CORS failure as an error; expected here.
      await page.goto(otherPage.origin);
      const out = await listMachinesFrom(page, apiUrl, stack.apiToken);
      expect(out).toMatchObject({ reached: false });
      expect(out.error).toMatch(/TypeError/);
      consoleErrors.length = 0;
      await page.close();

      const preflight = await fetch(`${apiUrl}/workspaces.v1.MachineService/ListMachines`, {
        method: "OPTIONS",
        headers: { origin: otherPage.origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    });
  });
});

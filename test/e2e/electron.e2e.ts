// Scenario 6: the real Electron app, scenarios 1 and 2 end to end. Runs when an
// Electron binary exists; otherwise it is skipped and says why.
import { _electron as electron, expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findElectronBinary, NO_ELECTRON_HELP } from '../../electron/lifecycle/electron-binary.ts';
import { buildElectronApp } from './build-electron.ts';
import { ROOT, tempRoot } from './host.ts';
import { addCharacter } from './ui.ts';
import { writeChat } from '../import/generated-chat.ts';

const binary = findElectronBinary(ROOT);
const SKIP_REASON = `Electron spec skipped: ${NO_ELECTRON_HELP}`;
if (!binary) console.warn(`\n[electron.e2e] ${SKIP_REASON}\n`);

test.describe('6: the Electron app', () => {
  test.skip(!binary, SKIP_REASON);
  test.beforeAll(async () => {
    await buildElectronApp();
  });

  const launch = (dataDir: string) =>
    electron.launch({
      executablePath: binary!,
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ROOT, '--data-dir', dataDir],
      env: { ...process.env, CARDSHARK_DEMO_PACE_MS: '5' } as Record<string, string>,
    });


  test('a message survives a reload; chats and the active chat survive a restart', async () => {
    test.setTimeout(120_000);
    const dataDir = path.join(await tempRoot(), 'data');
    let app = await launch(dataDir);
    let page = await app.firstWindow();
    expect(await page.evaluate(() => window.cardshark?.transport)).toBe('electron');
    expect(page.url()).toMatch(/^app:\/\/cardshark\//); // served by the app:// handler, not file://
    expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    await addCharacter(page, 'Electra');
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.getByRole('button', { name: 'New chat' }).click();
    await expect(page.getByTestId('chat')).toHaveCount(2);
    await page.getByLabel('Message').fill('Hello from Electron');
    await page.getByLabel('Message').press('Enter');
    await expect(page.getByTestId('message').filter({ hasText: 'Hello from Electron' })).toHaveCount(1);
    const activeId = await page.locator('[data-testid=chat][data-active=true]').getAttribute('data-chat-id');

    await page.reload();
    await expect(page.getByTestId('message').filter({ hasText: 'Hello from Electron' })).toHaveCount(1);

    await app.close();
    app = await launch(dataDir);
    page = await app.firstWindow();
    await expect(page.getByTestId('character')).toHaveText(['Electra']);
    await expect(page.getByTestId('chat')).toHaveCount(2);
    await expect(page.locator('[data-testid=chat][data-active=true]')).toHaveAttribute('data-chat-id', activeId!);
    await expect(page.getByTestId('message').filter({ hasText: 'Hello from Electron' })).toHaveCount(1);
    await app.close();
  });

  test("Import chats… opens main's own file dialog; main imports the picked file from its path, with progress", async () => {
    test.setTimeout(180_000);
    const dir = await tempRoot();
    const picked = path.join(dir, 'Séraphine - picked.jsonl');
    writeChat(picked, 200_000); // ~45 MB: long enough for the progress bar to show
    const before = await readFile(picked);
    const app = await launch(path.join(dir, 'data'));
    const page = await app.firstWindow();
    expect(await page.evaluate(() => window.cardshark?.capabilities.pickChatFile)).toBe(true);
    await addCharacter(page, 'Séraphine');
    // The usual Playwright way to answer a native dialog: main's dialog.showOpenDialog stubbed.
    // Its arguments are recorded: the page named no path, main asked for one file.
    await app.evaluate(({ dialog }, file) => {
      const calls: unknown[] = [];
      (globalThis as { pickCalls?: unknown[] }).pickCalls = calls;
      dialog.showOpenDialog = (async (...args: unknown[]) => {
        calls.push(args.at(-1));
        return { canceled: false, filePaths: [file] };
      }) as typeof dialog.showOpenDialog;
    }, picked);
    // No file input in Electron: the button asks main.
    await expect(page.getByTestId('chat-import-input')).toHaveCount(0);
    await page.getByTestId('chat-import-pick').click();
    await expect(page.getByTestId('import-file-progress')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('import-file-status')).toContainText(/reading|writing/); // never "sending": no bytes cross IPC
    await expect(page.getByTestId('notice').filter({ hasText: 'Séraphine - picked.jsonl: 1 chat(s) imported, 200000 messages' })).toHaveCount(1, { timeout: 150_000 });
    await expect(page.getByTestId('chat')).toHaveCount(1);
    await expect(page.getByTestId('message').last()).toContainText('Séraphine says 199999', { timeout: 30_000 });
    const calls = await app.evaluate(() => (globalThis as { pickCalls?: { properties?: string[] }[] }).pickCalls ?? []);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.properties).toEqual(['openFile']);
    expect((await readFile(picked)).equals(before)).toBe(true); // the user's file is read, never changed
    await app.close();
  });
});

// Steps through the real UI that several e2e specs share.
import { expect, type Page } from '@playwright/test';

/** Adds a character by name and waits until it is the selected one. */
export async function addCharacter(page: Page, name: string): Promise<void> {
  await page.getByLabel('New character name').fill(name);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByTestId('character').filter({ hasText: name })).toHaveAttribute('aria-current', 'true');
}

/** Creates a chat for the selected character, waits until it is saved and open, and returns its id. */
export async function newChat(page: Page): Promise<string> {
  const before = await page.getByTestId('chat').count();
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(page.getByTestId('chat')).toHaveCount(before + 1);
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  const active = page.locator('[data-testid=chat][data-active=true]');
  await expect(active).toHaveCount(1);
  return (await active.getAttribute('data-chat-id'))!;
}

/**
 * Points the app at a fake OpenAI-compatible endpoint (model "fake-model") in Generation settings;
 * `more` fills other settings before they are saved. Waits for "Settings saved".
 */
export async function useEndpoint(page: Page, base: string, more?: () => Promise<void>): Promise<void> {
  await page.locator('summary', { hasText: 'Generation settings' }).click();
  await page.getByLabel('Provider').selectOption('openai');
  await page.getByLabel('Base URL').fill(base);
  await page.getByLabel('Model', { exact: true }).fill('fake-model');
  await more?.();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Settings saved' })).toHaveCount(1);
}

/** Sends `text` with the Send button and waits until the reply has finished streaming and is saved. */
export async function sendAndWait(page: Page, text: string): Promise<void> {
  const replies = page.locator('[data-testid=message][data-role=assistant]');
  const before = await replies.count();
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.locator('[data-testid=message][data-role=user]').filter({ hasText: text })).toHaveCount(1);
  // The reply starts only after the message is saved: until it is there, "no reply streaming" proves nothing.
  await expect(replies).toHaveCount(before + 1, { timeout: 20_000 });
  await expect(page.getByTestId('streaming')).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
}

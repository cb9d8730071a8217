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

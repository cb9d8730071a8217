// Drag-and-drop of files built from bytes onto an element (by test id), as a user's drop would.
import type { Page } from '@playwright/test';

export async function dropFiles(page: Page, testId: string, files: { name: string; mime: string; bytes: Buffer }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const { name, mime, b64 } of list) {
      const bin = atob(b64);
      const arr = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i);
      dt.items.add(new File([arr], name, { type: mime }));
    }
    return dt;
  }, files.map((f) => ({ name: f.name, mime: f.mime, b64: f.bytes.toString('base64') })));
  const target = page.getByTestId(testId);
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

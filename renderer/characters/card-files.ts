// Card files in the renderer: a picked or dropped File → base64 for importCharacter (size-checked
// here too, for a clear message before any upload), and an export's bytes → a download.
import { MAX_CARD_BYTES } from '../../shared/character-card.ts';

export function isCardFile(file: File): boolean {
  return /\.(png|json)$/i.test(file.name) || file.type === 'image/png' || file.type === 'application/json';
}

export async function fileToBase64(file: File): Promise<string> {
  if (file.size > MAX_CARD_BYTES) throw new Error(`${file.name} is larger than 20 MiB`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function downloadBase64(bytesBase64: string, fileName: string, mime: string): void {
  const binary = atob(bytesBase64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

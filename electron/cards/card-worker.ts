// The card worker (a worker_threads entry): reads one card file off the main thread. It answers
// with the card (or the typed error), then with the thumbnail of its picture (or why there is
// none), for each file it is sent; card-reader.ts starts it, holds it to a time and memory budget,
// and ends it. The card
// crosses back as JSON bytes, not as an object: main neither clones nor stringifies a big card.
import { parentPort } from 'node:worker_threads';
import { isStoreError, toErrorInfo } from '../../shared/errors.ts';
import { cardJsonBody, parseCardFile } from './card-codec.ts';
import { makeThumbnail } from './thumbnail.ts';

export type CardWorkerReply =
  | { type: 'card'; name: string; tags: string[]; ownId: string | undefined; body: Uint8Array; avatar: Uint8Array | undefined }
  | { type: 'error'; error: ReturnType<typeof toErrorInfo> }
  | { type: 'thumbnail'; result: ReturnType<typeof makeThumbnail> };

const port = parentPort;
if (port) {
  port.on('message', (bytes: Uint8Array) => {
    const reply = (m: CardWorkerReply, moved: ArrayBuffer[] = []) => port.postMessage(m, moved);
    let avatar: Uint8Array | undefined;
    try {
      const { card, ownId, avatar: picture } = parseCardFile(bytes);
      avatar = picture;
      // Moved, not cloned: main gets the bytes without copying them on its thread.
      const body = new Uint8Array(cardJsonBody(card));
      const image = avatar && new Uint8Array(avatar);
      const moved: ArrayBuffer[] = [body.buffer];
      if (image) moved.push(image.buffer);
      reply({ type: 'card', name: card.name, tags: card.tags, ownId, body, avatar: image }, moved);
    } catch (e) {
      if (!isStoreError(e)) console.error('card worker:', e);
      reply({ type: 'error', error: toErrorInfo(e) });
      return;
    }
    if (avatar) reply({ type: 'thumbnail', result: makeThumbnail(avatar) });
  });
}

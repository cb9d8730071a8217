// The card worker (a worker_threads entry): reads one card file off the main thread. It answers
// each file it is sent with the card (or the typed error), and a later 'thumbnail' request with the
// thumbnail of that card's picture (or why there is none): between two answers it is idle, which is
// when card-reader.ts may end it (ending a worker inside zlib's constructor aborts the whole
// process). card-reader.ts starts it, holds it to a time and memory budget, and ends it. The card
// crosses back as JSON bytes, not as an object: main neither clones nor stringifies a big card.
import { parentPort } from 'node:worker_threads';
import { isStoreError, toErrorInfo } from '../../shared/errors.ts';
import { cardJsonBody, parseCardFile } from './card-codec.ts';
import { makeThumbnail } from './thumbnail.ts';

export type CardWorkerReply =
  | { type: 'card'; name: string; tags: string[]; ownId: string | undefined; body: Uint8Array; avatar: Uint8Array | undefined }
  | { type: 'error'; error: ReturnType<typeof toErrorInfo> }
  | { type: 'thumbnail'; result: ReturnType<typeof makeThumbnail> };

/** What main sends: a card file, or 'thumbnail' for the picture of the card just read. */
export type CardWorkerRequest = Uint8Array | 'thumbnail';

const port = parentPort;
/** The picture of the card last read, until its thumbnail is asked for (or the next card comes). */
let picture: Uint8Array | undefined;
if (port) {
  port.on('message', (m: CardWorkerRequest) => {
    const reply = (r: CardWorkerReply, moved: ArrayBuffer[] = []) => port.postMessage(r, moved);
    if (m === 'thumbnail') {
      const avatar = picture;
      picture = undefined;
      reply({ type: 'thumbnail', result: avatar ? makeThumbnail(avatar) : { refused: 'damaged', reason: 'no picture' } });
      return;
    }
    const bytes = m;
    picture = undefined;
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
    picture = avatar;
  });
}

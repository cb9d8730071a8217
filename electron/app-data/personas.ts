// The user's personas (issue 18): who the user is in a chat. Kept in <data>/app/ (user content,
// synced with the data folder): personas.json holds the personas (each with its 96 px avatar) and
// the default; persona-chats.json the persona each chat chose. Both are written atomically
// (json-file.ts); a damaged file is kept aside and the valid entries are salvaged.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { StoreError } from '../../shared/errors.ts';
import { ChatId } from '../../shared/chat-format.ts';
import { MAX_PERSONAS, PersonaId, type PersonaOut } from '../../shared/persona-contract.ts';
import { PersonaDescription, PersonaName } from '../../shared/settings-contract.ts';
import { jsonFile } from './json-file.ts';

const AvatarDataUrl = z.string().startsWith('data:image/png;base64,').max(200_000);
const Persona = z.object({
  id: PersonaId,
  name: PersonaName,
  description: PersonaDescription,
  avatar: AvatarDataUrl.nullable(),
  created: z.number(),
  updated: z.number(),
});
type Persona = z.infer<typeof Persona>;
const PersonasFile = z.object({ personas: z.array(Persona).max(MAX_PERSONAS), defaultId: PersonaId.nullable() });
type PersonasFile = z.infer<typeof PersonasFile>;
const ChoicesFile = z.object({ chats: z.record(ChatId, PersonaId) });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The personas a damaged file still holds (each entry checked on its own). */
function salvagePersonas(json: unknown): PersonasFile | undefined {
  if (!isObject(json) || !Array.isArray(json.personas)) return undefined;
  const personas = json.personas.flatMap((p) => {
    const r = Persona.safeParse(p);
    return r.success ? [r.data] : [];
  }).slice(0, MAX_PERSONAS);
  const defaultId = personas.some((p) => p.id === json.defaultId) ? (json.defaultId as string) : null;
  return { personas, defaultId };
}

function salvageChoices(json: unknown): z.infer<typeof ChoicesFile> | undefined {
  if (!isObject(json) || !isObject(json.chats)) return undefined;
  const chats = Object.fromEntries(Object.entries(json.chats).filter(([k, v]) => ChatId.safeParse(k).success && PersonaId.safeParse(v).success)) as Record<string, string>;
  return { chats };
}

export interface PersonaEdit {
  name?: string | undefined;
  description?: string | undefined;
  /** A 96 px PNG data: URL (made by the caller from the user's picture), or null to remove it. */
  avatar?: string | null | undefined;
}

export interface Personas {
  list(): Promise<{ personas: PersonaOut[]; defaultId: string | null }>;
  get(id: string): Promise<PersonaOut | undefined>;
  create(edit: PersonaEdit & { name: string }): Promise<PersonaOut>;
  update(id: string, edit: PersonaEdit): Promise<PersonaOut>;
  /** Chats that chose it follow the default again; if it was the default, there is none. */
  remove(id: string): Promise<void>;
  setDefault(id: string | null): Promise<void>;
  /** The persona the chat chose, if it still exists. */
  chosen(chatId: string): Promise<string | null>;
  choose(chatId: string, id: string | null): Promise<void>;
  /** The chat's persona: its choice, else the default (undefined chat: the default); undefined when neither is set. */
  forChat(chatId: string | undefined): Promise<PersonaOut | undefined>;
}

export function personasFile(dataDir: string): string {
  return path.join(dataDir, 'app', 'personas.json');
}

export function openPersonas(dataDir: string, now: () => number = Date.now): Personas {
  const file = jsonFile(personasFile(dataDir), PersonasFile, () => ({ personas: [], defaultId: null }), salvagePersonas);
  const choices = jsonFile(path.join(dataDir, 'app', 'persona-chats.json'), ChoicesFile, () => ({ chats: {} }), salvageChoices);

  const notFound = (id: string) => new StoreError('NOT_FOUND', `no persona with id ${id}`, { reason: 'persona' });
  const find = async (id: string) => (await file.read()).personas.find((p) => p.id === id);

  return {
    async list() {
      const { personas, defaultId } = await file.read();
      return { personas: personas.map((p) => ({ ...p })), defaultId };
    },
    get: find,
    async create(edit) {
      let made: Persona | undefined;
      await file.update((cur) => {
        if (cur.personas.length >= MAX_PERSONAS) throw new StoreError('TOO_LARGE', `at most ${MAX_PERSONAS} personas; delete one first`, { reason: 'personas' });
        const t = now();
        made = Persona.parse({ id: randomUUID(), name: edit.name, description: edit.description ?? '', avatar: edit.avatar ?? null, created: t, updated: t });
        // The first persona made becomes the default: the user made it to be who they are.
        return { personas: [...cur.personas, made], defaultId: cur.defaultId ?? made.id };
      });
      return { ...made! };
    },
    async update(id, edit) {
      let out: Persona | undefined;
      await file.update((cur) => {
        const old = cur.personas.find((p) => p.id === id);
        if (!old) throw notFound(id);
        out = Persona.parse({
          ...old,
          ...(edit.name !== undefined ? { name: edit.name } : {}),
          ...(edit.description !== undefined ? { description: edit.description } : {}),
          ...(edit.avatar !== undefined ? { avatar: edit.avatar } : {}),
          updated: now(),
        });
        return { ...cur, personas: cur.personas.map((p) => (p.id === id ? out! : p)) };
      });
      return { ...out! };
    },
    async remove(id) {
      await file.update((cur) => {
        if (!cur.personas.some((p) => p.id === id)) throw notFound(id);
        return { personas: cur.personas.filter((p) => p.id !== id), defaultId: cur.defaultId === id ? null : cur.defaultId };
      });
      await choices.update((cur) => ({ chats: Object.fromEntries(Object.entries(cur.chats).filter(([, v]) => v !== id)) }));
    },
    async setDefault(id) {
      await file.update((cur) => {
        if (id !== null && !cur.personas.some((p) => p.id === id)) throw notFound(id);
        return { ...cur, defaultId: id };
      });
    },
    async chosen(chatId) {
      const id = (await choices.read()).chats[chatId];
      return id !== undefined && (await find(id)) ? id : null;
    },
    async choose(chatId, id) {
      if (id !== null && !(await find(id))) throw notFound(id);
      await choices.update((cur) => {
        const chats = { ...cur.chats };
        if (id === null) delete chats[chatId];
        else chats[chatId] = id;
        return { chats };
      });
    },
    async forChat(chatId) {
      const { personas, defaultId } = await file.read();
      const chosenId = chatId === undefined ? undefined : (await choices.read()).chats[chatId];
      return personas.find((p) => p.id === chosenId) ?? personas.find((p) => p.id === defaultId);
    },
  };
}

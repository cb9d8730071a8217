// Preload bundle: sandboxed, so everything (zod included) is bundled into one cjs file.
import { defineConfig } from 'vite';

export default defineConfig({});

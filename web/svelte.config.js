import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * The marketer app is a static single-page app: the API process serves web/build on its own
 * port, so every page falls back to index.html and loads its data from /api in the browser.
 */
/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ fallback: 'index.html', precompress: true, strict: true }),
    // The API's helmet header allows exactly these inline-script hashes (api/web-app.ts reads them back).
    csp: { mode: 'hash', directives: { 'script-src': ['self'] } },
    alias: { $lib: 'src/lib' },
  },
};

export default config;

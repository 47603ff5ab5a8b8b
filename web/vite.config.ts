import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';

// `npm run web:dev`: the app with hot reload, talking to an API started with `npm start`.
const api = process.env.LMA_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [tailwindcss(), sveltekit()],
  server: {
    proxy: {
      '/api': api,
      '/r': api,
      '/ws': { target: api.replace(/^http/, 'ws'), ws: true },
    },
  },
});

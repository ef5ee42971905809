import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // A static single-page build the hub serves on its own origin; unknown paths fall back to index.html.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // Absolute asset paths, so deep links load /_app/... and not a path relative to the link.
    paths: { relative: false },
  },
};

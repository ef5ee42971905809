import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

const hub = process.env.PULSE_HUB_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    // In development the hub stays the one origin for the API and the WebSocket.
    proxy: {
      '/api': hub,
      '/healthz': hub,
      '/ws': { target: hub.replace(/^http/, 'ws'), ws: true },
    },
    fs: { allow: ['..'] },
  },
});

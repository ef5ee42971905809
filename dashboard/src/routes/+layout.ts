// The dashboard is a static single-page app: everything runs in the browser against the hub.
export const ssr = false;
export const prerender = false;

// A single-page app the API serves: everything renders in the browser, data comes from /api.
export const ssr = false;
export const prerender = false;
